/**
 * Time in production (WORKFLOWS.md, revision 2): an input applied more than
 * 15 minutes after its own time (a redriven dead letter, a sweep that was
 * down, a producer that batches) runs the steps it reaches at the moment it
 * is applied. No email is sent, or counted, earlier than the moment it is
 * handed on; the send window, the cap and the budget are checked then; an
 * entry event older than `entry.maxAge` starts nothing; whether a wait was
 * satisfied is still judged by the event's own time.
 *
 * Late deliveries are written as event-file lines: {"deliveredAt", "event"}.
 */
import { describe, expect, it } from 'vitest';
import { click, counter, defineWorkflow, event, lead, play } from '../support/journeys';

const late = (deliveredAt: string, raw: object) => ({ deliveredAt, event: raw });

const nurture = defineWorkflow({
  settings: { timezone: 'UTC', sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }, frequencyCap: { max: 1, per: 'PT20H' } },
  steps: {
    welcome: { type: 'email', template: 'article-1', next: 'clicked?' },
    'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'demo', timeoutNext: 'article-2' },
    'article-2': { type: 'email', template: 'article-2', next: 'pause' },
    pause: { type: 'wait', duration: 'P2D', next: 'offer' },
    offer: { type: 'email', template: 'offer', next: 'survey' },
    survey: { type: 'email', template: 'survey' },
    demo: { type: 'email', template: 'demo' },
  },
});

describe('an entry event delivered late', () => {
  it('older than entry.maxAge (default one day): nobody enters, the refusal is counted and reported', async () => {
    // A lead of 2026-10-20, redriven from the dead-letter queue 41 days later.
    const played = await play(nurture, [late('2026-11-30T10:00:00Z', lead('ana', '2026-10-20T10:00:00Z'))]);
    expect(played.emails).toEqual([]);
    expect(played.customers).toEqual([]);
    expect(played.warnings).toEqual([expect.objectContaining({ customerId: 'ana', workflowId: 'test-journey', code: 'entry-too-old', message: expect.stringContaining('41 days old') })]);
    expect(await counter(played, 'entry.refused:too-old')).toBe(1);
  });

  it('it still updates the profile: a later entry mails the address it carried', async () => {
    const played = await play(nurture, [
      late('2026-11-30T10:00:00Z', event('profile.updated', 'ben', '2026-10-20T10:00:00Z', { profile: { email: 'ben@example.com', firstName: 'Ben' } })),
      event('lead.captured', 'ben', '2026-11-30T11:00:00Z'),
    ]);
    expect(played.emails[0]).toEqual(expect.objectContaining({ to: 'ben@example.com', subject: 'Article 1 for Ben' }));
  });

  it('within entry.maxAge: the journey starts at the moment of delivery, and the window holds at that moment', async () => {
    // Captured on Friday 16:00, delivered on Saturday 02:00: the welcome waits for Monday 09:00.
    const played = await play(nurture, [late('2026-11-07T02:00:00Z', lead('cara', '2026-11-06T16:00:00Z'))], { until: '2026-11-09T12:00:00Z' });
    expect(played.sent).toEqual(['2026-11-09T09:00:00.000Z cara welcome article-1']);
    expect(played.stateOf('cara').enteredAt).toBe(Date.parse('2026-11-07T02:00:00Z'));
  });

  it('a longer entry.maxAge lets an older event in, still run at the moment of delivery', async () => {
    const patient = defineWorkflow({ ...nurture, entry: { on: { 'detail-type': ['lead.captured'] }, maxAge: 'P60D' }, settings: { timezone: 'UTC' } } as never);
    const played = await play(patient, [late('2026-11-30T10:00:00Z', lead('dan', '2026-10-20T10:00:00Z'))], { until: '2026-11-30T12:00:00Z' });
    expect(played.sent).toEqual(['2026-11-30T10:00:00.000Z dan welcome article-1']);
  });
});

describe('an awaited event delivered late', () => {
  it('a click that happened during the wait counts however late it arrives, and the next email goes when it is applied', async () => {
    const played = await play(nurture, [lead('fay', '2026-11-02T10:00:00Z'), late('2026-11-03T15:00:00Z', click('fay', '2026-11-02T11:00:00Z'))]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z fay welcome article-1', '2026-11-03T15:00:00.000Z fay demo demo']);
  });

  it('a click that happened after the wait had timed out does not count, even if the timeout was not yet applied', async () => {
    const played = await play(nurture, [lead('gus', '2026-11-02T10:00:00Z'), late('2026-11-06T10:30:00Z', click('gus', '2026-11-05T11:00:00Z'))], { until: '2026-11-06T12:00:00Z' });
    // The timeout (Thursday 10:00) came first: article-2, not the demo.
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z gus welcome article-1', '2026-11-05T10:00:00.000Z gus article-2 article-2']);
  });

  it('a producer\'s event named "Email Clicked" is not SES\'s: it never ends a wait for a click', async () => {
    const forged = event('Email Clicked', 'hal', '2026-11-02T12:00:00Z', { workflowId: 'test-journey' });
    const played = await play(nurture, [lead('hal', '2026-11-02T10:00:00Z'), forged], { until: '2026-11-05T12:00:00Z' });
    expect(played.sent.at(-1)).toBe('2026-11-05T10:00:00.000Z hal article-2 article-2');
  });
});

describe('event-file lines of late delivery', () => {
  it('a line must hold "deliveredAt" and "event" only, and cannot be delivered before it happened', async () => {
    const { timelineFromJsonLines } = await import('../../lib/runtime/local-runner');
    const lines = [
      JSON.stringify(late('not a time', lead('a', '2026-11-02T10:00:00Z'))),
      JSON.stringify({ deliveredAt: '2026-11-03T10:00:00Z' }),
      JSON.stringify({ ...late('2026-11-03T10:00:00Z', lead('a', '2026-11-02T10:00:00Z')), extra: 1 }),
      JSON.stringify(late('2026-11-01T10:00:00Z', lead('a', '2026-11-02T10:00:00Z'))),
      JSON.stringify(late('2026-11-03T10:00:00Z', lead('a', '2026-11-02T10:00:00Z'))),
    ].join('\n');
    const { items, rejected } = timelineFromJsonLines(lines);
    expect(rejected).toEqual([
      { line: 1, reason: 'deliveredAt: expected an ISO 8601 time with a zone, e.g. "2026-11-23T09:30:00Z", got "not a time"' },
      { line: 2, reason: 'a late-delivery line needs "event": the EventBridge event that arrives at deliveredAt' },
      { line: 3, reason: 'a late-delivery line holds only "deliveredAt" and "event", not "extra"' },
      { line: 4, reason: "deliveredAt 2026-11-01T10:00:00.000Z is before the event's own time 2026-11-02T10:00:00Z: an event cannot be delivered before it happened" },
    ]);
    expect(items).toEqual([expect.objectContaining({ at: Date.parse('2026-11-03T10:00:00Z'), line: 5 })]);
  });
});
