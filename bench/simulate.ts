/**
 * `waymark simulate` of 1,000,000 customers over 30 days, as a user runs it:
 * wall time, CPU time and peak memory of the whole process (GNU time; worker
 * threads included), against a baseline measured the same way: the CLI
 * starting, loading and validating the workflows (`waymark validate`).
 */
import { timedWaymark } from './timed-process';

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


export function benchSimulate(customers = 1_000_000, days = 30): SimulateBenchmark {
  const baseline = timedWaymark(['validate']);
  const run = timedWaymark(['simulate', 'workflows/cold-traffic-nurture.json', '--customers', String(customers), '--days', String(days), '--seed', '1', '--json']);
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
