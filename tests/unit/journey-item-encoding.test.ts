/**
 * How a journey's state and outbox are stored: short names, no empty or default values, read back
 * exactly, and items written before (names in full) still read. A journey item is billed by its
 * bytes, so the longest sample journey must fit in one write unit (1 KB).
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { emptyJourney, type JourneyState } from '../../lib/engine/model';
import { decodeJourney, decodeState, encodeState, journeyImage } from '../../lib/runtime/dynamo-store';
import { itemSize } from '../../lib/runtime/item-size';
import type { CounterRow, OutboxEntry } from '../../lib/runtime/store';

const day = (d: number) => Date.UTC(2026, 10, d, 9, 30);

/** A customer eight emails into the sample nurture, at its demo follow-up (the largest item the cost runs wrote). */
function longJourney(): JourneyState {
  return {
    ...emptyJourney('sim-000060', 'cold-traffic-nurture'),
    stepId: 'demo-follow-up',
    stage: 'decision',
    stages: [['awareness', day(1)], ['consideration', day(9)], ['decision', day(18)]],
    entries: 1,
    enteredAt: day(1),
    pendingSince: day(18),
    dueAt: day(22),
    clock: day(18),
    emailsSent: 8,
    opens: 4,
    clicks: 1,
    sent: ['article-get-paid-faster', 'article-invoice-mistakes', 'article-cash-flow-basics', 'still-interested', 'guide-spreadsheets-vs-software', 'testimonial-freelance-designer', 'case-study-design-studio', 'book-a-demo'],
    sendTimes: [day(18)],
    applied: ['kdkegtaz3j', '1uiyr8fxoxi', '1smit9wkl5d', '261nwdhjqn9', 'bs4cyike9r', '8wyuilgcdx'],
    emailSeq: 8,
    engaged: [[1, 1], [3, 1], [4, 3], [6, 1]],
    lastEmail: ['demo', day(18)],
    assigned: [['holdout', 'journey'], ['demo-or-offer', 'demo']],
  };
}

const email: OutboxEntry = { seq: 8, customerId: 'sim-000060', workflowId: 'cold-traffic-nurture', version: 1, stepId: 'demo', stage: 'decision', contentId: 'book-a-demo', to: 'sim-000060@example.com', at: day(18), decidedAt: day(18) };

const counters: CounterRow[] = [
  ['trial?', 'step.entered'], ['stage:consideration', 'stage.time', 773092175], ['stage:consideration', 'stage.left'], ['stage:decision', 'stage.entered'],
  ['demo-or-offer', 'step.entered'], ['demo-or-offer', 'assigned:demo'], ['demo', 'step.entered'], ['demo', 'email.sent'], ['demo-follow-up', 'step.entered'],
].map(([stepId, name, value]) => ({ workflowId: 'cold-traffic-nurture', day: '2026-11-18', stepId: stepId as string, name: name as string, value: (value as number | undefined) ?? 1 }));

describe('a journey item', () => {
  it('reads back the state it was written with, field for field', () => {
    const state = longJourney();
    expect(decodeState(state.customerId, state.workflowId, encodeState(state))).toEqual(state);
    const finished: JourneyState = { ...state, status: 'converted', finishedAt: day(20), convertedAt: day(20), waitingSince: day(19), held: true, version: 3, dueAt: null };
    expect(decodeState(state.customerId, state.workflowId, encodeState(finished))).toEqual(finished);
  });

  it('stores short names, except the fields that table expressions name, and leaves out empty and default values', () => {
    const stored = encodeState({ ...emptyJourney('c-1', 'nurture'), stepId: 'welcome', enteredAt: day(1), clock: day(1), entries: 1 });
    expect(Object.keys(stored).sort()).toEqual(['ck', 'en', 'enteredAt', 'status', 'stepId']);
    expect(Object.keys(encodeState(emptyJourney('c-1', 'nurture')))).toEqual(['status']);
  });

  it('reads a state written with its names in full, as items written before carry it', () => {
    const state = longJourney();
    const { customerId: _c, workflowId: _w, ...fields } = state;
    expect(decodeState(state.customerId, state.workflowId, marshall(fields, { removeUndefinedValues: true }))).toEqual(state);
  });

  it('reads back its outbox, leaving out the decision time of an email decided when it goes', () => {
    const deferred: OutboxEntry = { ...email, seq: 9, at: day(19), decidedAt: day(18) };
    const image = journeyImage({ customerId: email.customerId, workflowId: email.workflowId, state: longJourney(), outbox: [email, deferred], counters }, 15);
    expect(Object.keys(image.ob!.M!['8']!.M!)).not.toContain('decidedAt');
    expect(image.ob!.M!['9']!.M!.decidedAt).toEqual({ N: String(day(18)) });
    expect(decodeJourney(email.customerId, email.workflowId, image).outbox).toEqual([email, deferred]);
  });

  it('fits the longest sample journey, with its outbox, counters and timer, in one write unit', () => {
    const image = journeyImage({ customerId: email.customerId, workflowId: email.workflowId, state: longJourney(), outbox: [email], counters }, 15);
    const timer = marshall({ dpk: 'due#2', dsk: '2026-11-22T09:30|2026-11-22T09:30:00.000Z' });
    // 1,151 bytes with the names in full (2026-11-30's cost runs: 19 writes over 1 KB).
    expect(itemSize({ ...image, ...timer })).toBeLessThanOrEqual(960);
  });
});
