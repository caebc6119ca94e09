/**
 * A live journey's lifecycle, told as stories on the virtual clock: pause, resume (with or without
 * the held emails), stop, and customers moved to a new version by its `migrate` (WORKFLOWS.md,
 * "Moving customers to a new version"). The same engine and service run in AWS; the control item
 * and the hold partitions are exercised on DynamoDB Local in tests/integration.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCatalogue } from '../../lib/engine/content';
import type { Workflow } from '../../lib/engine/schema';
import { formatProblem, validateWorkflow } from '../../lib/engine/validate';
import { loadWorkflows } from '../../lib/runtime/workflow-files';
import { journeyListing, nextControl, releaseHeldWork } from '../../lib/runtime/journey-lifecycle';
import { sortTimeline, type TimelineItem, timelineItemsFor, VirtualClockRunner } from '../../lib/runtime/local-runner';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { defineWorkflow, event, lead, registryOf, testContent } from '../support/journeys';

const DAY = 86_400_000;
const MONDAY = Date.parse('2026-11-02T10:00:00Z');
const at = (days: number, hours = 0) => MONDAY + days * DAY + hours * 3_600_000;
const iso = (t: number) => new Date(t).toISOString();

/** Welcome now, a second article two days later, an offer three days after that; a purchase converts. */
const nurture = (overrides: Partial<Record<string, unknown>> = {}) =>
  defineWorkflow({
    id: 'nurture',
    goal: { on: { 'detail-type': ['order.placed'] } },
    settings: { sendWindow: { start: '09:00', end: '17:00' } },
    steps: {
      welcome: { type: 'email', template: 'article-1', next: 'two-days' },
      'two-days': { type: 'wait', duration: 'P2D', next: 'second' },
      second: { type: 'email', template: 'article-2', next: 'three-days' },
      'three-days': { type: 'wait', duration: 'P3D', next: 'offer' },
      offer: { type: 'email', template: 'offer' },
    },
    ...overrides,
  });

/** A runner over these workflows, and a way to put events on its timeline. */
function journeyRunner(workflows: Workflow[]) {
  const runner = new VirtualClockRunner(registryOf(workflows));
  let order = 0;
  return {
    runner,
    async send(raw: object) {
      const placed = timelineItemsFor(raw, order, ++order);
      if ('reason' in placed) throw new Error(placed.reason);
      for (const item of sortTimeline(placed.items as TimelineItem[])) await runner.apply(item);
    },
    sent: (workflowId = 'nurture') => runner.emails().filter((e) => e.workflowId === workflowId).map((e) => `${iso(e.at)} ${e.customerId} ${e.stepId}`),
    stateOf: (customerId: string, workflowId = 'nurture') => [...runner.store.journeys()].find((j) => j.customerId === customerId && j.workflowId === workflowId)?.state,
    counter: async (name: string, workflowId = 'nurture') => (await runner.store.readCounters(workflowId)).filter((r) => r.name === name).reduce((sum, r) => sum + r.value, 0),
  };
}

describe('a paused journey', () => {
  it('sends nothing while paused: the customer holds at the email step, and the held email goes at resume, within the send window', async () => {
    const j = journeyRunner([nurture()]);
    await j.send(lead('ana', iso(at(0))));
    // Paused on Tuesday: the second article (due Wednesday 10:00) is held.
    await j.runner.changeLifecycle('nurture', 'pause', at(1));
    await j.runner.advanceTo(at(8));
    expect(j.sent()).toEqual([`${iso(at(0))} ana welcome`]);
    expect(j.stateOf('ana')).toMatchObject({ status: 'active', stepId: 'second', held: true, dueAt: null });
    expect(await j.counter('email.held:paused')).toBe(1);

    // Resumed the next Tuesday at 20:00, outside the window: the held email goes at 09:00 the next morning.
    await j.runner.changeLifecycle('nurture', 'resume', at(8, 10));
    await j.runner.advanceTo(at(9, 12));
    expect(j.sent()).toEqual([`${iso(at(0))} ana welcome`, '2026-11-11T09:00:00.000Z ana second']);
    // The rest of the journey runs on from there: three days after the second article.
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.sent().at(-1)).toBe('2026-11-14T09:00:00.000Z ana offer');
  });

  it('still applies events to waits, the goal and exits: a purchase while paused converts the customer', async () => {
    const j = journeyRunner([nurture()]);
    await j.send(lead('ben', iso(at(0))));
    await j.runner.changeLifecycle('nurture', 'pause', at(1));
    await j.send(event('order.placed', 'ben', iso(at(4))));
    expect(j.stateOf('ben')).toMatchObject({ status: 'converted' });
    await j.runner.changeLifecycle('nurture', 'resume', at(5));
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.sent()).toEqual([`${iso(at(0))} ben welcome`]);
  });

  it('lets new customers enter, and holds their first email', async () => {
    const j = journeyRunner([nurture()]);
    await j.runner.changeLifecycle('nurture', 'pause', at(0));
    await j.send(lead('cara', iso(at(0, 1))));
    expect(j.stateOf('cara')).toMatchObject({ status: 'active', stepId: 'welcome', held: true });
    expect(j.sent()).toEqual([]);
    await j.runner.changeLifecycle('nurture', 'resume', at(0, 2));
    expect(j.sent()).toEqual([`${iso(at(0, 2))} cara welcome`]);
  });

  it('resumed with --drop-held: the held email is dropped (counted), and the journey goes on from the next step', async () => {
    const j = journeyRunner([nurture()]);
    await j.send(lead('dan', iso(at(0))));
    await j.runner.changeLifecycle('nurture', 'pause', at(1));
    await j.runner.advanceTo(at(3));
    await j.runner.changeLifecycle('nurture', 'resume', at(3), { dropHeld: true });
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    // No second article; the offer three days after the resume.
    expect(j.sent()).toEqual([`${iso(at(0))} dan welcome`, `${iso(at(6))} dan offer`]);
    expect(await j.counter('email.dropped:paused')).toBe(1);
  });

  it('an email held after a --drop-held resume, by a later pause, is sent at the next resume', async () => {
    const j = journeyRunner([nurture()]);
    await j.send(lead('eve', iso(at(0))));
    await j.runner.changeLifecycle('nurture', 'pause', at(1));
    await j.runner.changeLifecycle('nurture', 'resume', at(1, 1), { dropHeld: true });
    await j.runner.changeLifecycle('nurture', 'pause', at(1, 2));
    await j.runner.advanceTo(at(3));
    await j.runner.changeLifecycle('nurture', 'resume', at(3));
    expect(j.sent()).toEqual([`${iso(at(0))} eve welcome`, `${iso(at(3))} eve second`]);
  });
});

describe('an email already on its way to SES when the pause comes', () => {
  /** A welcome in a 09:00–17:00 window, then a long wait; a receipt (no window) from another journey; one counted email a day across both. */
  const welcomeThenWait = defineWorkflow({
    id: 'nurture',
    settings: { sendWindow: { start: '09:00', end: '17:00' } },
    exitOn: [{ 'detail-type': ['customer.deleted'] }],
    steps: {
      welcome: { type: 'email', template: 'article-1', next: 'ten-days' },
      'ten-days': { type: 'wait', duration: 'P10D', next: 'offer' },
      offer: { type: 'email', template: 'offer' },
    },
  });
  const receipts = defineWorkflow({ id: 'receipts', entry: { on: { 'detail-type': ['order.placed'] } }, steps: { receipt: { type: 'email', template: 'article-2' } } });

  /** Ana's welcome is decided on Monday at 10:00 and the pause lands before the send path reads it: held in flight. */
  async function heldInFlight() {
    const runner = new VirtualClockRunner(registryOf([welcomeThenWait, receipts], testContent, { budget: { max: 1, per: 'P1D' } }));
    // Decided (into the outbox), not yet delivered: the pause is applied, and the send path sees it, first.
    await runner.service.apply({ kind: 'event', event: lead('ana', iso(at(0))) }, at(0));
    await runner.changeLifecycle('nurture', 'pause', at(0));
    const counter = async (name: string, workflowId = 'nurture') => (await runner.store.readCounters(workflowId)).filter((r) => r.name === name).reduce((sum, r) => sum + r.value, 0);
    const sent = () => runner.emails().map((e) => `${iso(e.at)} ${e.workflowId}/${e.stepId}`);
    const ledger = async () => (await runner.store.loadCustomer('ana')).budget.sends.map(([t, workflowId, seq]) => `${iso(t)} ${workflowId}#${seq}`);
    expect(sent()).toEqual([]);
    expect(await counter('email.held:in-flight')).toBe(1);
    return { runner, counter, sent, ledger };
  }

  it('goes back to its journey on resume and is decided again: a resume at night sends it when the window opens, and the budget counts it then', async () => {
    const { runner, sent, ledger } = await heldInFlight();
    // Reserved when it was first decided, on Monday.
    expect(await ledger()).toEqual([`${iso(at(0))} nurture#1`]);
    // Resumed on Tuesday at 20:00, outside the window: nothing goes at once.
    await runner.changeLifecycle('nurture', 'resume', at(1, 10));
    expect(sent()).toEqual([]);
    const waiting = [...runner.store.journeys()].find((j) => j.workflowId === 'nurture')!.state;
    expect(waiting.heldEmails).toEqual([expect.objectContaining({ seq: 1, stepId: 'welcome', dueAt: Date.parse('2026-11-04T09:00:00Z') })]);
    // Wednesday 08:00: a receipt from another journey takes the day's one counted email.
    await runner.apply({ at: Date.parse('2026-11-04T08:00:00Z'), order: 1, kind: 'event', event: event('order.placed', 'ana', '2026-11-04T08:00:00Z') });
    await runner.advanceTo(at(4));
    // 09:00 Wednesday is over the budget (the receipt at 08:00): the welcome waits for Thursday 09:00, the first moment both allow.
    expect(sent()).toEqual(['2026-11-04T08:00:00.000Z receipts/receipt', '2026-11-05T09:00:00.000Z nurture/welcome']);
    // Reserved at the moment it went (the receipt has aged out of the day by then).
    expect(await ledger()).toEqual(['2026-11-05T09:00:00.000Z nurture#1']);
    // Once: the same email (seq 1), never again, and the journey went on as before.
    await runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(sent().filter((e) => e.includes('nurture/'))).toEqual(['2026-11-05T09:00:00.000Z nurture/welcome', `${iso(at(10))} nurture/offer`]);
    expect(runner.emails().find((e) => e.stepId === 'welcome')).toMatchObject({ seq: 1 });
  });

  it('a hand-back delivered twice is applied once', async () => {
    const { runner, sent } = await heldInFlight();
    const handBack = { kind: 'held-email' as const, customerId: 'ana', workflowId: 'nurture', email: { seq: 1, version: 1, stepId: 'welcome', stage: null, contentId: 'article-1', at: at(0), decidedAt: at(0) } };
    await runner.changeLifecycle('nurture', 'resume', at(1));
    expect(sent()).toEqual([`${iso(at(1))} nurture/welcome`]);
    // SQS delivers the message again (or a release that crashed hands it back again): nothing more is sent.
    await runner.engine.apply(handBack, at(1) + 60_000);
    await runner.engine.apply(handBack, at(1, 5));
    expect(sent()).toEqual([`${iso(at(1))} nurture/welcome`]);
  });

  it('is dropped (counted) when the customer left the journey during the pause: a deleted customer is not emailed on resume', async () => {
    const { runner, counter, sent, ledger } = await heldInFlight();
    // Deleted at noon, resumed at 14:00 the same day (the day's budget still holds the reservation made at 10:00).
    await runner.apply({ at: at(0, 2), order: 1, kind: 'event', event: event('customer.deleted', 'ana', iso(at(0, 2))) });
    await runner.changeLifecycle('nurture', 'resume', at(0, 4));
    await runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(sent()).toEqual([]);
    expect(await counter('email.dropped:left')).toBe(1);
    expect(await ledger()).toEqual([]);
    expect([...runner.store.journeys()].find((j) => j.workflowId === 'nurture')!.state).toMatchObject({ status: 'exited', heldEmails: [] });
  });

  it('resumed with --drop-held: dropped, counted, and out of the budget; the journey goes on', async () => {
    const { runner, counter, sent, ledger } = await heldInFlight();
    await runner.changeLifecycle('nurture', 'resume', at(1, 10), { dropHeld: true });
    await runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(sent()).toEqual([`${iso(at(10))} nurture/offer`]);
    expect(await counter('email.dropped:paused')).toBe(1);
    expect(await ledger()).toEqual([`${iso(at(10))} nurture#2`]);
  });
});

describe('a stopped journey', () => {
  it('ends every active customer ("exited", counted as stopped) and lets no one enter', async () => {
    const j = journeyRunner([nurture()]);
    await j.send(lead('fay', iso(at(0))));
    await j.send(lead('gus', iso(at(0, 1))));
    const change = await j.runner.changeLifecycle('nurture', 'stop', at(1));
    expect(change.ended).toBe(2);
    expect(j.stateOf('fay')).toMatchObject({ status: 'exited' });
    expect(j.stateOf('gus')).toMatchObject({ status: 'exited' });
    expect(await j.counter('exited:stopped')).toBe(2);

    await j.send(lead('hal', iso(at(2))));
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.stateOf('hal')).toBeUndefined();
    expect(j.sent()).toEqual([`${iso(at(0))} fay welcome`, `${iso(at(0, 1))} gus welcome`]);
  });

  it('lets customers in again once a newer version is deployed', async () => {
    const v1 = nurture();
    const v2 = nurture({ version: 2 });
    const j = journeyRunner([v1]);
    await j.runner.changeLifecycle('nurture', 'stop', at(0));
    await j.send(lead('ian', iso(at(0, 1))));
    expect(j.stateOf('ian')).toBeUndefined();
    await j.runner.deploy(registryOf([v1, v2]), at(1));
    await j.send(lead('ian', iso(at(1, 1))));
    expect(j.stateOf('ian')).toMatchObject({ status: 'active', version: 2 });
  });

  it('cannot be paused (there is nobody to hold); a resume lets customers enter again', async () => {
    const store = new MemoryStore();
    const stopped = nextControl(undefined, 'stop', at(0), 1);
    expect(() => nextControl(stopped, 'pause', at(1), 1)).toThrow(/stopped/);
    expect(nextControl(stopped, 'resume', at(1), 1)).toEqual({ status: 'active', changedAt: at(1) });
    // Nothing was held: releasing is a no-op.
    expect(await releaseHeldWork(store, 'nurture', stopped, at(1), { limit: 10, settleMs: 0, handBack: async () => {} })).toEqual({ released: 0, dropped: 0 });
  });
});

describe('what a pause held is released only once every function has seen the resume', () => {
  it('not before the settling time, and not while paused', async () => {
    const store = new MemoryStore();
    const resumed = { status: 'active' as const, changedAt: at(0) };
    let asked = 0;
    const counting = { ...store, releaseHeld: async () => (asked += 1, 0), releaseHeldEmails: async () => 0, addCounters: async () => {} };
    const options = { limit: 10, settleMs: 35_000, handBack: async () => {} };
    await releaseHeldWork(counting, 'nurture', resumed, at(0) + 10_000, options);
    await releaseHeldWork(counting, 'nurture', { status: 'paused', changedAt: at(0) - DAY }, at(0), options);
    await releaseHeldWork(counting, 'nurture', undefined, at(0), options);
    expect(asked).toBe(0);
    await releaseHeldWork(counting, 'nurture', resumed, at(0) + 40_000, options);
    expect(asked).toBe(1);
  });
});

describe('moving customers to a new version (migrate)', () => {
  const v1 = nurture();
  /** v2: a longer first wait, the second email replaced by a demo, and customers of v1 moved over. */
  const v2 = defineWorkflow({
    id: 'nurture',
    version: 2,
    goal: { on: { 'detail-type': ['order.placed'] } },
    settings: { sendWindow: { start: '09:00', end: '17:00' } },
    migrate: { from: [1], steps: { 'two-days': 'four-days', 'three-days': 'demo' } },
    steps: {
      welcome: { type: 'email', template: 'article-1', next: 'four-days' },
      'four-days': { type: 'wait', duration: 'P4D', next: 'demo' },
      demo: { type: 'email', template: 'demo', next: 'one-day' },
      'one-day': { type: 'wait', duration: 'P1D', next: 'offer' },
      offer: { type: 'email', template: 'offer' },
    },
  });

  it('a customer in a mapped wait keeps its start: the new wait of four days ends four days after they entered it', async () => {
    const j = journeyRunner([v1]);
    await j.send(lead('jo', iso(at(0))));
    // v2 goes live a day in; Jo's v1 timer (two days) wakes them, and they move to the four-day wait begun on Monday.
    await j.runner.deploy(registryOf([v1, v2]), at(1));
    await j.runner.advanceTo(at(3));
    expect(j.stateOf('jo')).toMatchObject({ version: 2, stepId: 'four-days', dueAt: at(4) });
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.sent()).toEqual([`${iso(at(0))} jo welcome`, `${iso(at(4))} jo demo`, `${iso(at(5))} jo offer`]);
    expect(await j.counter('migrated:v1')).toBe(1);
  });

  it('a wait moved to a step of another kind starts that step at the move', async () => {
    const j = journeyRunner([v1]);
    await j.send(lead('kim', iso(at(0))));
    await j.runner.advanceTo(at(2, 1));
    expect(j.stateOf('kim')).toMatchObject({ version: 1, stepId: 'three-days' });
    await j.runner.deploy(registryOf([v1, v2]), at(3));
    // Kim's v1 timer wakes them on Saturday: they move from the three-day wait to the demo email, sent at once.
    await j.runner.advanceTo(at(5, 1));
    expect(j.stateOf('kim')).toMatchObject({ version: 2, stepId: 'one-day', dueAt: at(6) });
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.sent()).toEqual([`${iso(at(0))} kim welcome`, `${iso(at(2))} kim second`, `${iso(at(5))} kim demo`, `${iso(at(6))} kim offer`]);
  });

  it('customers at unmapped steps finish on their version; the listing counts customers by version and those moved', async () => {
    // This v2 maps only the first wait.
    const onlyFirstWait = { ...v2, migrate: { from: [1], steps: { 'two-days': 'four-days' } } };
    const j = journeyRunner([v1]);
    // Lee entered on Saturday and is in the three-day wait (unmapped) when v2 goes live; Mo is in the two-day wait (mapped).
    await j.send(lead('lee', iso(at(-2))));
    await j.send(lead('mo', iso(at(0))));
    await j.runner.deploy(registryOf([v1, onlyFirstWait]), at(1));
    await j.runner.advanceTo(at(2, 1));
    const listing = journeyListing({ id: 'nurture', name: 'Nurture', version: 2 }, undefined, await j.runner.store.readCounters('nurture'));
    expect(listing.activeByVersion).toEqual([
      { version: 2, customers: 1 },
      { version: 1, customers: 1 },
    ]);
    expect(listing.migrated).toEqual([{ from: 1, customers: 1 }]);
    await j.runner.advanceTo(Number.POSITIVE_INFINITY);
    expect(j.stateOf('lee')).toMatchObject({ version: 1, status: 'completed' });
    expect(j.sent().filter((e) => e.includes(' lee '))).toEqual([`${iso(at(-2))} lee welcome`, `${iso(at(0))} lee second`, `${iso(at(3))} lee offer`]);
    const done = journeyListing({ id: 'nurture', name: 'Nurture', version: 2 }, undefined, await j.runner.store.readCounters('nurture'));
    expect(done.activeByVersion).toEqual([]);
  });
});

describe('migrate is validated', () => {
  const base = {
    id: 'nurture',
    name: 'Nurture',
    entry: { on: { 'detail-type': ['lead.captured'] } },
    settings: { from: 'Test <hello@test.example>' },
    start: 'welcome',
    steps: { welcome: { type: 'email', template: 'article-1', next: 'four-days' }, 'four-days': { type: 'wait', duration: 'P4D', next: 'offer' }, offer: { type: 'email', template: 'offer' } },
  };
  const problems = (raw: object) => validateWorkflow(raw, { file: 'nurture.json', catalogue: createCatalogue(testContent) }).problems.map(formatProblem);

  it('from older versions only, onto steps of this version', () => {
    expect(problems({ ...base, version: 2, migrate: { from: [2, 1], steps: { 'two-days': 'four-dayz' } } })).toEqual([
      'nurture.json: $.migrate.from[0]: version 2 is not older than this workflow\'s version (2): customers can only move from older versions',
      'nurture.json: $.migrate.steps.two-days: customers at "two-days" would move to no step named "four-dayz" (did you mean "four-days"?)',
    ]);
    expect(problems({ ...base, version: 2, migrate: { from: [1], steps: {} } })).toEqual(['nurture.json: $.migrate.steps: at least one step to map']);
  });

  it('every mapped old step exists in the older version, when its file is in workflows/archive/', () => {
    const root = mkdtempSync(join(tmpdir(), 'waymark-migrate-'));
    mkdirSync(join(root, 'workflows', 'archive'), { recursive: true });
    mkdirSync(join(root, 'workflows', 'content'));
    writeFileSync(join(root, 'workflows', 'content', 'items.json'), JSON.stringify(testContent));
    const v1 = { ...base, version: 1, steps: { welcome: { type: 'email', template: 'article-1', next: 'two-days' }, 'two-days': { type: 'wait', duration: 'P2D', next: 'offer' }, offer: { type: 'email', template: 'offer' } } };
    writeFileSync(join(root, 'workflows', 'archive', 'nurture-v1.json'), JSON.stringify(v1));
    writeFileSync(join(root, 'workflows', 'nurture.json'), JSON.stringify({ ...base, version: 2, migrate: { from: [1], steps: { 'two-days': 'four-days', 'three-days': 'offer' } } }));
    const loaded = loadWorkflows([join(root, 'workflows')], { displayBase: root });
    const messages = loaded.files.flatMap((f) => f.problems.map(formatProblem));
    expect(messages).toEqual(['workflows/nurture.json: $.migrate.steps.three-days: version 1 of nurture has no step "three-days" (its steps are: "welcome", "two-days", "offer")']);
    expect(loaded.workflows.map((w) => w.version)).toEqual([1]);
  });
});
