/**
 * `waymark run --json` prints exactly {emails, customers, rejected, warnings}, as the CLI reference
 * documents; the readable summary says what the send budget across journeys held or skipped.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function waymark(...args: string[]): string {
  return execFileSync(process.execPath, ['bin/waymark.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}

describe('waymark run', () => {
  it('--json prints the documented shape, emails sorted by time then customer', () => {
    const output = JSON.parse(waymark('run', '--workflows', 'workflows', '--events', 'workflows/examples/cold-traffic.jsonl', '--json'));
    expect(Object.keys(output)).toEqual(['emails', 'customers', 'rejected', 'warnings']);
    expect(Object.keys(output.emails[0])).toEqual(['at', 'customerId', 'workflowId', 'stepId', 'stage', 'contentId', 'to', 'subject']);
    expect(output.emails[0]).toEqual({
      at: '2026-11-02T14:05:00.000Z',
      customerId: 'c-ana',
      workflowId: 'cold-traffic-nurture',
      stepId: 'welcome',
      stage: 'awareness',
      contentId: 'article-get-paid-faster',
      to: 'ana.silva@example.com',
      subject: 'Ana, 3 ways to get paid faster',
    });
    const order = output.emails.map((e: { at: string; customerId: string }) => `${e.at} ${e.customerId}`);
    expect(order).toEqual([...order].sort());
    expect(Object.keys(output.customers[0])).toEqual(['customerId', 'workflowId', 'version', 'status', 'stepId', 'stage']);
    expect(output.customers.every((c: { status: string; stepId: unknown }) => c.status === 'active' || c.stepId === null)).toBe(true);
    expect(output.rejected.map((r: { line: number }) => r.line)).toEqual([13, 14]);
  });

  it('--until stops the clock: customers still waiting show the step they wait at', () => {
    const output = JSON.parse(waymark('run', '--events', 'workflows/examples/post-purchase.jsonl', '--until', '2026-11-03T02:00:00Z', '--json'));
    expect(output.customers).toEqual([{ customerId: 'p-fay', workflowId: 'post-purchase', version: 1, status: 'active', stepId: 'settle-in', stage: 'purchase' }, { customerId: 'p-gus', workflowId: 'post-purchase', version: 1, status: 'active', stepId: 'welcome', stage: 'purchase' }]);
  });

  it('prints a readable summary without --json, and fails clearly on a missing file', () => {
    const text = waymark('run', '--events', 'workflows/examples/post-purchase.jsonl');
    expect(text).toContain('Emails (19)');
    expect(text).toContain('p-fay  post-purchase v1  completed');
    // The budget held and skipped nothing here: no line about it.
    expect(text).not.toContain('Send budget');
    let failure: { status?: number; stderr?: string } = {};
    try {
      waymark('run', '--events', 'no-such-file.jsonl');
    } catch (error) {
      failure = error as typeof failure;
    }
    expect(failure.status).toBe(2);
    expect(failure.stderr).toContain('no-such-file.jsonl');
  });

  it('late deliveries: an entry older than entry.maxAge is refused and said so; a late input runs its steps at deliveredAt', () => {
    const events = join(mkdtempSync(join(tmpdir(), 'waymark-late-')), 'late.jsonl');
    const lead = (id: string, customerId: string, time: string) => ({ id, source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time, detail: { customerId, profile: { email: `${customerId}@example.com`, timezone: 'America/New_York' } } });
    writeFileSync(
      events,
      [
        // Captured 41 days before it was delivered (redriven from the dead-letter queue).
        { deliveredAt: '2026-11-30T15:00:00Z', event: lead('old', 'c-old', '2026-10-20T15:00:00Z') },
        // Captured Monday 09:00 New York, delivered three hours late.
        { deliveredAt: '2026-11-30T17:00:00Z', event: lead('late', 'c-ben', '2026-11-30T14:00:00Z') },
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    const output = JSON.parse(waymark('run', '--events', events, '--until', '2026-11-30T18:00:00Z', '--json'));
    expect(output.warnings).toEqual([{ customerId: 'c-old', workflowId: 'cold-traffic-nurture', reason: expect.stringContaining('older than entry.maxAge (P1D): it did not start the journey') }]);
    expect(output.emails.map((e: { at: string; customerId: string; stepId: string }) => `${e.at} ${e.customerId} ${e.stepId}`)).toEqual(['2026-11-30T17:00:00.000Z c-ben welcome']);
    const text = waymark('run', '--events', events, '--until', '2026-11-30T18:00:00Z');
    expect(text).toContain('Warnings (1)');
    expect(text).toContain('c-old in cold-traffic-nurture: lead.captured of 2026-10-20T15:00:00Z was 41 days old when applied, older than entry.maxAge (P1D): it did not start the journey');
  });

  it('warns, per customer and reason, about a time zone it could not use (with what was meant) and an address it could not mail', () => {
    const events = join(mkdtempSync(join(tmpdir(), 'waymark-warn-')), 'leads.jsonl');
    const lead = (id: string, customerId: string, profile: object) => ({ id, source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time: '2026-11-02T14:05:00Z', detail: { customerId, profile } });
    writeFileSync(
      events,
      [lead('1', 'c-chi', { email: 'chi@example.com', timezone: 'America/Chicgo' }), lead('2', 'c-nomail', { email: 'not-an-email' }), { 'detail-type': 'Email Clicked', time: '2026-11-03T15:00:00Z', detail: { customerId: 'c-chi', workflowId: 'cold-traffic-nurture' } }]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    const output = JSON.parse(waymark('run', '--events', events, '--until', '2026-11-06T00:00:00Z', '--json'));
    expect(output.rejected).toEqual([]);
    // One warning per customer and reason, however many emails it touched: the zone was
    // replaced for three emails, the bad address cost two.
    expect(output.warnings).toEqual([
      { customerId: 'c-chi', workflowId: 'cold-traffic-nurture', reason: 'profile.timezone "America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?): the send window was applied in America/New_York, the workflow\'s zone (×3)' },
      { customerId: 'c-nomail', workflowId: 'cold-traffic-nurture', reason: 'profile.email "not-an-email" is not an email address: the email of step "welcome" was skipped (×2, also at step "article-2")' },
    ]);
    // The shorthand click is a click on c-chi's welcome: the guide follows at once.
    expect(output.emails.map((e: { customerId: string; stepId: string }) => `${e.customerId} ${e.stepId}`)).toEqual(['c-chi welcome', 'c-chi guide', 'c-chi testimonial']);
    const text = waymark('run', '--events', events, '--until', '2026-11-06T00:00:00Z');
    expect(text).toContain('Warnings (2)');
    expect(text).toContain('! c-chi in cold-traffic-nurture: profile.timezone "America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?)');
    expect(text).toContain('! c-nomail in cold-traffic-nurture: profile.email "not-an-email" is not an email address: the email of step "welcome" was skipped (×2, also at step "article-2")');
    expect(text.match(/c-nomail in/g)).toHaveLength(1);
  });

  it('says how many emails the send budget across journeys held and skipped (workflows/settings.json: 4 a week)', () => {
    const events = join(mkdtempSync(join(tmpdir(), 'waymark-budget-')), 'budget.jsonl');
    const profile = (name: string) => ({ email: `${name.toLowerCase()}@example.com`, firstName: name, timezone: 'America/New_York' });
    const click = (customerId: string, time: string) => ({ 'detail-type': 'Email Clicked', time, detail: { customerId, workflowId: 'cold-traffic-nurture' } });
    const joined = (id: string, customerId: string, time: string) => ({ id, source: 'waymark.audience', 'detail-type': 'Audience Joined', time, detail: { customerId, audience: 'year-end-2026' } });
    writeFileSync(
      events,
      [
        // Dev clicks through the nurture's busiest week (welcome, guide, testimonial, demo by Friday 14:00): the
        // year-end offer on Friday would be a fifth email in seven days, and the promotion skips over the budget.
        { id: '1', source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time: '2026-11-30T14:00:00Z', detail: { customerId: 'c-dev', profile: profile('Dev') } },
        click('c-dev', '2026-12-01T14:00:00Z'),
        click('c-dev', '2026-12-03T16:00:00Z'),
        joined('2', 'c-dev', '2026-12-04T16:00:00Z'),
        // Eva buys, joins the list and becomes a lead: four emails by Wednesday (post-purchase welcome and tip-1,
        // the offer, the nurture's welcome). Thursday's reminder is skipped; Saturday's tip-2 and the guide her click
        // asks for wait (overBudget "wait") until Monday, when Monday's emails leave the seven days.
        { id: '3', source: 'com.ledgerly.shop', 'detail-type': 'order.placed', time: '2026-11-30T14:00:00Z', detail: { customerId: 'c-eva', profile: profile('Eva') } },
        joined('4', 'c-eva', '2026-11-30T15:00:00Z'),
        { id: '5', source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time: '2026-12-02T14:00:00Z', detail: { customerId: 'c-eva' } },
        click('c-eva', '2026-12-03T16:00:00Z'),
      ]
        .map((line) => JSON.stringify(line))
        .join('\n'),
    );
    const text = waymark('run', '--events', events, '--until', '2026-12-09T00:00:00Z');
    expect(text).toContain('Send budget  2 emails held until the budget allowed it, 2 emails skipped over it (workflows/settings.json)');
    const output = JSON.parse(waymark('run', '--events', events, '--until', '2026-12-09T00:00:00Z', '--json'));
    const sent = output.emails.map((e: { at: string; customerId: string; workflowId: string; stepId: string }) => `${e.at.slice(0, 16)} ${e.customerId} ${e.workflowId}/${e.stepId}`);
    // Of the promotion: Eva's offer (Monday, her second email) and Dev's reminder (his week has room again by then).
    expect(sent.filter((line: string) => line.includes('year-end-promotion'))).toEqual(['2026-11-30T15:00 c-eva year-end-promotion/offer', '2026-12-07T16:00 c-dev year-end-promotion/reminder']);
    expect(sent).toContain('2026-12-07T14:00 c-eva post-purchase/tip-2');
    expect(sent).toContain('2026-12-07T15:00 c-eva cold-traffic-nurture/guide');
  });
});
