/** `waymark test`: passes on the samples, fails with a readable diff when an expectation is wrong. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

function waymark(...args: string[]): { status: number; stdout: string } {
  try {
    return { status: 0, stdout: execFileSync(process.execPath, ['bin/waymark.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } }) };
  } catch (error) {
    const failure = error as { status: number; stdout: string };
    return { status: failure.status, stdout: failure.stdout };
  }
}

function scenarioFile(change: (file: { scenarios: Array<{ name: string; expect: Record<string, unknown> }> }) => void): string {
  const file = JSON.parse(readFileSync('workflows/cold-traffic-nurture.test.json', 'utf8'));
  change(file);
  const path = join(mkdtempSync(join(tmpdir(), 'waymark-scenarios-')), 'nurture.test.json');
  writeFileSync(path, JSON.stringify(file, null, 2));
  return path;
}

describe('waymark test', () => {
  it('passes on the sample scenarios, like a test runner', () => {
    const { status, stdout } = waymark('test');
    expect(status).toBe(0);
    expect(stdout).toContain('✔ a lead who never clicks is sunset: four emails, then nothing (4 emails)');
    expect(stdout).toMatch(/\d+ scenarios passed/);
  });

  it('fails on a wrong expectation, with a diff of expected and actual emails and the other differences', () => {
    const path = scenarioFile((file) => {
      const sunset = file.scenarios.find((s) => s.name.startsWith('a lead who never clicks'))!;
      (sunset.expect.emails as Array<Record<string, string>>)[2]!.at = '+13d';
      sunset.expect.status = 'converted';
      file.scenarios = [sunset];
    });
    const { status, stdout } = waymark('test', path, '--workflows', 'workflows');
    expect(status).toBe(1);
    expect(stdout).toContain('✖ a lead who never clicks is sunset');
    expect(stdout).toContain('emails differ (expected 4, got 4)');
    expect(stdout).toContain('✔ 2. article-2 · article-invoice-mistakes · +3d (2026-11-05 14:00 UTC)');
    expect(stdout).toContain('✖ 3. - expected  article-3 · +13d');
    expect(stdout).toContain('+ actual    article-3 · article-cash-flow-basics · +14d (2026-11-16 14:00 UTC)');
    expect(stdout).toContain('status: expected "converted", got "completed"');
    expect(stdout).toContain('1 failed, 0 passed');
  });

  it('reports a missing or an extra email', () => {
    const path = scenarioFile((file) => {
      const converts = file.scenarios.find((s) => s.name.startsWith('an order converts'))!;
      converts.expect.emails = [{ step: 'welcome' }, { step: 'article-2' }];
      file.scenarios = [converts];
    });
    const { status, stdout } = waymark('test', path, '--workflows', 'workflows');
    expect(status).toBe(1);
    expect(stdout).toContain('emails differ (expected 2, got 1)');
    expect(stdout).toMatch(/✖ 2\. - expected {2}article-2\n\s+\+ actual {4}\(none\)/);
  });

  it('--json prints the results for tools', () => {
    const { status, stdout } = waymark('test', 'workflows/post-purchase.test.json', '--json');
    expect(status).toBe(0);
    const report = JSON.parse(stdout);
    expect(report.failed).toBe(0);
    expect(report.files[0].scenarios[0]).toMatchObject({ name: expect.any(String), passed: true, emails: expect.any(Array) });
  });

  it('shows under a scenario what the send budget across journeys did to its emails; --json has each email\'s step', () => {
    // The sample budget (workflows/settings.json: 4 a week): the nurture's four emails leave no room for the promotion's offer, which skips.
    const { status, stdout } = waymark('test', 'workflows/year-end-promotion.test.json');
    expect(status).toBe(0);
    expect(stdout).toContain("✔ a lead in the nurture's busiest week: the offer would be a fifth email in seven days, so it is skipped (the send budget); the reminder fits (2 emails)\n      budget: 1 email skipped (offer)\n");
    expect(stdout.match(/budget: /g)).toHaveLength(1);
    const report = JSON.parse(waymark('test', 'workflows/year-end-promotion.test.json', '--json').stdout);
    const busyWeek = report.files[0].scenarios.find((s: { name: string }) => s.name.startsWith("a lead in the nurture's busiest week"));
    expect(busyWeek.budget).toEqual({ deferred: [], skipped: ['offer'] });
  });

  it('rejects a malformed scenario file with the path of the problem', () => {
    const path = scenarioFile((file) => {
      (file.scenarios[0] as unknown as { events: Array<{ at: string }> }).events[0]!.at = 'tomorrow';
    });
    const { status, stdout } = waymark('test', path, '--workflows', 'workflows');
    expect(status).toBe(1);
    expect(stdout).toContain('$.scenarios[0].events[0].at: a time: "+0", "+3d"');
    expect(stdout).toContain('or an ISO 8601 instant such as "2026-11-02T14:00:00Z", got "tomorrow"');
  });

  it('pins a split path: a scenario says which side of the A/B split it tests, and a bad pin is an error naming the path', () => {
    const path = scenarioFile((file) => {
      const offerSide = file.scenarios.find((s) => s.name.startsWith('one click, then silence'))!;
      // "ana" would take the demo: pinned, she takes the offer.
      const pinned = { ...offerSide, name: 'ana, pinned to the offer', customer: { id: 'ana' } };
      const typo = { ...offerSide, name: 'a pin with a typo', splits: { 'demo-or-offer': 'ofer' } };
      file.scenarios = [pinned, typo];
    });
    const { status, stdout } = waymark('test', path, '--workflows', 'workflows');
    expect(status).toBe(1);
    expect(stdout).toContain('✔ ana, pinned to the offer (5 emails)');
    expect(stdout).toContain('✖ a pin with a typo\n      $.scenarios[1].splits.demo-or-offer: "ofer" is not a path of the split "demo-or-offer" (did you mean "offer"?)');
    expect(stdout).toContain('1 failed, 1 passed');
  });

  it('--json: each scenario with its warnings', () => {
    const path = scenarioFile((file) => {
      const sunset = file.scenarios.find((s) => s.name.startsWith('a lead who never clicks'))!;
      (sunset as unknown as { customer: { profile?: object } }).customer.profile = { timezone: 'Europe/Madird' };
      file.scenarios = [sunset];
    });
    const { stdout } = waymark('test', path, '--workflows', 'workflows', '--json');
    const report = JSON.parse(stdout);
    // One warning for the bad zone, though the window was checked in the workflow's zone for each of her four emails.
    expect(report.files[0].scenarios[0].warnings).toEqual([
      { code: 'timezone-invalid', customerId: 'grace', workflowId: 'cold-traffic-nurture', reason: 'profile.timezone "Europe/Madird" is not an IANA time zone (did you mean "Europe/Madrid"?): the send window was applied in America/New_York, the workflow\'s zone (×4)' },
    ]);
  });
});
