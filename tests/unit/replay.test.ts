/**
 * `waymark replay`, as stories: the same events through a baseline and a
 * candidate that differ in one place, and exactly the customers whose
 * journey changes, with the emails added, removed or moved.
 */
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayJson } from '../../lib/cli/replay-command';
import { orderedTimeline } from '../../lib/replay/ordered-timeline';
import { compareEmails, replay, type ReplayResult, replaySideFrom } from '../../lib/replay/replay';
import { fileSource } from '../../lib/replay/sources';

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Monday 2026-11-02, 10:00 UTC. */
const T0 = Date.parse('2026-11-02T10:00:00Z');
const iso = (at: number) => new Date(at).toISOString();

/** A trial journey: a welcome, a pause, then a demo or an offer (a 50/50 split). */
function trialNurture(change: (w: Record<string, any>) => void = () => {}) {
  const workflow: Record<string, any> = {
    id: 'trial-nurture',
    version: 1,
    name: 'Trial nurture',
    entry: { on: { 'detail-type': ['trial.started'] } },
    goal: { on: { 'detail-type': ['order.placed'] } },
    settings: { from: 'Ledgerly <hello@ledgerly.example>', timezone: 'UTC' },
    start: 'welcome',
    steps: {
      welcome: { type: 'email', template: 'article-get-paid-faster', next: 'pause' },
      pause: { type: 'wait', duration: 'P3D', next: 'ab' },
      ab: { type: 'split', paths: [{ weight: 50, next: 'demo' }, { weight: 50, next: 'offer' }] },
      demo: { type: 'email', template: 'book-a-demo' },
      offer: { type: 'email', template: 'offer-first-three-months' },
    },
  };
  change(workflow);
  return workflow;
}

/** A workflows directory holding these workflows and the sample content. */
function workflowsDir(...workflows: Array<Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), 'waymark-replay-'));
  cpSync('workflows/content', join(dir, 'content'), { recursive: true });
  for (const w of workflows) writeFileSync(join(dir, `${w.id as string}.json`), JSON.stringify(w));
  return dir;
}

const event = (customerId: string, type: string, at: number, detail: Record<string, unknown> = {}) => ({
  id: `${customerId}-${type}-${at}`,
  source: 'com.ledgerly.app',
  'detail-type': type,
  time: iso(at),
  detail: { customerId, ...detail },
});
const trial = (customerId: string, at: number) => event(customerId, 'trial.started', at, { profile: { email: `${customerId}@example.com` } });

async function replayEvents(events: unknown[], baseline: string, candidate: string): Promise<ReplayResult> {
  const file = join(mkdtempSync(join(tmpdir(), 'waymark-replay-events-')), 'events.jsonl');
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n'));
  return replay(orderedTimeline([fileSource(file)]), replaySideFrom(baseline), replaySideFrom(candidate));
}

const emails = (result: ReplayResult, customerId: string, side: 'baseline' | 'candidate') =>
  result.differences.find((d) => d.customerId === customerId)![side].emails.map((e) => `${e.stepId} ${e.contentId} +${(e.at - T0) / HOUR}h`);

describe('replay: a shorter wait', () => {
  it('changes only the customers the wait reached: one now finishes the journey before she buys (completed, not converted, though her purchase still counts as a conversion), one gets his email a day sooner, one who bought at once is untouched', async () => {
    const baseline = workflowsDir(trialNurture());
    const candidate = workflowsDir(trialNurture((w) => (w.steps.pause.duration = 'P2D')));
    const result = await replayEvents(
      [
        trial('ana', T0), event('ana', 'order.placed', T0 + 2.5 * DAY),
        trial('ben', T0 + HOUR),
        trial('cara', T0 + 2 * HOUR), event('cara', 'order.placed', T0 + DAY),
      ],
      baseline,
      candidate,
    );

    expect(result.differences.map((d) => d.customerId)).toEqual(['ana', 'ben']);
    expect(result.customers).toBe(3);
    expect(result.changed).toBe(2);
    // Ana bought at +60h: the 3-day pause still held her (converted); the 2-day pause let the split's email,
    // the journey's last step, out at +48h, and her journey was over when she bought: she stays completed, and
    // her purchase, within the goal's attribution window (P7D) after the journey ended, is still counted.
    const ana = result.differences[0]!;
    expect(ana.baseline.status).toBe('converted');
    expect(ana.candidate.status).toBe('completed');
    expect(emails(result, 'ana', 'baseline')).toEqual(['welcome article-get-paid-faster +0h']);
    expect(emails(result, 'ana', 'candidate')).toEqual(['welcome article-get-paid-faster +0h', expect.stringMatching(/^(demo book-a-demo|offer offer-first-three-months) \+48h$/)]);
    // Ben never bought: the same email, a day sooner.
    const ben = compareEmails(result.differences[1]!.baseline.emails, result.differences[1]!.candidate.emails);
    expect(ben.added).toEqual([]);
    expect(ben.removed).toEqual([]);
    expect(ben.retimed.map((r) => [(r.baseline.at - T0) / HOUR, (r.candidate.at - T0) / HOUR])).toEqual([[73, 49]]);
    expect(result.baseline.emails).toBe(4);
    expect(result.candidate.emails).toBe(5);
    expect(result.baseline.conversions).toBe(2);
    expect(result.candidate.conversions).toBe(2);
    expect(result.baseline.statuses).toEqual({ completed: 1, converted: 2 });
    expect(result.candidate.statuses).toEqual({ completed: 2, converted: 1 });
  });
});

describe('replay: new split weights', () => {
  it('all to the demo: exactly the customers the 50/50 split sent to the offer change, each with the offer removed and the demo added at the same time', async () => {
    const baseline = workflowsDir(trialNurture());
    const candidate = workflowsDir(trialNurture((w) => (w.steps.ab.paths = [{ weight: 100, next: 'demo' }, { weight: 0, next: 'offer' }])));
    const customers = Array.from({ length: 16 }, (_, i) => `c-${String(i).padStart(2, '0')}`);
    const result = await replayEvents(customers.map((c, i) => trial(c, T0 + i * HOUR)), baseline, candidate);

    // Who took the offer in the baseline is the split's stable hash: read it from the baseline's own emails.
    const tookOffer = result.differences.filter((d) => d.baseline.emails.some((e) => e.stepId === 'offer')).map((d) => d.customerId);
    expect(tookOffer.length).toBeGreaterThan(2);
    expect(tookOffer.length).toBeLessThan(14);
    expect(result.differences.map((d) => d.customerId)).toEqual(tookOffer);
    for (const d of result.differences) {
      const { added, removed, retimed } = compareEmails(d.baseline.emails, d.candidate.emails);
      expect(removed.map((e) => e.stepId)).toEqual(['offer']);
      expect(added.map((e) => e.stepId)).toEqual(['demo']);
      expect(added[0]!.at).toBe(removed[0]!.at);
      expect(retimed).toEqual([]);
      expect([d.baseline.status, d.candidate.status]).toEqual(['completed', 'completed']);
    }
    const demo = result.perStep.find((s) => s.stepId === 'demo')!;
    const offer = result.perStep.find((s) => s.stepId === 'offer')!;
    expect(demo).toEqual({ workflowId: 'trial-nurture', stepId: 'demo', baseline: 16 - tookOffer.length, candidate: 16, added: tookOffer.length, removed: 0, retimed: 0 });
    expect(offer).toEqual({ workflowId: 'trial-nurture', stepId: 'offer', baseline: tookOffer.length, candidate: 0, added: 0, removed: tookOffer.length, retimed: 0 });
    expect(result.perStep.map((s) => s.stepId)).toEqual(['demo', 'offer']);
  });
});

describe('replay: a send window', () => {
  it('a weekend trial waits for Monday in the candidate: deferrals counted, the emails moved, the weekday trial untouched', async () => {
    const baseline = workflowsDir(trialNurture());
    const candidate = workflowsDir(trialNurture((w) => (w.settings.sendWindow = { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' })));
    const saturday = Date.parse('2026-11-07T12:00:00Z');
    const result = await replayEvents([trial('weekday', T0), trial('weekend', saturday)], baseline, candidate);

    expect(result.differences.map((d) => d.customerId)).toEqual(['weekend']);
    const weekend = result.differences[0]!;
    expect(weekend.baseline.emails.map((e) => iso(e.at))).toEqual(['2026-11-07T12:00:00.000Z', '2026-11-10T12:00:00.000Z']);
    expect(weekend.candidate.emails.map((e) => iso(e.at))).toEqual(['2026-11-09T09:00:00.000Z', '2026-11-12T09:00:00.000Z']);
    expect(result.baseline.deferrals).toEqual({ window: 0, cap: 0 });
    expect(result.candidate.deferrals.window).toBeGreaterThanOrEqual(1);
  });
});

describe('replay: changed counts customers, differences counts journeys', () => {
  it('a customer whose journeys change in two workflows is one changed customer and two differences, one per workflow', async () => {
    // Two workflows entered on the same event, both with the wait cut: each of ana's journeys changes.
    const onboarding = (w: Record<string, any>) => Object.assign(w, { id: 'trial-onboarding', name: 'Trial onboarding' });
    const baseline = workflowsDir(trialNurture(), trialNurture(onboarding));
    const candidate = workflowsDir(...[trialNurture(), trialNurture(onboarding)].map((w) => ((w.steps.pause.duration = 'P2D'), w)));
    const result = await replayEvents([trial('ana', T0)], baseline, candidate);

    expect(result.customers).toBe(1);
    expect(result.changed).toBe(1);
    expect(result.differences.map((d) => [d.customerId, d.workflowId])).toEqual([['ana', 'trial-nurture'], ['ana', 'trial-onboarding']]);
    // As `--json` prints it (README, "Replay"): one entry per customer and workflow, each with its workflowId.
    const json = replayJson(result, { lines: 1, late: 0, heldAtMost: 1 });
    expect([json.changed, json.differences.length]).toEqual([1, 2]);
    expect(new Set(json.differences.map((d) => d.customerId)).size).toBe(json.changed);
    expect(Object.keys(json.differences[0]!)).toEqual(['customerId', 'workflowId', 'baseline', 'candidate']);
  });
});

describe('replay: each side behind its own rules', () => {
  it('a candidate that also enters on webinar.attended: customers only that event brings are new journeys, the baseline drops the event as EventBridge would', async () => {
    const baseline = workflowsDir(trialNurture());
    const candidate = workflowsDir(trialNurture((w) => (w.entry.on = { 'detail-type': ['trial.started', 'webinar.attended'] })));
    const result = await replayEvents([trial('ana', T0), event('dev', 'webinar.attended', T0, { seats: 3 })], baseline, candidate);

    expect(result.differences.map((d) => [d.customerId, d.baseline.status, d.candidate.status])).toEqual([['dev', null, 'completed']]);
    expect(result.baseline.unrouted).toBe(1);
    expect(result.candidate.unrouted).toBe(0);
    // Dev's event carried no address: the candidate's journey skips his emails, and that shows as a finished journey with none.
    expect(result.differences[0]!.candidate.emails).toEqual([]);
  });
});

describe('compareEmails', () => {
  it('matches identical emails first, pairs what is left of the same step and content as moved, and calls the rest added or removed', () => {
    const e = (at: number, stepId: string, contentId = stepId) => ({ at, stepId, contentId });
    expect(compareEmails([e(1, 'a'), e(2, 'b'), e(3, 'c'), e(4, 'c')], [e(1, 'a'), e(5, 'b'), e(3, 'c'), e(6, 'd')])).toEqual({
      added: [e(6, 'd')],
      removed: [e(4, 'c')],
      retimed: [{ baseline: e(2, 'b'), candidate: e(5, 'b') }],
    });
  });
});

