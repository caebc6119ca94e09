/**
 * Runs the waymark CLI as a user would, under GNU time: wall time, CPU time (user + system, worker
 * threads included) and peak memory of the whole process. The simulate and replay benchmarks, and
 * their `waymark validate` baselines, are measured this way.
 */
import { spawnSync } from 'node:child_process';

export interface TimedProcess {
  wallSeconds: number;
  cpuSeconds: number;
  peakMemoryMb: number;
  stdout: string;
}

export function timedWaymark(args: string[]): TimedProcess {
  const run = spawnSync('/usr/bin/time', ['-v', process.execPath, 'bin/waymark.js', ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024, env: { ...process.env, NO_COLOR: '1' } });
  if (run.status !== 0) throw new Error(`waymark ${args.join(' ')} failed: ${run.stderr.slice(-2000)}`);
  const wall = /Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)/.exec(run.stderr);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(run.stderr);
  const wallSeconds = wall ? Number(wall[1] ?? 0) * 3600 + Number(wall[2]) * 60 + Number(wall[3]) : Number.NaN;
  return { wallSeconds, cpuSeconds: Number(user?.[1] ?? Number.NaN) + Number(system?.[1] ?? Number.NaN), peakMemoryMb: rss ? Number(rss[1]) / 1024 : Number.NaN, stdout: run.stdout };
}
