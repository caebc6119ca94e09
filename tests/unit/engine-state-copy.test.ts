/**
 * The interpreter's draft state shares its arrays with the state it was given until it changes one
 * (copy on write). These tests hold it to what that must never break: the state a caller passes in
 * is never changed, and every state has emptyJourney's fields, in emptyJourney's order.
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../lib/engine/compile';
import { createCatalogue } from '../../lib/engine/content';
import { step } from '../../lib/engine/interpreter';
import { type CustomerEvent, emptyJourney, type Input, type JourneyState } from '../../lib/engine/model';
import { click, defineWorkflow, event, lead, testContent } from '../support/journeys';

const DAY = 86_400_000;

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

describe('the state the interpreter is given', () => {
  it('is never changed, through entry, stages, emails, engagement, experiments, conversion and re-entry', () => {
    // Prepare: a journey that touches every array of the state, with a goal and re-entry
    const workflow = compileWorkflow(
      defineWorkflow({
        entry: { on: { 'detail-type': ['lead.captured'] }, reentry: 'after-exit' },
        goal: { on: { 'detail-type': ['order.placed'] }, stage: 'purchase', then: 'exit' },
        settings: { frequencyCap: { max: 3, per: 'P7D' } },
        steps: {
          ab: { type: 'split', paths: [{ weight: 1, next: 'welcome' }, { weight: 1, next: 'welcome' }] },
          welcome: { type: 'email', stage: 'awareness', content: { kind: 'article' }, next: 'clicked' },
          clicked: { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P2D' }, next: 'second', timeoutNext: 'second' },
          second: { type: 'email', stage: 'consideration', content: { kind: 'article' }, next: 'pause' },
          pause: { type: 'wait', duration: 'P1D', next: 'last' },
          last: { type: 'email', template: 'demo' },
        },
      }),
      createCatalogue(testContent),
    );
    const start = Date.parse('2026-03-02T10:00:00.000Z');
    const iso = (t: number) => new Date(t).toISOString();
    const clickOnFirst = { ...click('c1', iso(start + DAY / 2)), detail: { customerId: 'c1', workflowId: 'test-journey', emailSeq: 1, stepId: 'welcome' } } as CustomerEvent;
    const inputs: Array<[Input, number]> = [
      [{ kind: 'event', event: lead('c1', iso(start)) as CustomerEvent }, start],
      [{ kind: 'event', event: clickOnFirst }, start + DAY / 2],
      [{ kind: 'event', event: clickOnFirst }, start + DAY / 2 + 1000],
      [{ kind: 'wake' }, start + 2 * DAY],
      [{ kind: 'event', event: event('order.placed', 'c1', iso(start + 3 * DAY)) as CustomerEvent }, start + 3 * DAY],
      [{ kind: 'event', event: lead('c1', iso(start + 4 * DAY)) as CustomerEvent }, start + 4 * DAY],
      [{ kind: 'wake' }, start + 9 * DAY],
    ];

    // Act: each input applied to a frozen copy of the previous state, and to an unfrozen one
    let state: JourneyState | null = null;
    let outcomes = 0;
    for (const [input, now] of inputs) {
      const before = structuredClone(state);
      const result = step(workflow, deepFreeze(structuredClone(state)), input, now, { customerId: 'c1', profile: { email: 'c1@example.com' } });
      const unfrozen = step(workflow, state, input, now, { customerId: 'c1', profile: { email: 'c1@example.com' } });

      // Assess: the same result, and the state passed in unchanged
      expect(result).toEqual(unfrozen);
      expect(state).toEqual(before);
      if (result.outcome === 'applied') outcomes += 1;
      state = unfrozen.state;
    }
    expect(outcomes).toBeGreaterThanOrEqual(6);
    expect(state!.entries).toBe(2);
    expect(state!.stages.length).toBeGreaterThan(0);
    expect(state!.sent.length).toBeGreaterThan(1);
    expect(state!.engaged.length).toBe(1);
    expect(state!.assigned.length).toBe(1);
  });

  it('comes back with emptyJourney\'s fields in emptyJourney\'s order, entered or copied', () => {
    // Prepare
    const workflow = compileWorkflow(defineWorkflow({ steps: { welcome: { type: 'email', content: { kind: 'article' }, next: 'pause' }, pause: { type: 'wait', duration: 'P1D', next: 'last' }, last: { type: 'email', template: 'demo' } } }), createCatalogue(testContent));
    const at = Date.parse('2026-03-02T10:00:00.000Z');

    // Act
    const entered = step(workflow, null, { kind: 'event', event: lead('c2', new Date(at).toISOString()) as CustomerEvent }, at, { customerId: 'c2', profile: { email: 'c2@example.com' } });
    const woken = step(workflow, entered.state, { kind: 'wake' }, at + 2 * 86_400_000, { customerId: 'c2', profile: { email: 'c2@example.com' } });

    // Assess
    const fields = Object.keys(emptyJourney('c2', workflow.id));
    expect(Object.keys(entered.state!)).toEqual(fields);
    expect(Object.keys(woken.state!)).toEqual(fields);
  });
});
