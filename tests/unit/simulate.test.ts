/**
 * `waymark simulate`: a forecast of one journey before launch. Synthetic customers enter, open
 * and click what they are sent (SES engagement events, as in production), answer what the
 * journey waits for and sometimes convert, all through the real journey service on a virtual
 * clock. These tests read as the command's documentation: what each knob does to the forecast.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateWorkflow } from '../../lib/engine/validate';
import { formatForecast } from '../../lib/cli/simulate-command';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { DEFAULT_TIME_ZONES, simulate, type SimulationSettings, type SimulationTarget } from '../../lib/sim/simulator';
import { isoTime } from '../../lib/sim/batch';
import type { SimulationOutput } from '../../lib/sim/types';

const loaded = loadValidWorkflows(['workflows']);
const target = (id: string): SimulationTarget => ({ workflow: loaded.workflows.find((w) => w.id === id)!, catalogue: loaded.catalogue, settings: loaded.settings });
const coldTraffic = target('cold-traffic-nurture');
const postPurchase = target('post-purchase');

/** Engagement rates for every content kind at once. */
const everyKind = (open: number, click: number): SimulationSettings['engagement'] => ({ '*': { open, click } });

/** Everything but the wall-clock duration: what must be the same for the same seed. */
const figures = ({ durationMs: _durationMs, ...rest }: SimulationOutput) => rest;

function waymark(...args: string[]) {
  return spawnSync(process.execPath, ['bin/waymark.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('waymark simulate: the same seed, the same forecast', () => {
  it('gives an identical forecast (and counters) for the same seed, and a different one for another seed', async () => {
    const settings = { customers: 400, days: 20, seed: 7 };
    const first = await simulate(coldTraffic, settings);
    const again = await simulate(coldTraffic, settings);
    expect(figures(again)).toEqual(figures(first));

    const other = await simulate(coldTraffic, { ...settings, seed: 8 });
    expect(other.forecast).not.toEqual(first.forecast);
    // Only the draws differ: the parameters are the same but for the seed.
    expect({ ...other.parameters, seed: 7 }).toEqual(first.parameters);
  });

  it('gives the same forecast however customers are batched, in process or on worker threads', async () => {
    // Customers never affect one another, and each draws from a generator of their own.
    const settings = { customers: 1200, days: 25, seed: 11, profiles: [{ weight: 2, profile: { plan: 'pro' } }, { weight: 1, profile: { plan: 'basic' }, engagement: { '*': { open: 0.1, click: 0.01 } } }] };
    const inOneGo = await simulate(postPurchase, { ...settings, workers: 1 });
    const batched = await simulate(postPurchase, { ...settings, batchSize: 250, workers: 1 });
    const onWorkers = await simulate(postPurchase, { ...settings, batchSize: 250, workers: 2 });
    expect(figures(batched)).toEqual(figures(inOneGo));
    expect(figures(onWorkers)).toEqual(figures(inOneGo));
  });

  it('gives the same forecast and counters, row for row, stepping the interpreter directly as through the journey service', async () => {
    // The service (load, merge the profile, step, write, deliver) is production's path; the simulation steps the
    // interpreter itself, without a store, keeping the send budget's ledger (workflows/settings.json) as the service does.
    for (const workflow of loaded.workflows) {
      const settings = { customers: 300, days: 40, seed: 5, workers: 1, profiles: [{ weight: 1, profile: { plan: 'trial' } }, { weight: 2, profile: {} }] };
      const reference = await simulate(target(workflow.id), { ...settings, through: 'service' });
      const direct = await simulate(target(workflow.id), { ...settings, through: 'interpreter' });
      expect(figures(direct)).toEqual(figures(reference));
      expect(reference.counters.length).toBeGreaterThan(0);
    }
    // Under a tight budget, both defer the same emails.
    const tight = { ...target('cold-traffic-nurture'), settings: { budget: { max: 2, per: 'P7D' } } };
    const settings = { customers: 200, days: 20, seed: 9, workers: 1 };
    const [reference, direct] = [await simulate(tight, { ...settings, through: 'service' }), await simulate(tight, { ...settings, through: 'interpreter' })];
    expect(direct.forecast.deferrals.budget).toBeGreaterThan(0);
    expect(figures(direct)).toEqual(figures(reference));
  });

  it('reports the parameters it ran with: the defaults, with the engagement table filled in for every content kind', async () => {
    const { parameters } = await simulate(coldTraffic, { customers: 30 });
    expect(parameters).toMatchObject({ customers: 30, days: 30, seed: 1, entryDays: 10, start: '2026-11-02T00:00:00.000Z', sesMaxSendRate: 14, conversionPerClick: 0.08, baseConversion: 0.03 });
    expect(parameters.engagement.article).toEqual({ open: 0.45, click: 0.12 });
    expect(Object.keys(parameters.engagement)).toEqual(expect.arrayContaining(['article', 'guide', 'testimonial', 'case-study', 'demo', 'offer', 're-engagement']));
    // cold-traffic-nurture waits only for clicks, which the simulated SES events provide.
    expect(parameters.waitedEvents).toEqual({});
  });
});

describe('waymark simulate: engagement drives the journey, as clicks do in production', () => {
  it('with no opens or clicks, nobody reaches the guide, and silence leads every customer down the sunset path', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 300, days: 60, entryDays: 3, engagement: everyKind(0, 0), conversionPerClick: 0, baseConversion: 0 });
    const { steps, statuses } = forecast;
    for (const step of Object.values(steps)) expect([step.opened, step.clicked]).toEqual([0, 0]);
    expect(steps.guide!.reached).toBe(0);
    // 5% are held out; everyone else times out of every wait: article-2, article-3, the sunset, goodbye.
    const inJourney = steps.welcome!.reached;
    expect(inJourney).toBe(300 - statuses.holdout!);
    for (const id of ['article-2', 'article-3', 'sunset', 'goodbye']) expect(steps[id]!.reached).toBe(inJourney);
    expect(statuses).toMatchObject({ active: 0, completed: inJourney, converted: 0 });
  });

  it('when every email is clicked, everyone goes from the welcome email straight to the guide', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 300, days: 30, engagement: everyKind(1, 1), conversionPerClick: 0, baseConversion: 0 });
    const { steps } = forecast;
    expect(steps.welcome!.reached).toBeGreaterThan(250);
    expect(steps.welcome!.clicked).toBe(steps.welcome!.sent);
    expect(steps.guide!.reached).toBe(steps.welcome!.reached);
    expect(steps['article-2']!.reached).toBe(0);
  });

  it('a customer waiting for a non-email event gets it with the configured probability, with values that reach every branch', async () => {
    // post-purchase waits for "survey.answered", then branches on event.detail.score (>= 9, <= 6, else).
    const { forecast, parameters } = await simulate(postPurchase, { customers: 1000, days: 40, entryDays: 5 });
    expect(parameters.waitedEvents).toEqual({ 'survey.answered': 0.4 });
    const { steps } = forecast;
    const answered = steps['nps?']!.reached / steps['answered?']!.reached;
    expect(answered).toBeGreaterThan(0.3);
    expect(answered).toBeLessThan(0.5);
    // Scores from 0 to 10: promoters (9-10), detractors (0-6) and passives (7-8, straight to loyalty) all occur.
    expect(steps.promoter!.reached).toBeGreaterThan(0);
    expect(steps.support!.reached).toBeGreaterThan(steps.promoter!.reached);
    expect(steps.promoter!.reached + steps.support!.reached).toBeLessThan(steps['nps?']!.reached);

    const never = await simulate(postPurchase, { customers: 300, days: 40, entryDays: 5, waitedEvents: { 'survey.answered': 0 } });
    expect(never.forecast.steps['nps?']!.reached).toBe(0);
  });
});

describe('waymark simulate: an audience that is not everyone alike (a profile mix)', () => {
  // cold-traffic-nurture's "trial?" sends trial customers (profile.plan) and keen clickers (journey.clicks >= 2)
  // to the demo, everyone else to the "demo-or-offer" A/B split.
  const trialHeavy = JSON.parse(readFileSync('tests/fixtures/simulate/trial-heavy-audience.json', 'utf8')) as Pick<SimulationSettings, 'profiles' | 'engagement'>;

  it('customers enter in proportion to the weights, with their attributes and their own engagement', async () => {
    const { forecast, parameters } = await simulate(coldTraffic, { customers: 2000, seed: 1, ...trialHeavy });
    expect(parameters.audience.map((g) => [g.name, g.share])).toEqual([
      ['plan=trial, timezone=Europe/Berlin', 0.75],
      ['free plan', 0.25],
    ]);
    const [trial, free] = forecast.audience;
    // Drawn from the seed: the same customers every time.
    expect([trial!.customers, free!.customers]).toEqual([1502, 498]);
    // Free-plan customers open 20% and click 2% of everything; trial customers the configured rates.
    expect(free!.opened / free!.emails).toBeCloseTo(0.2, 1);
    expect(free!.clicked / free!.emails).toBeLessThan(0.04);
    expect(trial!.clicked / trial!.emails).toBeGreaterThan(0.1);
    // Everyone's conversions are some kind of customer's.
    expect(trial!.converted + free!.converted).toBe(forecast.conversion.converted);
  });

  it('a branch on a profile attribute routes each kind of customer its own way', async () => {
    const everyoneOnTrial = await simulate(coldTraffic, { customers: 600, seed: 2, profiles: [{ weight: 1, profile: { plan: 'trial' } }] });
    const trialCase = everyoneOnTrial.forecast.paths['trial?']!;
    expect(trialCase.reached).toBeGreaterThan(50);
    // The first case that matches wins: everyone reaching the branch is on trial, so no one is counted as a clicker.
    expect(trialCase.paths.map((p) => [p.label, p.customers])).toEqual([
      ['profile.plan: trial', trialCase.reached],
      ['journey.clicks: >= 2', 0],
      ['else', 0],
    ]);
    expect(everyoneOnTrial.forecast.paths['demo-or-offer']!.reached).toBe(0);
    expect(everyoneOnTrial.forecast.notes).toEqual([]);

    // Without the attribute, the two cases that lead to "demo" are still told apart: clickers, and the rest.
    const noPlan = await simulate(coldTraffic, { customers: 600, seed: 2 });
    const [onTrial, clickers, rest] = noPlan.forecast.paths['trial?']!.paths;
    expect(onTrial!.customers).toBe(0);
    expect(clickers!.customers).toBeGreaterThan(0);
    expect(clickers!.customers + rest!.customers).toBe(noPlan.forecast.paths['trial?']!.reached);
    expect(rest!.customers).toBe(noPlan.forecast.paths['demo-or-offer']!.reached);
    // ...and the forecast says why nobody took the first case.
    expect(noPlan.forecast.notes).toEqual([expect.stringContaining('step "trial?" reads profile.plan, which no simulated customer has')]);
  });

  it('each kind of customer converts at its own rate, for its own value', async () => {
    const profiles = [
      { weight: 1, name: 'pro', profile: { plan: 'pro' }, baseConversion: 0.3, goalValue: { min: 500, max: 500 } },
      { weight: 1, name: 'basic', profile: { plan: 'basic' }, baseConversion: 0, conversionPerClick: 0, goalValue: { min: 10, max: 10 } },
    ];
    const { forecast } = await simulate(coldTraffic, { customers: 1000, seed: 3, profiles });
    const [pro, basic] = forecast.audience;
    expect(pro!.converted).toBeGreaterThan(50);
    expect(basic!.converted).toBe(0);
    expect(pro!.revenue).toBe(500 * pro!.converted);
    expect(forecast.conversion.revenue).toBe(pro!.revenue);
  });

  it('rejects a kind of customer it cannot simulate, naming it and the bad value', async () => {
    await expect(simulate(coldTraffic, { customers: 10, profiles: [{ weight: 1, profile: { timezone: 'Europe/Madird' } }] })).rejects.toThrow(
      'profiles[0].profile.timezone: "Europe/Madird" is not an IANA time zone (did you mean "Europe/Madrid"?)',
    );
    await expect(simulate(coldTraffic, { customers: 10, profiles: [{ weight: 0, profile: {} }] })).rejects.toThrow('the weights of profiles must add up to more than 0');
    await expect(simulate(coldTraffic, { customers: 10, profiles: [{ weight: 1, profile: { plan: 'a' } }, { weight: 1, profile: { plan: 'a' } }] })).rejects.toThrow(
      'profiles[1]: two kinds of customer are called "plan=a"',
    );
  });
});

describe('waymark simulate: per branch, per variant, per content kind', () => {
  it('each path of a branch, split or holdout: its customers, the emails that followed and the conversions', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 3000, seed: 4 });
    const { holdout, 'demo-or-offer': split } = forecast.paths;
    // 5% held out: the control group. They get no email and convert only on their own (baseConversion);
    // every email the journey sends goes to the others, and the two sides' conversions are all of the journey's.
    expect(holdout!.type).toBe('holdout');
    expect(holdout!.reached).toBe(3000);
    expect(holdout!.paths[0]!.share).toBeCloseTo(0.05, 1);
    expect(holdout!.paths[0]).toMatchObject({ label: 'held out (5%)', next: null, emails: 0 });
    expect(holdout!.paths[1]).toMatchObject({ label: 'in the journey', next: 'welcome', emails: forecast.emails.total });
    expect(holdout!.paths[0]!.converted + holdout!.paths[1]!.converted).toBe(forecast.conversion.converted);
    expect(holdout!.paths[0]!.converted).toBeGreaterThan(0);
    // The lift: emailed customers convert more than the control group.
    expect(holdout!.paths[1]!.conversionRate).toBeGreaterThan(holdout!.paths[0]!.conversionRate);
    // Conversions carry the goal's value (goal.value: detail.amount), from 20 to 200 by default.
    expect(forecast.conversion.revenue).toBeGreaterThanOrEqual(20 * forecast.conversion.converted);
    expect(forecast.conversion.revenue).toBeLessThanOrEqual(200 * forecast.conversion.converted);
    expect(holdout!.paths[0]!.revenue + holdout!.paths[1]!.revenue).toBe(forecast.conversion.revenue);
    // The A/B split: about half each, and the paths add up to the customers who reached it.
    expect(split!.type).toBe('split');
    expect(split!.paths.map((p) => p.label)).toEqual(['50% → demo', '50% → offer']);
    expect(split!.paths[0]!.customers + split!.paths[1]!.customers).toBe(split!.reached);
    expect(split!.paths[0]!.share).toBeGreaterThan(0.35);
    expect(split!.paths[0]!.share).toBeLessThan(0.65);
    // "demo" sends the demo email and, four days later, the offer; "offer" sends only the offer.
    expect(split!.paths[0]!.emails).toBeGreaterThan(split!.paths[0]!.customers);
    expect(split!.paths[1]!.emails).toBe(split!.paths[1]!.customers);
    for (const path of split!.paths) expect(path.conversionRate).toBe(path.customers > 0 ? path.converted / path.customers : 0);
  });

  it('engagement per content kind comes back at the configured rates', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 3000, seed: 5, engagement: { article: { open: 0.6, click: 0.3 }, '*': { open: 0.25, click: 0.05 } } });
    const { article, guide } = forecast.engagement;
    expect(article!.sent).toBeGreaterThan(3000);
    expect(article!.openRate).toBeCloseTo(0.6, 1);
    expect(article!.clickRate).toBeCloseTo(0.3, 1);
    expect(guide!.openRate).toBeCloseTo(0.25, 1);
    // Every email of the journey is of some kind.
    expect(Object.values(forecast.engagement).reduce((sum, k) => sum + k.sent, 0)).toBe(forecast.emails.total);
  });
});

describe('waymark simulate: conversion', () => {
  it('with a base conversion of 1, everyone still in the journey converts within the period', async () => {
    // A journey that only waits, so nobody finishes before their conversion arrives.
    const definition = {
      id: 'wait-and-convert',
      version: 1,
      name: 'Wait and convert',
      entry: { on: { 'detail-type': ['lead.captured'] } },
      goal: { on: { 'detail-type': ['order.placed'] }, stage: 'purchase', then: 'exit' },
      settings: { from: 'Acme <hello@acme.example>', timezone: 'UTC' },
      start: 'welcome',
      steps: {
        welcome: { type: 'email', stage: 'awareness', template: 'book-a-demo', next: 'rest' },
        rest: { type: 'wait', duration: 'P90D', next: 'bye' },
        bye: { type: 'exit' },
      },
    };
    const validated = validateWorkflow(definition, { file: 'wait-and-convert.json', catalogue: loaded.catalogue });
    expect(validated.problems).toEqual([]);
    const { forecast } = await simulate({ workflow: validated.workflow!, catalogue: loaded.catalogue }, { customers: 400, days: 30, baseConversion: 1, conversionPerClick: 0 });
    expect(forecast.conversion.converted).toBe(400);
    expect(forecast.conversion.rate).toBe(1);
    expect(forecast.statuses).toEqual({ active: 0, completed: 0, converted: 400, exited: 0, holdout: 0, suppressed: 0 });
    expect(forecast.conversion.averageDaysToConvert).toBeGreaterThan(0);
    expect(forecast.conversion.averageDaysToConvert).toBeLessThan(30);
    expect(forecast.stages.purchase!.reached).toBe(400);
  });

  it('in cold-traffic-nurture, the conversion count, rate and final statuses agree', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 500, days: 30, baseConversion: 1 });
    const { conversion, statuses, paths } = forecast;
    // The goal exits: a conversion in the journey is a "converted" status. Held-out customers (the control
    // group) and those who completed the journey still count while watched, and keep their status.
    const heldOut = paths.holdout!.paths[0]!;
    expect(heldOut.converted).toBeGreaterThan(0);
    expect(heldOut.converted).toBeLessThanOrEqual(statuses.holdout!);
    expect(statuses.converted! + heldOut.converted).toBeLessThanOrEqual(conversion.converted);
    expect(statuses.converted).toBeGreaterThan(300);
    expect(conversion.rate).toBe(conversion.converted / 500);
    expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(500);
  });
});

describe('waymark simulate: emails and SES', () => {
  it('the busiest minute is a send window opening: 09:00 on a weekday in the customers\' time zone', async () => {
    // cold-traffic-nurture sends Mon–Fri 09:00–18:00 in the customer's own time zone.
    const { forecast, parameters } = await simulate(coldTraffic, { customers: 1000, timeZones: ['America/New_York'] });
    const peak = forecast.emails.peakMinute!;
    const local = new Intl.DateTimeFormat('en-US', { timeZone: 'America/New_York', weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(peak.at));
    expect(local).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 09:00$/);
    expect(peak.count).toBeGreaterThan(20);
    expect(forecast.emails.peakMinuteSendSeconds).toBe(peak.count / parameters.sesMaxSendRate);

    // With customers around the world, the peak is still a 09:00 opening, in one of their zones.
    const world = await simulate(coldTraffic, { customers: 1000 });
    const at = new Date(world.forecast.emails.peakMinute!.at);
    const openings = DEFAULT_TIME_ZONES.map((timeZone) => new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at));
    expect(openings).toContain('09:00');
  });

  it('2,000 customers: the figures add up', async () => {
    const { forecast } = await simulate(coldTraffic, { customers: 2000, seed: 42 });
    const { emails, steps, statuses, deferrals, skipped } = forecast;
    expect(emails.perDay).toHaveLength(30);
    expect(emails.perDay[0]!.day).toBe('2026-11-02');
    expect(emails.perDay.reduce((sum, d) => sum + d.count, 0)).toBe(emails.total);
    expect(Object.values(steps).reduce((sum, s) => sum + s.sent, 0)).toBe(emails.total);
    expect(emails.peakDay!.count).toBe(Math.max(...emails.perDay.map((d) => d.count)));
    expect(steps.holdout!.reached).toBe(2000);
    expect(statuses.holdout).toBeGreaterThan(50);
    expect(statuses.holdout).toBeLessThan(150);
    expect(Object.values(statuses).reduce((a, b) => a + b, 0)).toBe(2000);
    expect(deferrals.window).toBeGreaterThan(0);
    expect(deferrals.cap).toBeGreaterThan(0);
    expect(skipped).toEqual({ contentExhausted: 0, noAddress: 0, budget: 0 });
    // Opens and clicks come in at about the configured rates for articles (45% and 12%).
    expect(steps.welcome!.opened / steps.welcome!.sent).toBeCloseTo(0.45, 1);
    expect(steps.welcome!.clicked / steps.welcome!.sent).toBeCloseTo(0.12, 1);
  });
});

describe('waymark simulate: the event times it writes', () => {
  it('isoTime is Date#toISOString, without a Date per event', () => {
    const instants = [0, 86_399_999, Date.parse('2026-11-02T00:00:00Z'), Date.parse('2026-12-31T23:59:59.999Z'), Date.parse('2028-02-29T12:34:56.789Z')];
    for (let i = 0; i < 2000; i++) instants.push(Math.floor(((i * 2654435761) % 4_000_000) * 1_000_003));
    for (const at of instants) expect(isoTime(at)).toBe(new Date(at).toISOString());
  });
});

describe('waymark simulate: the send budget across journeys (workflows/settings.json)', () => {
  // The promotion alone under a budget of one email a week: the reminder, three days after the
  // offer, is over it, and the promotion skips rather than sends late (overBudget "skip").
  const oneAWeek = { ...target('year-end-promotion'), settings: { budget: { max: 1, per: 'P7D' } } };
  const settings = { customers: 200, days: 10, start: '2026-11-30T00:00:00Z', seed: 4, workers: 1 };

  it('counts the emails it skipped apart from those it deferred, as production counts them', async () => {
    const output = await simulate(oneAWeek, settings);
    const { steps, skipped, deferrals } = output.forecast;
    expect(output.parameters.budget).toEqual({ max: 1, per: 'P7D', overBudget: 'skip' });
    // Reminders due when the send window is open are over the budget there and then: skipped, not deferred.
    expect(skipped.budget).toBeGreaterThan(50);
    expect(skipped.budget).toBeLessThanOrEqual(steps.reminder!.reached);
    expect(deferrals.budget).toBe(0);
    expect(output.counters.filter((row) => row.name === 'email.skipped:budget').reduce((sum, row) => sum + row.value, 0)).toBe(skipped.budget);
    // The journey service (production's path) skips the same emails.
    const reference = await simulate(oneAWeek, { ...settings, through: 'service' });
    expect(figures(output)).toEqual(figures(reference));
  });

  it('prints the budget, what it deferred and skipped, and that only this journey\'s emails count against it', async () => {
    const output = await simulate(oneAWeek, settings);
    const text = formatForecast(output, oneAWeek.workflow).replace(/\u001b\[[0-9;]*m/g, '');
    expect(text).toContain(`Send budget  1 email per P7D (workflows/settings.json): 0 emails deferred, ${output.forecast.skipped.budget} skipped (overBudget "skip")`);
    expect(text).toContain("counting this journey's emails only: in production the customers' emails from the other journeys use the same budget");
  });

  it('without a budget, or for an exempt workflow, the forecast has no budget and says nothing of it', async () => {
    const exempt = { ...oneAWeek, workflow: { ...oneAWeek.workflow, settings: { ...oneAWeek.workflow.settings, budget: 'exempt' as const } } };
    for (const free of [{ ...oneAWeek, settings: {} }, exempt]) {
      const output = await simulate(free, { ...settings, customers: 20 });
      expect(output.parameters.budget).toBeNull();
      expect(output.forecast.skipped.budget).toBe(0);
      expect(formatForecast(output, free.workflow)).not.toContain('Send budget');
    }
  });
});

describe('waymark simulate (CLI)', () => {
  it('--json prints a SimulationOutput', () => {
    const run = waymark('simulate', 'workflows/post-purchase.json', '--customers', '200', '--days', '20', '--seed', '3', '--json');
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const output = JSON.parse(run.stdout) as SimulationOutput;
    expect(Object.keys(output)).toEqual(['workflow', 'parameters', 'forecast', 'counters', 'durationMs']);
    expect(output.workflow).toEqual({ id: 'post-purchase', version: 1, name: 'Post-purchase: onboarding to advocacy' });
    expect(output.parameters).toMatchObject({ customers: 200, days: 20, seed: 3, entryDays: 7, sesMaxSendRate: 14, waitedEvents: { 'survey.answered': 0.4 } });
    expect(Object.keys(output.forecast)).toEqual(['emails', 'steps', 'stages', 'conversion', 'deferrals', 'skipped', 'statuses', 'paths', 'engagement', 'audience', 'notes']);
    expect(Object.keys(output.forecast.paths)).toEqual(['nps?']);
    expect(output.forecast.audience).toEqual([expect.objectContaining({ name: 'everyone', customers: 200 })]);
    expect(Object.keys(output.forecast.emails)).toEqual(['total', 'perDay', 'peakDay', 'peakMinute', 'peakMinuteSendSeconds']);
    expect(output.forecast.emails.perDay).toHaveLength(20);
    expect(Object.keys(output.forecast.steps)).toEqual(Object.keys(postPurchase.workflow.steps));
    expect(output.forecast.steps.welcome).toEqual({ reached: 200, sent: 200, opened: expect.any(Number), clicked: expect.any(Number) });
    expect(Object.keys(output.forecast.stages)).toEqual(['purchase', 'retention', 'advocacy']);
    expect(output.counters.length).toBeGreaterThan(0);
    for (const row of output.counters) expect(Object.keys(row).sort()).toEqual(['day', 'name', 'stepId', 'value', 'workflowId']);
    expect(output.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('prints a readable forecast without --json, and looks a workflow up by id', () => {
    const run = waymark('simulate', 'cold-traffic-nurture', '--customers', '300', '--seed', '2', '--ses-rate', '0.2');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Forecast: Cold traffic nurture (cold-traffic-nurture v1)');
    expect(run.stdout).toContain('300 customers entering over 10 days');
    expect(run.stdout).toMatch(/Peak minute +\w{3} \d{4}-\d\d-\d\d \d\d:\d\d UTC: \d+ emails/);
    expect(run.stdout).toContain('emails/s: a backlog builds'); // at 0.2 emails/s, a peak of more than 12 emails takes over a minute
    expect(run.stdout).toMatch(/At the end +active/);
    expect(run.stdout).toMatch(/demo-or-offer +50% → demo +\d+/);
  });

  it('--config takes the audience: kinds of customer, their weights, attributes and engagement', () => {
    const run = waymark('simulate', 'cold-traffic-nurture', '--customers', '400', '--config', 'tests/fixtures/simulate/trial-heavy-audience.json');
    expect(run.stderr).toBe('');
    expect(run.stdout).toMatch(/Audience\n +customers like +entered +emails +opened +clicked +converted +revenue\n +plan=trial, timezone=Europe\/Berlin +\d+/);
    expect(run.stdout).toMatch(/\n +free plan +\d+/);
    expect(run.stdout).toMatch(/trial\? +profile\.plan: trial → demo +\d+/);

    const dir = mkdtempSync(join(tmpdir(), 'waymark-simulate-'));
    writeFileSync(join(dir, 'typo.json'), JSON.stringify({ profiles: [{ weight: 1, profiles: { plan: 'trial' } }] }));
    const typo = waymark('simulate', 'cold-traffic-nurture', '--customers', '10', '--config', join(dir, 'typo.json'));
    expect(typo.status).toBe(1);
    expect(typo.stderr).toContain('$.profiles[0]');
  });

  it('fails with exit code 1 and a clear message for a missing file, an invalid workflow or a bad option', () => {
    const missing = waymark('simulate', 'workflows/no-such-journey.json', '--customers', '10');
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain('no such workflow file: workflows/no-such-journey.json');

    const dir = mkdtempSync(join(tmpdir(), 'waymark-simulate-'));
    writeFileSync(join(dir, 'broken.json'), JSON.stringify({ id: 'broken', version: 1, name: 'Broken', entry: { on: { 'detail-type': ['x'] } }, settings: { from: 'a@b.example', timezone: 'UTC' }, start: 'nowhere', steps: { bye: { type: 'exit' } } }));
    const invalid = waymark('simulate', join(dir, 'broken.json'), '--customers', '10');
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain('the workflows are invalid');
    expect(invalid.stderr).toMatch(/broken\.json: \$\.start: .*nowhere/);

    const badOption = waymark('simulate', 'workflows/post-purchase.json', '--customers', 'many');
    expect(badOption.status).toBe(1);
    expect(badOption.stderr).toContain('--customers expects a whole number');
  });
});
