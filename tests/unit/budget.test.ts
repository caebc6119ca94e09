/**
 * The send budget across journeys (WORKFLOWS.md, revision 2, "Send budget
 * across journeys, and priority"), told as stories: given a customer in
 * several journeys, these events, this much time, expect these emails. At
 * most `max` counted emails from all workflows together in any rolling
 * `per`; same-instant emails go in priority order; transactional workflows
 * are exempt; an email over the budget waits, or is skipped.
 */
import { describe, expect, it } from 'vitest';
import { counter, defineWorkflow, event, lead, play } from '../support/journeys';

const BUDGET = { budget: { max: 1, per: 'P1D' } };

/** A one-email journey entering on lead.captured, with these settings. */
const oneEmail = (id: string, template: string, settings: Record<string, unknown>) =>
  defineWorkflow({ id, settings, steps: { send: { type: 'email', template } } });

describe('two journeys want to email the same customer at the same instant', () => {
  it('the higher priority goes first; the other waits until the budget allows it', async () => {
    const nurture = oneEmail('nurture', 'article-1', { priority: 10 });
    const promotion = oneEmail('promotion', 'offer', { priority: 0 });
    const played = await play([promotion, nurture], [lead('ana', '2026-11-02T10:00:00Z')], { settings: BUDGET });
    expect(played.emails.map((e) => `${new Date(e.at).toISOString()} ${e.workflowId}`)).toEqual(['2026-11-02T10:00:00.000Z nurture', '2026-11-03T10:00:00.000Z promotion']);
    expect(await counter(played, 'email.deferred:budget', 'send', 'promotion')).toBe(1);
  });

  it('with overBudget "skip", the lower priority email is not sent, counted as skipped, and its journey goes on at once', async () => {
    const nurture = oneEmail('nurture', 'article-1', { priority: 10 });
    const promotion = defineWorkflow({ id: 'promotion', settings: { priority: -5, overBudget: 'skip' }, steps: { send: { type: 'email', template: 'offer', next: 'stage' }, stage: { type: 'stage', stage: 'decision' } } });
    const played = await play([nurture, promotion], [lead('ben', '2026-11-02T10:00:00Z')], { settings: BUDGET });
    expect(played.emails.map((e) => e.workflowId)).toEqual(['nurture']);
    expect(played.stateOf('ben', 'promotion')).toMatchObject({ status: 'completed', stage: 'decision' });
    expect(await counter(played, 'email.skipped:budget', 'send', 'promotion')).toBe(1);
  });

  it('with overBudget "skip", an email the send window holds first is decided when the window opens: over the budget then, skipped, never sent late', async () => {
    // Weekdays 09:00–17:00 UTC. Ana's nurture email goes Saturday (no window); the promotion's waits for Monday 09:00.
    const nurture = oneEmail('nurture', 'article-1', { priority: 10 });
    const weekdays = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' };
    const promotion = defineWorkflow({ id: 'promotion', settings: { priority: -5, overBudget: 'skip', timezone: 'UTC', sendWindow: weekdays }, steps: { send: { type: 'email', template: 'offer' } } });
    const saturday = '2026-11-07T20:00:00Z';
    // One a week: at Monday 09:00 Saturday's email still fills it.
    const overBudget = await play([nurture, promotion], [lead('ana', saturday)], { settings: { budget: { max: 1, per: 'P7D' } } });
    expect(overBudget.emails.map((e) => `${new Date(e.at).toISOString()} ${e.workflowId}`)).toEqual(['2026-11-07T20:00:00.000Z nurture']);
    expect(await counter(overBudget, 'email.skipped:budget', 'send', 'promotion')).toBe(1);
    expect(await counter(overBudget, 'email.deferred:window', 'send', 'promotion')).toBe(1);
    // One a day: by Monday 09:00 Saturday's email has left the window, and the promotion goes then.
    const roomByThen = await play([nurture, promotion], [lead('ben', saturday)], { settings: { budget: { max: 1, per: 'P1D' } } });
    expect(roomByThen.emails.map((e) => `${new Date(e.at).toISOString()} ${e.workflowId}`)).toEqual(['2026-11-07T20:00:00.000Z nurture', '2026-11-09T09:00:00.000Z promotion']);
  });

  it('equal priorities: the workflow id decides, so the order is stable', async () => {
    const played = await play([oneEmail('zeta', 'offer', {}), oneEmail('alpha', 'article-1', {})], [lead('cara', '2026-11-02T10:00:00Z')], { settings: BUDGET });
    expect(played.emails.map((e) => e.workflowId)).toEqual(['alpha', 'zeta']);
  });
});

describe('the budget is rolling: at most max emails in any (t - per, t]', () => {
  it('a journey of daily emails and a second journey share two a week between them', async () => {
    const daily = defineWorkflow({
      id: 'daily',
      settings: { priority: 1 },
      steps: {
        a: { type: 'email', template: 'article-1', next: 'w1' },
        w1: { type: 'wait', duration: 'P1D', next: 'b' },
        b: { type: 'email', template: 'article-2', next: 'w2' },
        w2: { type: 'wait', duration: 'P1D', next: 'c' },
        c: { type: 'email', template: 'article-3' },
      },
    });
    const other = defineWorkflow({ id: 'other', entry: { on: { 'detail-type': ['trial.started'] } }, steps: { d: { type: 'email', template: 'demo' } } });
    const played = await play([daily, other], [lead('dan', '2026-11-02T10:00:00Z'), event('trial.started', 'dan', '2026-11-02T12:00:00Z')], { settings: { budget: { max: 2, per: 'P7D' } } });
    const sent = played.emails.map((e) => `${new Date(e.at).toISOString()} ${e.stepId}`);
    // Monday: a; Monday noon: d (two in the week); b waits until a leaves the window (next Monday 10:00); c a day after b, d having left the window.
    expect(sent).toEqual(['2026-11-02T10:00:00.000Z a', '2026-11-02T12:00:00.000Z d', '2026-11-09T10:00:00.000Z b', '2026-11-10T10:00:00.000Z c']);
    const times = played.emails.map((e) => e.at).sort((x, y) => x - y);
    for (const t of times) expect(times.filter((u) => u > t - 7 * 86_400_000 && u <= t).length).toBeLessThanOrEqual(2);
  });
});

describe('exempt workflows (transactional mail)', () => {
  it('are neither counted nor limited', async () => {
    const receipt = oneEmail('receipt', 'article-2', { budget: 'exempt', priority: -100 });
    const nurture = oneEmail('nurture', 'article-1', { priority: 10 });
    const promotion = oneEmail('promotion', 'offer', {});
    const played = await play([receipt, nurture, promotion], [lead('eve', '2026-11-02T10:00:00Z')], { settings: BUDGET });
    expect(played.emails.map((e) => `${new Date(e.at).toISOString()} ${e.workflowId}`)).toEqual([
      '2026-11-02T10:00:00.000Z nurture',
      '2026-11-02T10:00:00.000Z receipt',
      '2026-11-03T10:00:00.000Z promotion',
    ]);
  });
});

describe('emails held by the send window, due at the same opening', () => {
  it('go in priority order, then (equal priorities) the one that became due first', async () => {
    const window = { sendWindow: { start: '09:00', end: '17:00' }, timezone: 'UTC' };
    const early = defineWorkflow({ id: 'early', settings: { ...window, priority: 0 }, steps: { send: { type: 'email', template: 'article-1' } } });
    const late = defineWorkflow({ id: 'late', entry: { on: { 'detail-type': ['trial.started'] } }, settings: { ...window, priority: 0 }, steps: { send: { type: 'email', template: 'demo' } } });
    const urgent = defineWorkflow({ id: 'urgent', entry: { on: { 'detail-type': ['trial.started'] } }, settings: { ...window, priority: 5 }, steps: { send: { type: 'email', template: 'offer' } } });
    // Both decided at night, so both wait for 09:00: "early" became due at 20:00, "late" and "urgent" at 22:00.
    const played = await play(
      [early, late, urgent],
      [lead('fay', '2026-11-02T20:00:00Z'), event('trial.started', 'fay', '2026-11-02T22:00:00Z')],
      { settings: { budget: { max: 2, per: 'P1D' } } },
    );
    // urgent (priority 5) first; then early and late (priority 0): early became due first; late is over the budget.
    expect(played.emails.map((e) => `${new Date(e.at).toISOString()} ${e.workflowId}`)).toEqual([
      '2026-11-03T09:00:00.000Z urgent',
      '2026-11-03T09:00:00.000Z early',
      '2026-11-04T09:00:00.000Z late',
    ]);
  });
});
