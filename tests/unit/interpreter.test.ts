/**
 * The journey interpreter, step type by step type, told as stories: given a
 * workflow, these events and this much time, expect these emails and this state.
 * Everything runs in memory on a virtual clock.
 */
import { describe, expect, it } from 'vitest';
import { compileWorkflow } from '../../lib/engine/compile';
import { createCatalogue } from '../../lib/engine/content';
import { step } from '../../lib/engine/interpreter';
import type { CustomerEvent, JourneyState } from '../../lib/engine/model';
import { click, counter, defineWorkflow, event, lead, play, testContent } from '../support/journeys';

const twoEmails = {
  steps: {
    welcome: { type: 'email', content: { kind: 'article', tags: ['intro'] }, next: 'pause' },
    pause: { type: 'wait', duration: 'P2D', next: 'follow-up' },
    'follow-up': { type: 'email', content: { kind: 'article', tags: ['intro'] } },
  },
};

describe('email steps', () => {
  it('sends the first catalogue item of the kind at once, and a step with no next completes the journey', async () => {
    const played = await play(defineWorkflow({ steps: { welcome: { type: 'email', content: { kind: 'article' } } } }), [
      lead('ana', '2026-11-02T10:00:00Z', { firstName: 'Ana' }),
    ]);
    expect(played.emails).toEqual([
      expect.objectContaining({ at: Date.parse('2026-11-02T10:00:00Z'), customerId: 'ana', stepId: 'welcome', contentId: 'article-1', to: 'ana@example.com', subject: 'Article 1 for Ana' }),
    ]);
    expect(played.customers).toEqual([{ customerId: 'ana', workflowId: 'test-journey', version: 1, status: 'completed', stepId: null, stage: null }]);
  });

  it('never sends a customer the same content twice, and skips the step when the kind is exhausted', async () => {
    const workflow = defineWorkflow({
      steps: {
        a: { type: 'email', content: { kind: 'article', tags: ['intro'] }, next: 'w1' },
        w1: { type: 'wait', duration: 'P1D', next: 'b' },
        b: { type: 'email', content: { kind: 'article', tags: ['intro'] }, next: 'w2' },
        w2: { type: 'wait', duration: 'P1D', next: 'c' },
        c: { type: 'email', content: { kind: 'article', tags: ['intro'] }, next: 'd' },
        d: { type: 'email', template: 'offer' },
      },
    });
    const played = await play(workflow, [lead('ben', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual([
      '2026-11-02T10:00:00.000Z ben a article-1',
      '2026-11-03T10:00:00.000Z ben b article-2',
      // c: both intro articles were sent, so c sends nothing and the journey moves on to d at once
      '2026-11-04T10:00:00.000Z ben d offer',
    ]);
    expect(await counter(played, 'email.skipped:no-content', 'c')).toBe(1);
  });

  it('sends a template (a fixed content id) even when the catalogue would pick another item', async () => {
    const played = await play(defineWorkflow({ steps: { demo: { type: 'email', template: 'demo' } } }), [lead('cara', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z cara demo demo']);
  });

  it('skips an email, and goes on, for a customer without a usable address', async () => {
    const played = await play(defineWorkflow(twoEmails), [event('lead.captured', 'dan', '2026-11-02T10:00:00Z', { profile: { email: 'not an address' } })]);
    expect(played.emails).toEqual([]);
    expect(played.stateOf('dan').status).toBe('completed');
    expect(await counter(played, 'email.skipped:no-address', 'welcome')).toBe(1);
  });

  it('sends nothing to a suppressed address: the customer becomes suppressed', async () => {
    const played = await play(defineWorkflow(twoEmails), [
      {
        id: 'bounce-1',
        source: 'aws.ses',
        'detail-type': 'Email Bounced',
        time: '2026-11-01T00:00:00Z',
        detail: { eventType: 'Bounce', mail: { destination: ['eve@example.com'] }, bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'eve@example.com' }] } },
      },
      lead('eve', '2026-11-02T10:00:00Z'),
    ]);
    expect(played.emails).toEqual([]);
    expect(played.stateOf('eve')).toMatchObject({ status: 'suppressed', stepId: null });
  });
});

describe('wait steps', () => {
  it('waits for a duration, then goes on', async () => {
    const played = await play(defineWorkflow(twoEmails), [lead('ana', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-04T10:00:00.000Z ana follow-up article-2']);
  });

  const waitForClick = defineWorkflow({
    steps: {
      welcome: { type: 'email', template: 'article-1', next: 'clicked?' },
      'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'demo', timeoutNext: 'nudge' },
      demo: { type: 'email', template: 'demo' },
      nudge: { type: 'email', template: 'article-2' },
    },
  });

  it('a matching event before the timeout takes "next", at the event\'s time', async () => {
    const played = await play(waitForClick, [lead('ana', '2026-11-02T10:00:00Z'), click('ana', '2026-11-03T08:30:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-03T08:30:00.000Z ana demo demo']);
  });

  it('no event before the timeout takes "timeoutNext", at the timeout', async () => {
    const played = await play(waitForClick, [lead('ben', '2026-11-02T10:00:00Z'), click('ben', '2026-11-05T10:00:01Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ben welcome article-1', '2026-11-05T10:00:00.000Z ben nudge article-2']);
  });

  it('an event that happened before the wait began does not satisfy it, even when it arrives late', async () => {
    const played = await play(waitForClick, [lead('cara', '2026-11-02T10:00:00Z'), click('cara', '2026-11-02T09:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z cara welcome article-1', '2026-11-05T10:00:00.000Z cara nudge article-2']);
  });

  it('a click on another journey\'s email does not end this journey\'s wait', async () => {
    const played = await play(waitForClick, [lead('dan', '2026-11-02T10:00:00Z'), click('dan', '2026-11-03T10:00:00Z', 'another-journey')]);
    expect(played.sent.at(-1)).toBe('2026-11-05T10:00:00.000Z dan nudge article-2');
  });

  it('a late wake-up runs the steps at the moment it is applied, not at the due time: no backlog at once', () => {
    const workflow = compileWorkflow(defineWorkflow(twoEmails), createCatalogue(testContent));
    const customer = { customerId: 'ana', profile: { email: 'ana@example.com' } };
    const entered = step(workflow, null, { kind: 'event', event: lead('ana', '2026-11-02T10:00:00Z') as CustomerEvent }, Date.parse('2026-11-02T10:00:00Z'), customer);
    // The sweep was down for a week: the wait of two days ended long ago.
    const woken = step(workflow, entered.state, { kind: 'wake' }, Date.parse('2026-11-09T00:00:00Z'), customer);
    const emails = woken.effects.flatMap((e) => (e.type === 'send-email' ? [e.email] : []));
    expect(emails).toEqual([expect.objectContaining({ stepId: 'follow-up', at: Date.parse('2026-11-09T00:00:00Z') })]);
    expect(woken.state?.status).toBe('completed');
  });

  it('a wake-up up to 15 minutes late still fires the timer at its own due time', () => {
    const workflow = compileWorkflow(defineWorkflow(twoEmails), createCatalogue(testContent));
    const customer = { customerId: 'ana', profile: { email: 'ana@example.com' } };
    const entered = step(workflow, null, { kind: 'event', event: lead('ana', '2026-11-02T10:00:00Z') as CustomerEvent }, Date.parse('2026-11-02T10:00:00Z'), customer);
    const woken = step(workflow, entered.state, { kind: 'wake' }, Date.parse('2026-11-04T10:14:00Z'), customer);
    // The email is decided when it is handed on (10:14), the journey's time is the due time.
    expect(woken.effects.flatMap((e) => (e.type === 'send-email' ? [e.email.at] : []))).toEqual([Date.parse('2026-11-04T10:14:00Z')]);
    expect(woken.effects.flatMap((e) => (e.type === 'metric' && e.metric === 'step.entered' ? [e.at] : []))).toEqual([Date.parse('2026-11-04T10:00:00Z')]);
  });
});

describe('branch steps', () => {
  const byPlan = defineWorkflow({
    steps: {
      'trial?': {
        type: 'branch',
        cases: [
          { if: { profile: { plan: ['trial'] } }, next: 'demo' },
          { if: { event: { detail: { score: [{ numeric: ['>=', 9] }] } } }, next: 'survey' },
        ],
        else: 'offer',
      },
      demo: { type: 'email', template: 'demo' },
      survey: { type: 'email', template: 'survey' },
      offer: { type: 'email', template: 'offer' },
    },
  });

  it('takes the first case whose pattern matches the profile, the event or the journey; else "else"', async () => {
    const played = await play(byPlan, [
      lead('trial-user', '2026-11-02T10:00:00Z', { plan: ['trial'] }),
      event('lead.captured', 'fan', '2026-11-02T10:00:00Z', { score: 10, profile: { email: 'fan@example.com' } }),
      lead('someone', '2026-11-02T10:00:00Z'),
    ]);
    expect(played.sent.sort()).toEqual([
      '2026-11-02T10:00:00.000Z fan survey survey',
      '2026-11-02T10:00:00.000Z someone offer offer',
      '2026-11-02T10:00:00.000Z trial-user demo demo',
    ]);
  });

  it('can branch on journey counters, such as clicks so far', async () => {
    const engaged = defineWorkflow({
      steps: {
        welcome: { type: 'email', template: 'article-1', next: 'wait' },
        wait: { type: 'wait', duration: 'P2D', next: 'engaged?' },
        'engaged?': { type: 'branch', cases: [{ if: { journey: { clicks: [{ numeric: ['>', 0] }] } }, next: 'demo' }], else: 'offer' },
        demo: { type: 'email', template: 'demo' },
        offer: { type: 'email', template: 'offer' },
      },
    });
    const played = await play(engaged, [lead('clicker', '2026-11-02T10:00:00Z'), lead('quiet', '2026-11-02T10:00:00Z'), click('clicker', '2026-11-02T12:00:00Z')]);
    expect(played.sent.filter((s) => !s.includes('welcome')).sort()).toEqual(['2026-11-04T10:00:00.000Z clicker demo demo', '2026-11-04T10:00:00.000Z quiet offer offer']);
  });
});

describe('split and holdout steps', () => {
  const ab = defineWorkflow({
    steps: {
      ab: { type: 'split', paths: [{ weight: 70, next: 'demo' }, { weight: 30, next: 'offer' }, { weight: 0, next: 'survey' }] },
      demo: { type: 'email', template: 'demo' },
      offer: { type: 'email', template: 'offer' },
      survey: { type: 'email', template: 'survey' },
    },
  });
  const customers = Array.from({ length: 2000 }, (_, i) => `customer-${i}`);

  it('chooses a path in proportion to the weights, by a stable hash of the customer', async () => {
    const played = await play(ab, customers.map((id) => lead(id, '2026-11-02T10:00:00Z')));
    const share = (content: string) => played.emails.filter((e) => e.contentId === content).length / customers.length;
    expect(share('demo')).toBeGreaterThan(0.66);
    expect(share('demo')).toBeLessThan(0.74);
    expect(share('survey')).toBe(0);
    // The same customers take the same paths on a second run.
    const again = await play(ab, customers.map((id) => lead(id, '2026-11-03T10:00:00Z')));
    expect(again.emails.map((e) => `${e.customerId}:${e.contentId}`).sort()).toEqual(played.emails.map((e) => `${e.customerId}:${e.contentId}`).sort());
  });

  it('holds out that share of customers with status "holdout" and sends them nothing', async () => {
    const held = defineWorkflow({ steps: { control: { type: 'holdout', percent: 10, next: 'welcome' }, welcome: { type: 'email', template: 'article-1' } } });
    const played = await play(held, customers.map((id) => lead(id, '2026-11-02T10:00:00Z')));
    const holdout = played.customers.filter((c) => c.status === 'holdout').map((c) => c.customerId);
    expect(holdout.length / customers.length).toBeGreaterThan(0.08);
    expect(holdout.length / customers.length).toBeLessThan(0.12);
    expect(played.emails.some((e) => holdout.includes(e.customerId))).toBe(false);
    expect(await counter(played, 'holdout', 'control')).toBe(holdout.length);
  });
});

describe('stages', () => {
  it('tracks the stage set by steps, with the time each stage was entered, and counts time spent in each', async () => {
    const staged = defineWorkflow({
      steps: {
        welcome: { type: 'email', stage: 'awareness', template: 'article-1', next: 'wait' },
        wait: { type: 'wait', duration: 'P3D', next: 'consider' },
        consider: { type: 'stage', stage: 'consideration', next: 'wait-2' },
        'wait-2': { type: 'wait', duration: 'P1D', next: 'bye' },
        bye: { type: 'exit' },
      },
    });
    const played = await play(staged, [lead('ana', '2026-11-02T10:00:00Z')]);
    const state = played.stateOf('ana');
    expect(state.stage).toBe('consideration');
    expect(state.stages).toEqual([
      ['awareness', Date.parse('2026-11-02T10:00:00Z')],
      ['consideration', Date.parse('2026-11-05T10:00:00Z')],
    ]);
    expect(state.status).toBe('completed');
    expect(await counter(played, 'stage.time', 'stage:awareness')).toBe(3 * 86_400_000);
    expect(await counter(played, 'stage.time', 'stage:consideration')).toBe(86_400_000);
  });
});

describe('entry and re-entry', () => {
  const once = (reentry: unknown) =>
    defineWorkflow({ entry: { on: { 'detail-type': ['lead.captured'] }, reentry: reentry as 'never' }, steps: { welcome: { type: 'email', template: 'article-1', next: 'w' }, w: { type: 'wait', duration: 'P10D', next: 'end' }, end: { type: 'exit' } } });

  it('"never": a customer enters a workflow once', async () => {
    const played = await play(once('never'), [lead('ana', '2026-11-02T10:00:00Z'), lead('ana', '2026-12-20T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1']);
    expect(played.stateOf('ana').entries).toBe(1);
  });

  it('"after-exit": enters again once the previous run is over, never while in it', async () => {
    const played = await play(once('after-exit'), [lead('ana', '2026-11-02T10:00:00Z'), lead('ana', '2026-11-05T10:00:00Z'), lead('ana', '2026-11-20T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-20T10:00:00.000Z ana welcome article-1']);
    expect(played.stateOf('ana').entries).toBe(2);
  });

  it('{"after": "P30D"}: enters again only when that long has passed since the last entry', async () => {
    const played = await play(once({ after: 'P30D' }), [lead('ana', '2026-11-02T10:00:00Z'), lead('ana', '2026-11-20T10:00:00Z'), lead('ana', '2026-12-03T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-12-03T10:00:00.000Z ana welcome article-1']);
  });

  it('an older event arriving late never rewinds a finished customer', async () => {
    const played = await play(once('after-exit'), [lead('ana', '2026-11-02T10:00:00Z'), lead('ana', '2026-11-03T10:00:00Z')], { until: '2026-11-30T00:00:00Z' });
    // The second lead (Nov 3) happened while Ana was in the journey: it does not start a new run after she finished.
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1']);
    expect(played.stateOf('ana').status).toBe('completed');
  });
});

describe('goal and exitOn', () => {
  const withGoal = (then: string) =>
    defineWorkflow({
      goal: { on: { 'detail-type': ['order.placed'] }, stage: 'purchase', then },
      exitOn: [{ 'detail-type': ['customer.deleted'] }],
      steps: then === 'exit' ? twoEmails.steps : { ...twoEmails.steps, thanks: { type: 'email', template: 'survey' } },
    });

  it('a goal event converts the customer: counted, stage set, and the customer exits with status "converted"', async () => {
    const played = await play(withGoal('exit'), [lead('ana', '2026-11-02T10:00:00Z'), event('order.placed', 'ana', '2026-11-03T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1']);
    expect(played.stateOf('ana')).toMatchObject({ status: 'converted', stage: 'purchase', convertedAt: Date.parse('2026-11-03T10:00:00Z'), dueAt: null });
    // Credited to the email before it (within the default 7-day attribution window), not to the wait Ana was in.
    expect(await counter(played, 'converted', 'welcome')).toBe(1);
  });

  it('a goal with a step id jumps there instead, and converts only once', async () => {
    const played = await play(withGoal('thanks'), [
      lead('ana', '2026-11-02T10:00:00Z'),
      event('order.placed', 'ana', '2026-11-03T10:00:00Z'),
      event('order.placed', 'ana', '2026-11-03T11:00:00Z'),
    ]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-03T10:00:00.000Z ana thanks survey']);
    expect(played.stateOf('ana').status).toBe('completed');
    expect(await counter(played, 'converted', 'welcome')).toBe(1);
  });

  it('an exitOn event removes the customer at once, with status "exited", and cancels their timers', async () => {
    const played = await play(withGoal('exit'), [lead('ana', '2026-11-02T10:00:00Z'), event('customer.deleted', 'ana', '2026-11-03T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1']);
    expect(played.stateOf('ana')).toMatchObject({ status: 'exited', stepId: null, dueAt: null, finishedAt: Date.parse('2026-11-03T10:00:00Z') });
  });
});

describe('conversions: credited to an email, with revenue, per experiment group', () => {
  const nurture = (goal: Record<string, unknown> = {}) =>
    defineWorkflow({
      goal: { on: { 'detail-type': ['order.placed'] }, then: 'exit', value: 'detail.amount', attributionWindow: 'P1D', ...goal },
      steps: {
        welcome: { type: 'email', template: 'article-1', next: 'pause' },
        pause: { type: 'wait', duration: 'P2D', next: 'follow-up' },
        'follow-up': { type: 'email', template: 'article-2', next: 'linger' },
        linger: { type: 'wait', duration: 'P10D', next: 'survey' },
        survey: { type: 'email', template: 'survey' },
      },
    });
  const order = (customerId: string, time: string, amount?: unknown) => event('order.placed', customerId, time, amount === undefined ? {} : { amount });

  it('credits a conversion to the last email sent within the attribution window, else to no email ("_"), and sums goal.value as revenue', async () => {
    const played = await play(nurture(), [
      lead('ana', '2026-11-02T10:00:00Z'),
      order('ana', '2026-11-02T20:00:00Z', 40), // 10 hours after the welcome
      lead('ben', '2026-11-02T10:00:00Z'),
      order('ben', '2026-11-04T12:00:00Z', '25.50'), // 2 hours after the follow-up (sent Nov 4 10:00); a numeric string counts
      lead('cara', '2026-11-02T10:00:00Z'),
      order('cara', '2026-11-07T10:00:00Z'), // 3 days after the follow-up: outside the 1-day window; and no amount
    ]);
    expect(await counter(played, 'converted', 'welcome')).toBe(1);
    expect(await counter(played, 'revenue', 'welcome')).toBe(40);
    expect(await counter(played, 'converted', 'follow-up')).toBe(1);
    expect(await counter(played, 'revenue', 'follow-up')).toBe(25.5);
    expect(await counter(played, 'converted', '_')).toBe(1);
    expect(await counter(played, 'revenue', '_')).toBe(0);
    // Never credited to a wait step, whatever step the customer rested at.
    expect(await counter(played, 'converted', 'pause')).toBe(0);
    expect(await counter(played, 'converted', 'linger')).toBe(0);
    expect(played.warnings).toContainEqual(
      expect.objectContaining({ customerId: 'cara', code: 'goal-value-unreadable', message: expect.stringContaining("detail.amount is missing: the conversion was counted without a value") }),
    );
  });

  it('counts a goal reached within the attribution window after completing the journey; the customer stays completed', async () => {
    const played = await play(nurture({ attributionWindow: 'P2D' }), [
      lead('dan', '2026-11-02T10:00:00Z'), // completes Nov 14 10:00 with the survey (follow-up Nov 4, then 10 days)
      order('dan', '2026-11-15T10:00:00Z', 30), // a day after completing: counted
      lead('eve', '2026-11-02T10:00:00Z'),
      order('eve', '2026-11-17T10:00:00Z', 30), // three days after: not the journey's any more
    ]);
    expect(played.stateOf('dan')).toMatchObject({ status: 'completed', convertedAt: Date.parse('2026-11-15T10:00:00Z') });
    expect(played.stateOf('eve')).toMatchObject({ status: 'completed', convertedAt: null });
    // Credited to the survey, the last email, a day before.
    expect(await counter(played, 'converted', 'survey')).toBe(1);
    expect(await counter(played, 'revenue', 'survey')).toBe(30);
  });

  it('counts every split path\'s customers and their conversions and revenue, so the paths can be compared', async () => {
    const ab = defineWorkflow({
      goal: { on: { 'detail-type': ['order.placed'] }, then: 'exit', value: 'detail.amount' },
      steps: {
        ab: { type: 'split', paths: [{ weight: 50, next: 'demo' }, { weight: 50, next: 'offer' }] },
        demo: { type: 'email', template: 'demo' },
        offer: { type: 'email', template: 'offer' },
      },
    });
    const customers = Array.from({ length: 200 }, (_, i) => `customer-${i}`);
    // Everyone enters; the customers on the offer path buy for 20 a day later, those on the demo path do not.
    const entered = await play(ab, customers.map((id) => lead(id, '2026-11-02T10:00:00Z')));
    const onOffer = entered.emails.filter((e) => e.contentId === 'offer').map((e) => e.customerId);
    const played = await play(ab, [...customers.map((id) => lead(id, '2026-11-02T10:00:00Z')), ...onOffer.map((id) => order(id, '2026-11-03T10:00:00Z', 20))]);
    expect(await counter(played, 'assigned:demo', 'ab')).toBe(customers.length - onOffer.length);
    expect(await counter(played, 'assigned:offer', 'ab')).toBe(onOffer.length);
    expect(await counter(played, 'converted.path:offer', 'ab')).toBe(onOffer.length);
    expect(await counter(played, 'converted.path:demo', 'ab')).toBe(0);
    expect(await counter(played, 'revenue.path:offer', 'ab')).toBe(20 * onOffer.length);
    expect(await counter(played, 'converted', 'offer')).toBe(onOffer.length);
  });

  it('a holdout is a control group: held-out customers\' conversions are counted too, as long as a treated customer is watched', async () => {
    const held = defineWorkflow({
      goal: { on: { 'detail-type': ['order.placed'] }, then: 'exit', attributionWindow: 'P1D' },
      steps: {
        control: { type: 'holdout', percent: 50, next: 'welcome' },
        welcome: { type: 'email', template: 'article-1', next: 'pause' },
        pause: { type: 'wait', duration: 'P3D', next: 'offer' },
        offer: { type: 'email', template: 'offer' },
      },
    });
    const customers = Array.from({ length: 100 }, (_, i) => `customer-${i}`);
    const entered = await play(held, customers.map((id) => lead(id, '2026-11-02T10:00:00Z')));
    const heldOut = entered.customers.filter((c) => c.status === 'holdout').map((c) => c.customerId);
    const treated = customers.filter((id) => !heldOut.includes(id));
    // A treated customer can convert for up to 3 days in the journey plus a day after: so is a held-out one.
    const [late, tooLate] = [heldOut[0]!, heldOut[1]!];
    const played = await play(held, [
      ...customers.map((id) => lead(id, '2026-11-02T10:00:00Z')),
      ...treated.slice(0, 10).map((id) => order(id, '2026-11-03T10:00:00Z')),
      order(late, '2026-11-06T09:00:00Z'),
      order(tooLate, '2026-11-06T11:00:00Z'),
    ]);
    expect(await counter(played, 'assigned:holdout', 'control')).toBe(heldOut.length);
    expect(await counter(played, 'assigned:journey', 'control')).toBe(treated.length);
    expect(await counter(played, 'converted.path:journey', 'control')).toBe(10);
    expect(await counter(played, 'converted.path:holdout', 'control')).toBe(1);
    expect(played.stateOf(late)).toMatchObject({ status: 'holdout', convertedAt: Date.parse('2026-11-06T09:00:00Z') });
    expect(played.stateOf(tooLate)).toMatchObject({ status: 'holdout', convertedAt: null });
    expect(played.emails.some((e) => heldOut.includes(e.customerId))).toBe(false);
  });
});

describe('send windows and frequency caps', () => {
  const weekdays = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '18:00' };

  it('an email due outside the window waits for it to open, in the customer\'s time zone', async () => {
    const played = await play(defineWorkflow({ settings: { sendWindow: weekdays, timezone: 'UTC' }, steps: twoEmails.steps }), [
      // Saturday 10:00 in New York: the email waits for Monday 09:00 New York time (14:00 UTC, after the clocks went back on Nov 1).
      lead('ny', '2026-10-31T14:00:00Z', { timezone: 'America/New_York' }),
      // Saturday 10:00 in Paris (09:00 UTC): Monday 09:00 Paris is 08:00 UTC (CET since Oct 25).
      lead('paris', '2026-10-31T09:00:00Z', { timezone: 'Europe/Paris' }),
      // An invalid zone falls back to the workflow's (UTC).
      lead('nowhere', '2026-10-31T10:00:00Z', { timezone: 'Mars/Olympus' }),
    ]);
    expect(played.sent.filter((s) => s.includes('welcome')).sort()).toEqual([
      '2026-11-02T08:00:00.000Z paris welcome article-1',
      '2026-11-02T09:00:00.000Z nowhere welcome article-1',
      '2026-11-02T14:00:00.000Z ny welcome article-1',
    ]);
  });

  it('keeps local send times across a daylight-saving change', async () => {
    const daily = defineWorkflow({
      settings: { sendWindow: { start: '09:00', end: '10:00' }, timezone: 'America/New_York' },
      steps: {
        a: { type: 'email', template: 'article-1', next: 'w1' },
        w1: { type: 'wait', duration: 'P1D', next: 'b' },
        b: { type: 'email', template: 'article-2', next: 'w2' },
        w2: { type: 'wait', duration: 'P1D', next: 'c' },
        c: { type: 'email', template: 'article-3' },
      },
    });
    // 09:30 EDT on Saturday Oct 31; the clocks go back on Sunday Nov 1 at 02:00.
    const played = await play(daily, [lead('ana', '2026-10-31T13:30:00Z')]);
    expect(played.sent).toEqual([
      '2026-10-31T13:30:00.000Z ana a article-1', // 09:30 EDT
      '2026-11-01T14:00:00.000Z ana b article-2', // 24 h later is 08:30 EST: waits for 09:00 EST
      '2026-11-02T14:00:00.000Z ana c article-3', // 09:00 EST
    ]);
  });

  it('a frequency cap defers an email until it would not exceed the cap (rolling window), and the journey goes on from the send time', async () => {
    const capped = defineWorkflow({
      settings: { frequencyCap: { max: 1, per: 'P1D' } },
      steps: {
        a: { type: 'email', template: 'article-1', next: 'b' },
        b: { type: 'email', template: 'article-2', next: 'w' },
        w: { type: 'wait', duration: 'PT1H', next: 'c' },
        c: { type: 'email', template: 'article-3' },
      },
    });
    const played = await play(capped, [lead('ana', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual([
      '2026-11-02T10:00:00.000Z ana a article-1',
      '2026-11-03T10:00:00.000Z ana b article-2',
      '2026-11-04T10:00:00.000Z ana c article-3',
    ]);
    expect(await counter(played, 'email.deferred:cap', 'b')).toBe(1);
    expect(await counter(played, 'email.deferred:cap', 'c')).toBe(1);
  });

  it('a deferred email holds the customer at its step', async () => {
    const played = await play(defineWorkflow({ settings: { sendWindow: weekdays }, steps: twoEmails.steps }), [lead('ana', '2026-10-31T12:00:00Z')], {
      until: '2026-11-01T12:00:00Z',
    });
    expect(played.stateOf('ana')).toMatchObject({ status: 'active', stepId: 'welcome', dueAt: Date.parse('2026-11-02T09:00:00Z') });
    expect(played.emails).toEqual([]);
  });
});

describe('redelivery and ordering', () => {
  it('a redelivered event (same id) changes nothing, even after other events', async () => {
    const workflow = defineWorkflow({
      steps: {
        welcome: { type: 'email', template: 'article-1', next: 'clicked?' },
        'clicked?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'demo', timeoutNext: 'nudge' },
        demo: { type: 'email', template: 'demo', next: 'again?' },
        'again?': { type: 'wait', until: { on: { 'detail-type': ['Email Clicked'] }, timeout: 'P3D' }, next: 'offer', timeoutNext: 'nudge' },
        offer: { type: 'email', template: 'offer' },
        nudge: { type: 'email', template: 'article-2' },
      },
    });
    const first = click('ana', '2026-11-02T11:00:00Z');
    const clean = await play(workflow, [lead('ana', '2026-11-02T10:00:00Z'), first]);
    const redelivered = await play(workflow, [lead('ana', '2026-11-02T10:00:00Z'), first, { ...first, time: '2026-11-02T12:00:00Z' }]);
    expect(redelivered.sent).toEqual(clean.sent);
    expect(redelivered.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-02T11:00:00.000Z ana demo demo', '2026-11-05T11:00:00.000Z ana nudge article-2']);
  });

  it('an event put again with a new envelope id but the same detail.eventId (a retried put, a list imported twice) is applied once', async () => {
    const workflow = defineWorkflow({
      entry: { on: { 'detail-type': ['lead.captured'] }, reentry: 'after-exit' },
      steps: { welcome: { type: 'email', template: 'article-1', next: 'wait' }, wait: { type: 'wait', duration: 'P5D', next: 'bye' }, bye: { type: 'email', template: 'article-2' } },
    });
    const joined = (id: string, eventId: string | undefined, time: string) => ({ ...lead('ana', time), id, detail: { customerId: 'ana', profile: { email: 'ana@example.com' }, ...(eventId ? { eventId } : {}) } });
    const played = await play(workflow, [joined('eb-1', 'row-7', '2026-11-02T10:00:00Z'), joined('eb-2', 'row-7', '2026-11-08T10:00:00Z'), joined('eb-3', 'row-8', '2026-11-09T10:00:00Z')]);
    // eb-2 is eb-1 put again after the journey ended (same eventId): it would re-enter ana, and is a duplicate.
    // eb-3 is a new event: ana enters again.
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-11-07T10:00:00.000Z ana bye article-2', '2026-11-09T10:00:00.000Z ana welcome article-1', '2026-11-14T10:00:00.000Z ana bye article-2']);
  });

  it('counts unique opens and clicks per email: a click implies an open', async () => {
    const workflow = defineWorkflow({ steps: { welcome: { type: 'email', template: 'article-1', next: 'w' }, w: { type: 'wait', duration: 'P5D', next: 'end' }, end: { type: 'exit' } } });
    const engagement = (type: string, id: string, time: string) => ({ id, source: 'aws.ses', 'detail-type': type, time, detail: { customerId: 'ana', workflowId: 'test-journey', stepId: 'welcome', emailSeq: 1 } });
    const played = await play(workflow, [
      lead('ana', '2026-11-02T10:00:00Z'),
      engagement('Email Clicked', 'c1', '2026-11-02T11:00:00Z'),
      engagement('Email Opened', 'o1', '2026-11-02T11:01:00Z'),
      engagement('Email Clicked', 'c2', '2026-11-02T11:02:00Z'),
    ]);
    expect(await counter(played, 'email.opened', 'welcome')).toBe(1);
    expect(await counter(played, 'email.clicked', 'welcome')).toBe(1);
    expect(played.stateOf('ana')).toMatchObject({ opens: 1, clicks: 1 });
  });
});

describe('per-step counters', () => {
  it('counts entries (with the channel), steps entered, emails sent, customers waiting and completions', async () => {
    const played = await play(defineWorkflow(twoEmails), [
      event('lead.captured', 'ana', '2026-11-02T10:00:00Z', { channel: 'webinar', profile: { email: 'ana@example.com' } }),
      lead('ben', '2026-11-02T10:00:00Z'),
    ], { until: '2026-11-03T00:00:00Z' });
    expect(await counter(played, 'entered:webinar')).toBe(1);
    expect(await counter(played, 'entered:test.app')).toBe(1);
    expect(await counter(played, 'step.entered', 'welcome')).toBe(2);
    expect(await counter(played, 'email.sent', 'welcome')).toBe(2);
    expect(await counter(played, 'waiting', 'pause')).toBe(2);
    const finished = await play(defineWorkflow(twoEmails), [lead('ana', '2026-11-02T10:00:00Z')]);
    expect(await counter(finished, 'waiting', 'pause')).toBe(0);
    expect(await counter(finished, 'completed', 'follow-up')).toBe(1);
  });
});

describe('the pure step function', () => {
  const workflow = compileWorkflow(defineWorkflow(twoEmails), createCatalogue(testContent));
  const input = { kind: 'event' as const, event: lead('ana', '2026-11-02T10:00:00Z') as CustomerEvent };
  const context = { customerId: 'ana', profile: { email: 'ana@example.com' } };
  const now = Date.parse('2026-11-02T10:00:00Z');

  it('returns the next state and the effects, and carries out none of them', () => {
    const result = step(workflow, null, input, now, context);
    expect(result.outcome).toBe('applied');
    expect(result.effects.map((e) => e.type)).toEqual(expect.arrayContaining(['send-email', 'schedule', 'metric', 'emit']));
    expect(result.state).toMatchObject({ status: 'active', stepId: 'pause', dueAt: Date.parse('2026-11-04T10:00:00Z') });
  });

  it('is deterministic and does not modify the state it is given', () => {
    const entered = step(workflow, null, input, now, context).state as JourneyState;
    const snapshot = structuredClone(entered);
    const later = Date.parse('2026-11-05T00:00:00Z');
    const first = step(workflow, entered, { kind: 'wake' }, later, context);
    const second = step(workflow, entered, { kind: 'wake' }, later, context);
    expect(first).toEqual(second);
    expect(entered).toEqual(snapshot);
  });

  it('ignores an input that concerns nothing in the workflow, returning the same state object', () => {
    const entered = step(workflow, null, input, now, context).state as JourneyState;
    const unrelated = step(workflow, entered, { kind: 'event', event: event('page.viewed', 'ana', '2026-11-02T11:00:00Z') as CustomerEvent }, now + 3_600_000, context);
    expect(unrelated).toEqual({ outcome: 'ignored', state: entered, effects: [] });
    const early = step(workflow, entered, { kind: 'wake' }, now + 1000, context);
    expect(early.outcome).toBe('ignored');
  });
});

describe('customer ids', () => {
  it('an event whose customerId is over 180 bytes is rejected with the reason (it could not be tagged on an email)', async () => {
    const { parseCustomerEvent } = await import('../../lib/engine/events');
    const verdict = parseCustomerEvent(lead('ü'.repeat(91), '2026-11-02T10:00:00Z'));
    expect(verdict).toEqual({ ok: false, reason: expect.stringContaining('detail.customerId: at most 180 bytes') });
  });
});

describe('waiting until a moment (wait.at)', () => {
  const untilChristmas = defineWorkflow({
    steps: {
      welcome: { type: 'email', template: 'article-1', next: 'christmas' },
      christmas: { type: 'wait', at: '2026-12-24T09:00:00Z', next: 'offer' },
      offer: { type: 'email', template: 'offer' },
    },
  });
  const beforeRenewal = defineWorkflow({
    settings: { timezone: 'Europe/Berlin' },
    steps: {
      'week-before': { type: 'wait', at: { attribute: 'profile.renewsAt', offset: '-P7D' }, next: 'reminder' },
      reminder: { type: 'email', template: 'offer' },
    },
  });

  it('waits until a fixed instant, then goes on', async () => {
    const played = await play(untilChristmas, [lead('ana', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z ana welcome article-1', '2026-12-24T09:00:00.000Z ana offer offer']);
  });

  it('a moment already past goes on at once, and is counted', async () => {
    const played = await play(untilChristmas, [lead('ben', '2026-12-27T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-12-27T10:00:00.000Z ben welcome article-1', '2026-12-27T10:00:00.000Z ben offer offer']);
    expect(await counter(played, 'wait.skipped:past', 'christmas')).toBe(1);
  });

  it('a date in the profile is midnight in the customer\'s time zone, shifted by the offset', async () => {
    const played = await play(beforeRenewal, [lead('cara', '2026-11-02T10:00:00Z', { renewsAt: '2027-01-15', timezone: 'America/New_York' })]);
    // 2027-01-08 00:00 in New York is 05:00 UTC.
    expect(played.sent).toEqual(['2027-01-08T05:00:00.000Z cara reminder offer']);
  });

  it('an instant in the profile is used as is; without a zone in the customer data it is their wall time', async () => {
    const played = await play(beforeRenewal, [lead('dan', '2026-11-02T10:00:00Z', { renewsAt: '2027-01-15T12:30:00Z' }), lead('eve', '2026-11-02T10:00:00Z', { renewsAt: '2027-01-15T12:30' })]);
    // Eve has no time zone: the workflow's (Berlin, UTC+1 in January).
    expect(played.sent).toEqual(['2027-01-08T11:30:00.000Z eve reminder offer', '2027-01-08T12:30:00.000Z dan reminder offer']);
  });

  it('a missing or unreadable attribute goes on at once, with a warning naming it, and is counted', async () => {
    const played = await play(beforeRenewal, [lead('fay', '2026-11-02T10:00:00Z', { renewsAt: 'next spring' }), lead('gus', '2026-11-02T10:00:00Z')]);
    expect(played.sent).toEqual(['2026-11-02T10:00:00.000Z fay reminder offer', '2026-11-02T10:00:00.000Z gus reminder offer']);
    expect(played.warnings.map((w) => `${w.customerId} ${w.code} ${w.message}`)).toEqual([
      'fay wait-at-unreadable profile.renewsAt is missing or not an ISO date or instant: the wait at step "week-before" was skipped',
      'gus wait-at-unreadable profile.renewsAt is missing or not an ISO date or instant: the wait at step "week-before" was skipped',
    ]);
    expect(await counter(played, 'wait.skipped:unreadable', 'week-before')).toBe(2);
  });

  it('reads the event that led to the step', async () => {
    const byDelivery = defineWorkflow({
      entry: { on: { 'detail-type': ['order.shipped'] } },
      steps: {
        delivered: { type: 'wait', at: { attribute: 'event.detail.deliveryDate', offset: 'PT10H' }, next: 'review' },
        review: { type: 'email', template: 'survey' },
      },
    });
    const played = await play(byDelivery, [event('order.shipped', 'hal', '2026-11-02T10:00:00Z', { deliveryDate: '2026-11-05', profile: { email: 'hal@example.com' } })]);
    expect(played.sent).toEqual(['2026-11-05T10:00:00.000Z hal review survey']);
  });
});

describe('pinned paths (scenarios that test one variant)', () => {
  it('a pinned split takes the named path and a pinned holdout holds out or not, whatever the hash says', () => {
    const workflow = compileWorkflow(
      defineWorkflow({
        steps: {
          control: { type: 'holdout', percent: 50, next: 'ab' },
          ab: { type: 'split', paths: [{ weight: 99, next: 'demo' }, { weight: 1, next: 'offer' }] },
          demo: { type: 'email', template: 'demo' },
          offer: { type: 'email', template: 'offer' },
        },
      }),
      createCatalogue(testContent),
    );
    const entered = (pins: { splits?: Record<string, string>; holdout?: boolean }) =>
      step(workflow, null, { kind: 'event', event: lead('ana', '2026-11-02T10:00:00Z') as CustomerEvent }, Date.parse('2026-11-02T10:00:00Z'), { customerId: 'ana', profile: { email: 'ana@example.com' }, pins });
    expect(entered({ holdout: true }).state?.status).toBe('holdout');
    const offer = entered({ holdout: false, splits: { ab: 'offer' } });
    expect(offer.effects.flatMap((e) => (e.type === 'send-email' ? [e.email.contentId] : []))).toEqual(['offer']);
    // A pin naming no path of the split is ignored: the hash decides.
    const unknown = entered({ holdout: false, splits: { ab: 'nowhere' } });
    expect(unknown.state?.status).toBe('completed');
  });
});
