/**
 * `waymark replay` through the real CLI: the acceptance command on the
 * sample events, checked against `waymark run` of each workflow set (the
 * customers it reports are exactly those whose outcome differs), the
 * readable summary, an archive directory, and usage errors.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { parseSince, replayJson, writeJson } from '../../lib/cli/replay-command';
import type { ReplayResult } from '../../lib/replay/replay';
import { archiveLine } from '../../lib/replay/archive-format';

function waymark(...args: string[]): string {
  return execFileSync(process.execPath, ['bin/waymark.js', ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
}
function failure(...args: string[]): { status: number; stderr: string } {
  try {
    waymark(...args);
  } catch (error) {
    const e = error as { status: number; stderr: string };
    return { status: e.status, stderr: e.stderr };
  }
  throw new Error('expected the command to fail');
}

const EVENTS = 'workflows/examples/cold-traffic.jsonl';
let candidate: string;

beforeAll(() => {
  // The candidate: a copy of workflows/ changed in one place, the silent lead's slow-down wait (P7D → P5D).
  candidate = join(mkdtempSync(join(tmpdir(), 'waymark-candidate-')), 'workflows');
  cpSync('workflows', candidate, { recursive: true });
  const file = join(candidate, 'cold-traffic-nurture.json');
  const workflow = JSON.parse(readFileSync(file, 'utf8'));
  workflow.steps['slow-down'].duration = 'P5D';
  writeFileSync(file, JSON.stringify(workflow, null, 2));
});

type RunJson = { emails: Array<{ at: string; customerId: string; workflowId: string; stepId: string; contentId: string }>; customers: Array<{ customerId: string; workflowId: string; status: string }> };

/** Per journey, its status and emails, as `waymark run --json` reports them. */
function outcomes(run: RunJson): Map<string, string> {
  const byJourney = new Map<string, string>();
  for (const c of run.customers) byJourney.set(`${c.customerId} ${c.workflowId}`, c.status);
  for (const e of run.emails) byJourney.set(`${e.customerId} ${e.workflowId}`, `${byJourney.get(`${e.customerId} ${e.workflowId}`)} ${e.at} ${e.stepId} ${e.contentId}`);
  return byJourney;
}

describe('waymark replay', () => {
  it('acceptance: --json reports exactly the customers whose outcome differs between the baseline and the candidate, as `waymark run` of each shows', () => {
    const output = JSON.parse(waymark('replay', '--events', EVENTS, '--baseline', 'workflows', '--candidate', candidate, '--json'));
    expect(Object.keys(output).slice(0, 5)).toEqual(['customers', 'changed', 'emails', 'conversions', 'differences']);

    const before = outcomes(JSON.parse(waymark('run', '--workflows', 'workflows', '--events', EVENTS, '--json')));
    const after = outcomes(JSON.parse(waymark('run', '--workflows', candidate, '--events', EVENTS, '--json')));
    const differing = [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).map((k) => k.split(' ')[0]);
    expect(differing).toEqual(['c-ben']);
    expect(output.differences.map((d: { customerId: string }) => d.customerId)).toEqual(differing);
    expect(output.changed).toBe(1);
    expect(output.customers).toBe(new Set([...before.keys()].map((k) => k.split(' ')[0])).size);

    expect(output.differences[0]).toEqual({
      customerId: 'c-ben',
      workflowId: 'cold-traffic-nurture',
      baseline: {
        status: 'completed',
        emails: [
          { at: '2026-11-03T10:00:00.000Z', stepId: 'welcome', contentId: 'article-get-paid-faster' },
          { at: '2026-11-06T10:00:00.000Z', stepId: 'article-2', contentId: 'article-invoice-mistakes' },
          { at: '2026-11-17T10:00:00.000Z', stepId: 'article-3', contentId: 'article-cash-flow-basics' },
          { at: '2026-12-01T10:00:00.000Z', stepId: 'sunset', contentId: 'still-interested' },
        ],
      },
      candidate: {
        status: 'completed',
        emails: [
          { at: '2026-11-03T10:00:00.000Z', stepId: 'welcome', contentId: 'article-get-paid-faster' },
          { at: '2026-11-06T10:00:00.000Z', stepId: 'article-2', contentId: 'article-invoice-mistakes' },
          { at: '2026-11-16T09:00:00.000Z', stepId: 'article-3', contentId: 'article-cash-flow-basics' },
          { at: '2026-11-30T09:00:00.000Z', stepId: 'sunset', contentId: 'still-interested' },
        ],
      },
    });
    expect(output.emails).toEqual({ baseline: 15, candidate: 15 });
    expect(output.conversions).toEqual({ baseline: 1, candidate: 1 });
    expect(output.perStep).toEqual([
      { workflowId: 'cold-traffic-nurture', stepId: 'article-3', baseline: 1, candidate: 1, added: 0, removed: 0, retimed: 1 },
      { workflowId: 'cold-traffic-nurture', stepId: 'sunset', baseline: 1, candidate: 1, added: 0, removed: 0, retimed: 1 },
    ]);
    expect(output.rejected.map((r: { line: number }) => r.line)).toEqual([13, 14]);
  });

  it('the same workflows on both sides: nothing changed', () => {
    const output = JSON.parse(waymark('replay', '--events', EVENTS, '--baseline', 'workflows', '--candidate', 'workflows', '--json'));
    expect([output.changed, output.differences, output.perStep]).toEqual([0, [], []]);
  });

  it('prints a readable summary: totals side by side, the steps that changed, each changed customer with their emails moved', () => {
    const text = waymark('replay', '--events', EVENTS, '--baseline', 'workflows', '--candidate', candidate);
    expect(text).toContain('Replayed 12 events from workflows/examples/cold-traffic.jsonl');
    expect(text).toMatch(/emails\s+15\s+15\s+=/);
    expect(text).toMatch(/cold-traffic-nurture\/article-3\s+1 → 1\s+1 at another time/);
    expect(text).toContain('1 of 4 customers changed');
    expect(text).toContain('c-ben  cold-traffic-nurture  completed');
    expect(text).toContain('~ 2026-11-17 10:00 → 2026-11-16 09:00  article-3 · article-cash-flow-basics');
    expect(text).toContain('workflows/examples/cold-traffic.jsonl:13: detail.customerId: required');
  });

  it('replays an archive directory (what `waymark dev` keeps in .waymark/events)', () => {
    const archive = mkdtempSync(join(tmpdir(), 'waymark-archive-'));
    const lines = readFileSync(EVENTS, 'utf8').split('\n').slice(0, 3).map((l) => JSON.parse(l) as { time: string });
    writeFileSync(join(archive, '2026-11-02.jsonl'), `${lines.map((e) => archiveLine(e, Date.parse(e.time))).sort().join('\n')}\n`);
    const output = JSON.parse(waymark('replay', '--from', archive, '--baseline', 'workflows', '--candidate', candidate, '--json'));
    expect(output.events).toEqual({ lines: 3, applied: 3, skipped: 0, late: 0, unrouted: { baseline: 0, candidate: 0 } });
    // Only the three leads, without the clicks and the complaint of the full file: all three go silent and reach the shorter wait.
    expect(output.differences.map((d: { customerId: string }) => d.customerId)).toEqual(['c-ana', 'c-ben', 'c-dev']);
  });

  it('usage errors exit with 2 and say what is missing or wrong', () => {
    expect(failure('replay', '--events', EVENTS, '--candidate', candidate)).toMatchObject({ status: 2, stderr: expect.stringContaining("required option '--baseline <dir>'") });
    expect(failure('replay', '--baseline', 'workflows', '--candidate', candidate)).toMatchObject({ status: 2, stderr: expect.stringContaining('give the events: --events FILE...') });
    expect(failure('replay', '--events', EVENTS, '--baseline', 'workflows', '--candidate', 'no-such-dir')).toMatchObject({ status: 2, stderr: expect.stringContaining('--candidate no-such-dir:') });
  });
});

describe('--since', () => {
  it('is a duration back from now, or a date (UTC midnight) or an instant', () => {
    const now = Date.parse('2026-12-15T10:30:00Z');
    expect(new Date(parseSince('P30D', now)).toISOString()).toBe('2026-11-15T10:30:00.000Z');
    expect(new Date(parseSince('pt12h', now)).toISOString()).toBe('2026-12-14T22:30:00.000Z');
    expect(new Date(parseSince('2026-11-01', now)).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(parseSince('2026-11-01T09:00:00+01:00', now)).toISOString()).toBe('2026-11-01T08:00:00.000Z');
    expect(() => parseSince('last month', now)).toThrow('--since expects a duration such as P30D or PT12H, or a date such as 2026-11-01, not "last month"');
    expect(() => parseSince('P3X', now)).toThrow(/--since expects a duration/);
  });
});

describe('--json, written a difference at a time', () => {
  it('is exactly JSON.stringify of the whole document, with no difference, one, or many', async () => {
    const totals = { emails: 3, conversions: 1, deferrals: { window: 1, cap: 0 }, statuses: { completed: 2 }, unrouted: 0, warnings: 0, finished: true };
    const difference = (customerId: string) => ({
      customerId,
      workflowId: 'w',
      baseline: { status: 'completed', emails: [{ at: 0, stepId: 's "quoted"', contentId: 'c' }] },
      candidate: { status: null, emails: [] },
    });
    for (const count of [0, 1, 3000]) {
      const result: ReplayResult = {
        applied: 1, skipped: 0, rejected: [{ file: 'f', line: 1, reason: 'a "differences": [] inside a reason' }], customers: count, changed: count,
        baseline: totals, candidate: totals, perStep: [], differences: Array.from({ length: count }, (_, i) => difference(`c-${i}`)),
      };
      const stats = { lines: 1, late: 0, heldAtMost: 1 };
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (chunk: Buffer) => chunks.push(chunk));
      await writeJson(result, stats, out);
      expect(Buffer.concat(chunks).toString('utf8')).toBe(`${JSON.stringify(replayJson(result, stats), null, 2)}\n`);
    }
  });
});
