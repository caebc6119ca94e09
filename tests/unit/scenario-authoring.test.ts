/**
 * Writing scenarios: pinning a split's path or the holdout instead of guessing customer ids until
 * the hash lands; expectations and pins that name what the workflow lacks are errors that say what
 * was meant; events no pattern matches, and customer data the engine could not use, are warnings;
 * a wrong subject shows the actual one; what the send budget across journeys did is shown, and
 * `expect.budget` checks it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeBudget, formatFileResult } from '../../lib/cli/test-command';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { runScenarioFile, type ScenarioFileResult } from '../../lib/scenarios/run-scenario';

const loaded = loadValidWorkflows(['workflows']);
const registry = new WorkflowRegistry(loaded.workflows, loaded.catalogue);

type Json = any;

/** Runs scenarios of the sample nurture journey (a 5% holdout first; later an A/B split "demo-or-offer" between "demo" and "offer"). */
async function runNurture(scenarios: Json[], customer: Json = { profile: { email: 'lead@example.com', firstName: 'Sam', timezone: 'America/New_York' } }, workflows = registry): Promise<ScenarioFileResult> {
  const path = join(mkdtempSync(join(tmpdir(), 'waymark-scenario-')), 'nurture.test.json');
  writeFileSync(path, JSON.stringify({ workflow: 'cold-traffic-nurture', start: '2026-11-02T14:00:00Z', customer, scenarios }));
  return runScenarioFile(path, { registry: workflows });
}

const text = (result: ScenarioFileResult) => formatFileResult(result).join('\n').replace(/\u001b\[[0-9;]*m/g, '');

/** A lead who clicks the first article, then goes silent: after the customer stories, the A/B split decides. */
const clickThenSilence = (name: string, more: Json): Json => ({
  name,
  events: [
    { at: '+0', type: 'lead.captured' },
    { at: '+1d', type: 'Email Clicked' },
  ],
  ...more,
});
const upToTheSplit = [{ step: 'welcome', at: '+0' }, { step: 'guide', at: '+1d' }, { step: 'testimonial', at: '+3d' }, { step: 'case-study', at: '+7d' }];

describe('pinning the A/B split', () => {
  it('each path of the split, whatever the customer id: "ana" is hashed to the demo, "dev" to the offer', async () => {
    const result = await runNurture([
      clickThenSilence('unpinned, ana takes the demo', { customer: { id: 'ana' }, expect: { emails: [...upToTheSplit, { step: 'demo', at: '+10d' }, { step: 'offer', at: '+14d' }] } }),
      clickThenSilence('unpinned, dev takes the offer', { customer: { id: 'dev' }, expect: { emails: [...upToTheSplit, { step: 'offer', at: '+10d' }] } }),
      clickThenSilence('ana pinned to the offer', { customer: { id: 'ana' }, splits: { 'demo-or-offer': 'offer' }, expect: { emails: [...upToTheSplit, { step: 'offer', at: '+10d' }] } }),
      clickThenSilence('dev pinned to the demo', { customer: { id: 'dev', splits: { 'demo-or-offer': 'demo' } }, expect: { emails: [...upToTheSplit, { step: 'demo', at: '+10d' }, { step: 'offer', at: '+14d' }] } }),
    ]);
    expect(result.problems).toEqual([]);
    expect(result.scenarios.map((s) => [s.name, s.passed]), text(result)).toEqual([
      ['unpinned, ana takes the demo', true],
      ['unpinned, dev takes the offer', true],
      ['ana pinned to the offer', true],
      ['dev pinned to the demo', true],
    ]);
  });

  it('pins the scenario\'s customer only: another customer in the scenario still takes the hash', async () => {
    const result = await runNurture([
      {
        name: 'ana pinned to the offer, dev beside her unpinned',
        customer: { id: 'ana' },
        splits: { 'demo-or-offer': 'offer' },
        events: [
          { at: '+0', type: 'lead.captured' },
          { at: '+0', type: 'lead.captured', customer: 'dev', profile: { email: 'dev@example.com' } },
          { at: '+1d', type: 'Email Clicked' },
        ],
        expect: { emails: [...upToTheSplit, { step: 'offer', at: '+10d' }] },
      },
    ]);
    expect(result.scenarios[0]!.passed, text(result)).toBe(true);
  });
});

describe('pinning the holdout', () => {
  it('"holdout": true holds out a customer the hash lets in; false lets in one it holds out', async () => {
    const result = await runNurture([
      { name: 'ana, held out', customer: { id: 'ana' }, holdout: true, events: [{ at: '+0', type: 'lead.captured' }], expect: { emails: 'none', status: 'holdout' } },
      { name: 'ines, held out by the hash', customer: { id: 'ines' }, events: [{ at: '+0', type: 'lead.captured' }], expect: { emails: 'none', status: 'holdout' } },
      { name: 'ines, let in', customer: { id: 'ines' }, holdout: false, events: [{ at: '+0', type: 'lead.captured' }], until: '+1d', expect: { emails: [{ step: 'welcome', at: '+0' }], status: 'active' } },
    ]);
    expect(result.scenarios.map((s) => [s.name, s.passed]), text(result)).toEqual([
      ['ana, held out', true],
      ['ines, held out by the hash', true],
      ['ines, let in', true],
    ]);
  });

  it('the file\'s customer pins every scenario; a scenario overrides it', async () => {
    const result = await runNurture(
      [
        { name: 'ines, let in by the file', customer: { id: 'ines' }, events: [{ at: '+0', type: 'lead.captured' }], until: '+1d', expect: { emails: [{ step: 'welcome' }] } },
        { name: 'ana, held out by the scenario', customer: { id: 'ana' }, holdout: true, events: [{ at: '+0', type: 'lead.captured' }], expect: { status: 'holdout' } },
      ],
      { profile: { email: 'lead@example.com' }, holdout: false },
    );
    expect(result.scenarios.every((s) => s.passed), text(result)).toBe(true);
  });
});

describe('a pin the workflow cannot take is an error naming it', () => {
  it.each<[string, Json, string]>([
    ['a mistyped split', { splits: { 'demo-or-ofer': 'offer' } }, '$.scenarios[0].splits.demo-or-ofer: no split "demo-or-ofer" in cold-traffic-nurture (did you mean "demo-or-offer"?)'],
    ['a step that is not a split', { splits: { welcome: 'offer' } }, '$.scenarios[0].splits.welcome: "welcome" is an email step, not a split (its splits: "demo-or-offer")'],
    ['a path the split does not have', { splits: { 'demo-or-offer': 'ofer' } }, '$.scenarios[0].splits.demo-or-offer: "ofer" is not a path of the split "demo-or-offer" (did you mean "offer"?)'],
    ['a path far from any', { customer: { id: 'ana', splits: { 'demo-or-offer': 'webinar' } } }, '$.scenarios[0].customer.splits.demo-or-offer: "webinar" is not a path of the split "demo-or-offer" (its paths go to "demo", "offer")'],
  ])('%s', async (_what, pins, message) => {
    const result = await runNurture([clickThenSilence('pinned', { customer: { id: 'ana' }, ...pins, expect: { status: 'completed' } })]);
    expect(result.scenarios[0]!.passed).toBe(false);
    expect(result.scenarios[0]!.failures).toEqual([{ kind: 'error', message }]);
    expect(text(result)).toContain(message);
  });

  it('on the file\'s customer, the file does not run', async () => {
    const result = await runNurture([clickThenSilence('pinned', { expect: { status: 'completed' } })], { splits: { 'a-b': 'offer' } });
    expect(result.problems).toEqual([expect.stringMatching(/nurture\.test\.json: \$\.customer\.splits\.a-b: no split "a-b" in cold-traffic-nurture \(its splits: "demo-or-offer"\)$/)]);
  });

  it('"holdout" for a workflow without a holdout step', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'waymark-scenario-')), 'post.test.json');
    writeFileSync(path, JSON.stringify({ workflow: 'post-purchase', start: '2026-11-02T15:00:00Z', scenarios: [{ name: 'pinned', holdout: false, events: [{ at: '+0', type: 'order.placed' }], expect: {} }] }));
    const result = await runScenarioFile(path, { registry });
    expect(result.scenarios[0]!.failures).toEqual([{ kind: 'error', message: '$.scenarios[0].holdout: post-purchase has no holdout step, so "holdout": false pins nothing' }]);
  });
});

describe('expectations that name what the workflow lacks', () => {
  it('a step, a content item or a stage: an error with its path and what was meant, before anything runs', async () => {
    const result = await runNurture([
      clickThenSilence('typos', {
        customer: { id: 'dev' },
        expect: {
          emails: [{ step: 'welcom' }, { step: 'pause-1' }, { step: 'testimonial', content: 'testimonial-freelance-desginer' }],
          checkpoints: [{ at: '+2d', step: 'paus-1', stage: 'considerasion' }],
          step: 'ofer',
        },
      }),
    ]);
    expect(result.scenarios[0]!.failures.map((f) => f.message)).toEqual([
      '$.scenarios[0].expect.emails[0].step: no step "welcom" in cold-traffic-nurture (did you mean "welcome"?)',
      '$.scenarios[0].expect.emails[1].step: "pause-1" is a wait step: it sends no email (email steps: "welcome", "article-2", "article-3", "sunset", "guide", "testimonial", "case-study", "demo", "offer")',
      '$.scenarios[0].expect.emails[2].content: no content item "testimonial-freelance-desginer" in the catalogue (did you mean "testimonial-freelance-designer"?)',
      '$.scenarios[0].expect.step: no step "ofer" in cold-traffic-nurture (did you mean "offer"?)',
      '$.scenarios[0].expect.checkpoints[0].step: no step "paus-1" in cold-traffic-nurture (did you mean "pause-1"?)',
      '$.scenarios[0].expect.checkpoints[0].stage: "considerasion" is not one of cold-traffic-nurture\'s stages ("awareness", "consideration", "decision", "purchase", "retention", "advocacy") (did you mean "consideration"?)',
    ]);
    expect(result.scenarios[0]!.emails).toEqual([]);
  });

  it('a workflow id that names no workflow', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'waymark-scenario-')), 'x.test.json');
    writeFileSync(path, JSON.stringify({ workflow: 'cold-trafic-nurture', start: '2026-11-02T15:00:00Z', scenarios: [{ name: 'x', events: [{ at: '+0', type: 'lead.captured' }], expect: {} }] }));
    expect((await runScenarioFile(path, { registry })).problems).toEqual([expect.stringContaining('$.workflow: no workflow "cold-trafic-nurture" (did you mean "cold-traffic-nurture"?)')]);
  });
});

describe('warnings', () => {
  it('an event type no pattern of the workflow matches: a warning with what was meant (SES opens and clicks are engagement, not unmatched)', async () => {
    const result = await runNurture([
      {
        name: 'a typo in the entry event',
        customer: { id: 'dev' },
        events: [
          { at: '+0', type: 'lead.captured' },
          { at: '+1h', type: 'Email Opened' },
          { at: '+1d', type: 'lead.disqualifed' },
          { at: '+2d', type: 'survey.answered', detail: { score: 9 } },
          { at: '+2d', type: 'profile.updated', profile: { plan: 'trial' } },
        ],
        until: '+2d',
        expect: { status: 'active' },
      },
    ]);
    const scenario = result.scenarios[0]!;
    expect(scenario.passed, text(result)).toBe(true);
    expect(scenario.warnings).toEqual([
      { code: 'event-unmatched', event: 3, reason: 'event 3 ("lead.disqualifed" at +1d) matches no pattern of cold-traffic-nurture (entry, goal, exits, waits): it changes nothing in this journey (did you mean "lead.disqualified"?)' },
      { code: 'event-unmatched', event: 4, reason: 'event 4 ("survey.answered" at +2d) matches no pattern of cold-traffic-nurture (entry, goal, exits, waits): it changes nothing in this journey; it is for post-purchase' },
    ]);
    expect(text(result)).toContain('  ✔ a typo in the entry event (1 email)\n      ! event 3 ("lead.disqualifed" at +1d) matches no pattern');
  });

  it('customer data the engine could not use, once per scenario, customer and reason: a time zone (with what was meant) and an address', async () => {
    const result = await runNurture([
      { name: 'a time zone with a typo', customer: { id: 'dev', profile: { timezone: 'America/Chicgo' } }, events: [{ at: '+0', type: 'lead.captured' }], until: '+1h', expect: { emails: [{ step: 'welcome' }] } },
      { name: 'no address', customer: { id: 'ana', profile: { email: 'not-an-email' } }, events: [{ at: '+0', type: 'lead.captured' }], until: '+1h', expect: { emails: 'none' } },
      // Every email of the journey is skipped for the one bad address: still one warning, with how often and where.
      { name: 'no address, the whole journey', customer: { id: 'ana', profile: { email: 'not-an-email' } }, events: [{ at: '+0', type: 'lead.captured' }], expect: { emails: 'none' } },
    ]);
    expect(result.scenarios.map((s) => s.warnings)).toEqual([
      [{ code: 'timezone-invalid', customerId: 'dev', workflowId: 'cold-traffic-nurture', reason: 'profile.timezone "America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?): the send window was applied in America/New_York, the workflow\'s zone' }],
      [{ code: 'email-invalid', customerId: 'ana', workflowId: 'cold-traffic-nurture', reason: 'profile.email "not-an-email" is not an email address: the email of step "welcome" was skipped' }],
      [{ code: 'email-invalid', customerId: 'ana', workflowId: 'cold-traffic-nurture', reason: 'profile.email "not-an-email" is not an email address: the email of step "welcome" was skipped (×4, also at steps "article-2", "article-3" and "sunset")' }],
    ]);
    expect(text(result).match(/! ana in cold-traffic-nurture/g)).toHaveLength(2);
    expect(text(result)).toContain('      ! dev in cold-traffic-nurture: profile.timezone "America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?)');
  });

  it('a click with no email behind it is a warning, as in `waymark run`', async () => {
    const result = await runNurture([{ name: 'a click before the lead', customer: { id: 'dev' }, events: [{ at: '+0', type: 'Email Clicked' }, { at: '+1h', type: 'lead.captured' }], until: '+2h', expect: {} }]);
    expect(result.scenarios[0]!.warnings).toEqual([expect.objectContaining({ code: 'engagement-without-email', reason: expect.stringContaining('the journey had sent dev no email by then') })]);
  });
});

describe('late deliveries ("deliveredAt"): the event happened at "at" and reaches the engine later', () => {
  it('a lead redriven 20 hours late is emailed at the first window after delivery, as production would, not at its own time', async () => {
    // Captured Monday 09:00 New York, delivered Tuesday 05:00: outside the window, so the intro waits for 09:00.
    const late = { name: 'late', customer: { id: 'lee' }, events: [{ at: '+0', deliveredAt: '+20h', type: 'lead.captured' }], until: '+2d', expect: { emails: [{ step: 'welcome', at: '+1d' }] } };
    const onTime = { name: 'on time', customer: { id: 'lee' }, events: [{ at: '+0', type: 'lead.captured' }], until: '+2d', expect: { emails: [{ step: 'welcome', at: '+0' }] } };
    const result = await runNurture([late, onTime]);
    expect(result.scenarios.map((s) => [s.name, s.passed, s.emails.map((e) => e.at)]), text(result)).toEqual([
      ['late', true, [Date.parse('2026-11-03T14:00:00Z')]],
      ['on time', true, [Date.parse('2026-11-02T14:00:00Z')]],
    ]);
  });

  it('past entry.maxAge nobody enters, and the scenario says why', async () => {
    const result = await runNurture([{ name: 'stale', customer: { id: 'sol' }, events: [{ at: '+0', deliveredAt: '+2d', type: 'lead.captured' }], expect: { emails: 'none' } }]);
    const [scenario] = result.scenarios;
    expect(scenario!.passed, text(result)).toBe(true);
    expect(scenario!.final).toBeNull();
    expect(scenario!.warnings).toEqual([expect.objectContaining({ customerId: 'sol', reason: expect.stringContaining('2 days old when applied, older than entry.maxAge (P1D)') })]);
  });

  it('a delivery before the event happened is an error naming the event', async () => {
    const result = await runNurture([{ name: 'impossible', events: [{ at: '+1d', deliveredAt: '+0', type: 'lead.captured' }], expect: { emails: 'none' } }]);
    expect(result.scenarios[0]!.passed).toBe(false);
    expect(result.scenarios[0]!.failures).toEqual([
      { kind: 'error', message: expect.stringMatching(/^event 1 \(lead\.captured\) is not a valid event: deliveredAt 2026-11-02T14:00:00\.000Z is before the event's own time 2026-11-03T14:00:00\.000Z/) },
    ]);
  });
});

describe('the diff', () => {
  it('a wrong subject shows the actual subject', async () => {
    const result = await runNurture([{ name: 'subject', customer: { id: 'dev' }, events: [{ at: '+0', type: 'lead.captured' }], until: '+1h', expect: { emails: [{ step: 'welcome', subject: 'Sam, 5 ways' }] } }]);
    expect(text(result)).toContain(
      [
        '      emails differ (expected 1, got 1):',
        '        ✖ 1. - expected  welcome · "…Sam, 5 ways…"',
        '             + actual    welcome · article-get-paid-faster · +0 (2026-11-02 14:00 UTC) · "Sam, 3 ways to get paid faster"',
      ].join('\n'),
    );
  });
});

describe('the send budget across journeys (workflows/settings.json)', () => {
  // The nurture under a budget of one email a week: a silent lead's second article (+3d) waits
  // until the welcome (+0) is a week old, as overBudget "wait" (the default) says.
  const oneAWeek = new WorkflowRegistry(loaded.workflows, loaded.catalogue, { budget: { max: 1, per: 'P7D' } });
  const silentLead = (expect: Json): Json => ({ name: 'a silent lead under the budget', customer: { id: 'grace' }, events: [{ at: '+0', type: 'lead.captured' }], until: '+8d', expect });

  it('a scenario shows what the budget did to its emails, and "expect.budget" checks how many it deferred and skipped', async () => {
    const result = await runNurture([silentLead({ emails: [{ step: 'welcome', at: '+0' }, { step: 'article-2', at: '+7d' }], budget: { deferred: 1, skipped: 0 } })], undefined, oneAWeek);
    expect(result.scenarios[0]!.budget).toEqual({ deferred: ['article-2'], skipped: [] });
    expect(result.scenarios[0]!.passed).toBe(true);
    expect(text(result)).toContain('✔ a silent lead under the budget (2 emails)\n      budget: 1 email deferred (article-2)');
  });

  it('a wrong count fails the scenario, with what was expected and what happened', async () => {
    const result = await runNurture([silentLead({ budget: { deferred: 0, skipped: 1 } })], undefined, oneAWeek);
    expect(result.scenarios[0]!.passed).toBe(false);
    expect(text(result)).toContain(['      budget.deferred: expected 0, got 1', '      budget.skipped: expected 1, got 0', '      budget: 1 email deferred (article-2)'].join('\n'));
  });

  it('without a budget nothing is held: no line, and "expect.budget" of zero passes', async () => {
    const result = await runNurture([silentLead({ budget: { deferred: 0, skipped: 0 } })]);
    expect(result.scenarios[0]!.passed).toBe(true);
    expect(text(result)).not.toContain('budget:');
  });

  it('the line counts skips first, then deferrals, naming each step once', () => {
    expect(describeBudget({ deferred: [], skipped: [] })).toBeUndefined();
    expect(describeBudget({ deferred: ['reminder', 'reminder'], skipped: ['offer'] })).toBe('budget: 1 email skipped (offer), 2 deferred (reminder)');
    expect(describeBudget({ deferred: ['article-2', 'article-3'], skipped: [] })).toBe('budget: 2 emails deferred (article-2, article-3)');
  });
});
