/**
 * `waymark simulate` of 1,000,000 customers over 30 days, as a user runs it:
 * wall time, CPU time and peak memory of the whole process (GNU time; worker
 * threads included), against a baseline measured the same way: the CLI
 * starting, loading and validating the workflows (`waymark validate`).
 */
import { spawnSync } from 'node:child_process';

export interface SimulateBenchmark {
  customers: number;
  days: number;
  wallSeconds: number;
  /** User + system CPU seconds of the process and its worker threads (a busy machine moves wall time far more). */
  cpuSeconds: number;
  peakMemoryMb: number;
  /** Simulated customers per wall second. */
  customersPerSecond: number;
  baseline: { wallSeconds: number; peakMemoryMb: number };
  /** simulate wall time ÷ baseline wall time */
  ratio: number;
  emails: number | null;
}

function timed(args: string[]): { wallSeconds: number; cpuSeconds: number; peakMemoryMb: number; stdout: string } {
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, 'bin/waymark.js', ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  if (run.status !== 0) throw new Error(`waymark ${args.join(' ')} failed: ${run.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(run.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const wallSeconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
  return { wallSeconds, cpuSeconds: Number(user?.[1] ?? Number.NaN) + Number(system?.[1] ?? Number.NaN), peakMemoryMb: rss ? Number(rss[1]) / 1024 : Number.NaN, stdout: run.stdout };
}

export function benchSimulate(customers = 1_000_000, days = 30): SimulateBenchmark {
  const baseline = timed(['validate']);
  const run = timed(['simulate', 'workflows/cold-traffic-nurture.json', '--customers', String(customers), '--days', String(days), '--seed', '1', '--json']);
  let emails: number | null = null;
  try {
    emails = (JSON.parse(run.stdout) as { forecast: { emails: { total: number } } }).forecast.emails.total;
  } catch {
    emails = null;
  }
  return {
    customers,
    days,
    wallSeconds: run.wallSeconds,
    cpuSeconds: run.cpuSeconds,
    peakMemoryMb: run.peakMemoryMb,
    customersPerSecond: customers / run.wallSeconds,
    baseline: { wallSeconds: baseline.wallSeconds, peakMemoryMb: baseline.peakMemoryMb },
    ratio: run.wallSeconds / baseline.wallSeconds,
    emails,
  };
}
