/**
 * Events files (`waymark run --events`): how a line says "this customer clicked the last email of
 * this journey". The shorthand `{"detail-type": "Email Clicked", "time", "detail": {"customerId",
 * "workflowId"}}` is an SES click (no `source` needed), gets an id from its line (no `id` needed),
 * and is about the latest email the journey sent that customer by the click's time.
 */
import { describe, expect, it } from 'vitest';
import { type RunResult, runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';

const loaded = loadValidWorkflows(['workflows']);
const registry = new WorkflowRegistry(loaded.workflows, loaded.catalogue);
const NURTURE = 'cold-traffic-nurture';

/** Monday 2026-11-02, 09:05 in New York: the welcome goes at once. */
const lead = (customerId: string, time = '2026-11-02T14:05:00Z') => ({
  id: `lead-${customerId}`,
  source: 'com.ledgerly.web',
  'detail-type': 'lead.captured',
  time,
  detail: { customerId, profile: { email: `${customerId}@example.com`, firstName: 'Ana' } },
});
const clicked = (customerId: string, time: string, detail: Record<string, unknown> = { workflowId: NURTURE }) => ({ 'detail-type': 'Email Clicked', time, detail: { customerId, ...detail } });

async function run(lines: object[], until = '2026-11-20T00:00:00Z'): Promise<RunResult & { sent: string[]; count(name: string, stepId: string): Promise<number> }> {
  const result = await runTimeline(registry, timelineFromJsonLines(lines.map((line) => JSON.stringify(line)).join('\n')), { until: Date.parse(until) });
  return {
    ...result,
    sent: result.emails.map((e) => `${new Date(e.at).toISOString().slice(0, 16)} ${e.customerId} ${e.stepId}`),
    count: async (name, stepId) => (await result.runner.store.readCounters(NURTURE)).filter((r) => r.name === name && r.stepId === stepId).reduce((sum, r) => sum + r.value, 0),
  };
}

describe('a click written as {"detail-type": "Email Clicked", "detail": {"customerId", "workflowId"}}', () => {
  it('is a click on the latest email of that journey: Ana clicks the welcome and gets the guide at once', async () => {
    const played = await run([lead('c-ana'), clicked('c-ana', '2026-11-03T15:00:00Z')]);
    expect(played.rejected).toEqual([]);
    expect(played.sent.slice(0, 2)).toEqual(['2026-11-02T14:05 c-ana welcome', '2026-11-03T15:00 c-ana guide']);
    expect(await played.count('email.clicked', 'welcome')).toBe(1);
  });

  it('the latest by the time of the click: a click after the second article is a click on it', async () => {
    // No click on the welcome: the second article goes three days later, and the click that follows is about it.
    const played = await run([lead('c-ben'), clicked('c-ben', '2026-11-06T15:00:00Z')]);
    expect(played.sent.slice(0, 3)).toEqual(['2026-11-02T14:05 c-ben welcome', '2026-11-05T14:05 c-ben article-2', '2026-11-06T15:00 c-ben guide']);
    expect(await played.count('email.clicked', 'welcome')).toBe(0);
    expect(await played.count('email.clicked', 'article-2')).toBe(1);
  });

  it('is an SES event with an id from its line: the same file gives the same ids, two equal lines are two clicks', () => {
    const text = [lead('c-ana'), clicked('c-ana', '2026-11-03T15:00:00Z'), clicked('c-ana', '2026-11-03T15:00:00Z')].map((l) => JSON.stringify(l)).join('\n');
    const events = (file: string) => timelineFromJsonLines(file).items.map((item) => (item.kind === 'event' ? (item.event as { id: string; source: string }) : undefined));
    const first = events(text);
    expect(first[1]).toMatchObject({ source: 'aws.ses', id: expect.stringMatching(/^line-2-[0-9a-f]{16}$/) });
    expect(first[2]!.id).toMatch(/^line-3-/);
    expect(events(text)).toEqual(first);
  });

  it('the same click twice counts once: clicks are unique per email', async () => {
    const played = await run([lead('c-ana'), clicked('c-ana', '2026-11-03T15:00:00Z'), clicked('c-ana', '2026-11-03T15:30:00Z')]);
    expect(await played.count('email.clicked', 'welcome')).toBe(1);
  });

  it('an open is written the same way', async () => {
    const played = await run([lead('c-ana'), { 'detail-type': 'Email Opened', time: '2026-11-02T18:00:00Z', detail: { customerId: 'c-ana', workflowId: NURTURE } }]);
    expect(await played.count('email.opened', 'welcome')).toBe(1);
    expect(await played.count('email.clicked', 'welcome')).toBe(0);
  });

  it('"stepId" picks the latest email of that step; without "workflowId", the latest email of any journey', async () => {
    const played = await run([lead('c-ben'), clicked('c-ben', '2026-11-06T10:00:00Z', { stepId: 'welcome' })]);
    expect(await played.count('email.clicked', 'welcome')).toBe(1);
    expect(await played.count('email.clicked', 'article-2')).toBe(0);
    expect(played.rejected).toEqual([]);
  });

  it('a line that names its email (emailSeq and stepId, as SES tags carry them) is taken as it is', async () => {
    const played = await run([lead('c-ben'), { ...clicked('c-ben', '2026-11-06T10:00:00Z', { workflowId: NURTURE, stepId: 'welcome', emailSeq: 1 }), source: 'aws.ses', id: 'ses-1' }]);
    expect(await played.count('email.clicked', 'welcome')).toBe(1);
  });
});

describe('a click that no email explains', () => {
  it('a journey that had sent the customer nothing: applied as it is (as the deployed engine would), with a warning', async () => {
    const played = await run([clicked('c-cara', '2026-11-01T10:00:00Z'), lead('c-cara')]);
    expect(played.rejected).toEqual([]);
    expect(played.warnings).toContainEqual(
      expect.objectContaining({ customerId: 'c-cara', workflowId: NURTURE, code: 'engagement-without-email', message: 'Email Clicked at 2026-11-01T10:00:00Z: the journey had sent c-cara no email by then; applied as a click on no particular email (it still ends a wait for one)' }),
    );
    // A click from before the wait began does not end it.
    expect(played.sent.slice(0, 2)).toEqual(['2026-11-02T14:05 c-cara welcome', '2026-11-05T14:05 c-cara article-2']);
  });

  it('no journey named and none had sent anything: the line is rejected, with the reason', async () => {
    const played = await run([clicked('c-dev', '2026-11-01T10:00:00Z', {})]);
    expect(played.rejected).toEqual([
      { line: 1, reason: 'Email Clicked by c-dev at 2026-11-01T10:00:00Z: no journey had sent c-dev an email by then, so there is nothing to click (say whose email it is with "workflowId")' },
    ]);
  });

  it('a click needs its time, like every line: there is no default', async () => {
    const played = await run([lead('c-ana'), { 'detail-type': 'Email Clicked', detail: { customerId: 'c-ana', workflowId: NURTURE } }]);
    expect(played.rejected).toEqual([{ line: 2, reason: 'time: required: every events line says when it happened, as an ISO 8601 time with a zone (e.g. "2026-11-03T15:00:00Z"); there is no default' }]);
  });
});
