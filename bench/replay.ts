/**
 * `waymark replay` of 1,000,000 events, as a user runs it: the sample
 * workflows against a candidate with one change (the first click wait, P3D →
 * P2D: every lead who does not click within two days changes), events read
 * from a JSON Lines file in arrival order (up to two minutes out of time
 * order, as an archive is), wall time and peak memory of the whole process
 * (GNU time), against a baseline measured the same way: `waymark validate`.
 *
 * The events: about 149,000 leads over 30 days, each with five page views,
 * and some with a click on the first email (40%), a trial (20%, a profile
 * update), an order (10%) or a deletion (1%): 6.7 events a lead.
 */
import { timedWaymark } from './timed-process';
import { closeSync, cpSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seededRandom } from '../lib/dev/demo';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const START = Date.parse('2026-11-02T00:00:00Z');
const ZONES = ['America/New_York', 'Europe/London', 'Europe/Berlin', 'America/Los_Angeles', 'Asia/Tokyo'];

export interface ReplayBenchmark {
  events: number;
  customers: number;
  fileMb: number;
  wallSeconds: number;
  /** User and system CPU time: on a busy machine, wall time says more about the others than about the replay. */
  cpuSeconds: number;
  peakMemoryMb: number;
  /** Events per wall second. */
  eventsPerSecond: number;
  /** Customers whose journey changed, of those replayed (from the summary). */
  changed: number | null;
  replayedCustomers: number | null;
  baseline: { wallSeconds: number; cpuSeconds: number; peakMemoryMb: number };
}

const KINDS = ['lead.captured', 'page.viewed', 'Email Clicked', 'trial.started', 'order.placed', 'customer.deleted'] as const;

/** Writes `events` events (about) for the sample workflows to `path`, in arrival order; returns how many leads. */
export function writeReplayWorkload(path: string, events: number, seed = 11): { customers: number; events: number } {
  const random = seededRandom(seed);
  const time = new Float64Array(events);
  const arrival = new Float64Array(events);
  const who = new Int32Array(events);
  const kind = new Uint8Array(events);
  let n = 0;
  const add = (at: number, customer: number, k: number) => {
    if (n >= events) return;
    time[n] = Math.round(at);
    // Arrival: up to two minutes after the event's time, so the file is slightly out of time order.
    arrival[n] = Math.round(at + random() * 120_000);
    who[n] = customer;
    kind[n] = k;
    n += 1;
  };
  let customers = 0;
  for (let c = 0; n < events; c++, customers++) {
    const lead = START + random() * 30 * DAY;
    add(lead, c, 0);
    for (let p = 0; p < 5; p++) add(lead + random() * 10 * DAY, c, 1);
    if (random() < 0.4) add(lead + random() * 2 * DAY + HOUR, c, 2);
    if (random() < 0.2) add(lead + random() * 6 * DAY, c, 3);
    if (random() < 0.1) add(lead + random() * 8 * DAY, c, 4);
    if (random() < 0.01) add(lead + random() * 8 * DAY, c, 5);
  }
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => arrival[a]! - arrival[b]! || a - b);

  const fd = openSync(path, 'w');
  let chunk: string[] = [];
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    const customerId = `c-${who[i]}`;
    const iso = new Date(time[i]!).toISOString();
    const k = KINDS[kind[i]!]!;
    let event: Record<string, unknown>;
    if (k === 'Email Clicked') {
      event = { id: `e-${i}`, source: 'aws.ses', 'detail-type': k, time: iso, detail: { customerId, workflowId: 'cold-traffic-nurture', stepId: 'welcome', emailSeq: 1, link: 'https://ledgerly.example/blog' } };
    } else {
      const detail: Record<string, unknown> = { customerId };
      if (k === 'lead.captured') detail.profile = { email: `${customerId}@example.com`, firstName: `Lead ${who[i]}`, timezone: ZONES[who[i]! % ZONES.length] };
      if (k === 'page.viewed') detail.url = 'https://ledgerly.example/pricing';
      if (k === 'trial.started') detail.profile = { plan: 'trial' };
      if (k === 'order.placed') Object.assign(detail, { orderId: `o-${i}`, plan: 'Pro', amount: 29 });
      event = { id: `e-${i}`, source: 'com.ledgerly.web', 'detail-type': k, time: iso, detail };
    }
    chunk.push(JSON.stringify(event));
    if (chunk.length === 10_000) {
      writeSync(fd, `${chunk.join('\n')}\n`);
      chunk = [];
    }
  }
  if (chunk.length > 0) writeSync(fd, `${chunk.join('\n')}\n`);
  closeSync(fd);
  return { customers, events: n };
}


export function benchReplay(events = 1_000_000): ReplayBenchmark {
  const work = mkdtempSync(join(tmpdir(), 'waymark-bench-replay-'));
  try {
    const file = join(work, 'events.jsonl');
    const written = writeReplayWorkload(file, events);
    const candidate = join(work, 'candidate');
    cpSync('workflows', candidate, { recursive: true });
    const path = join(candidate, 'cold-traffic-nurture.json');
    const workflow = JSON.parse(readFileSync(path, 'utf8'));
    workflow.steps['clicked-1?'].until.timeout = 'P2D';
    writeFileSync(path, JSON.stringify(workflow));

    const baseline = timedWaymark(['validate']);
    const run = timedWaymark(['replay', '--events', file, '--baseline', 'workflows', '--candidate', candidate]);
    const summary = /(\d+) of (\d+) customers? changed/.exec(run.stdout);
    return {
      events: written.events,
      customers: written.customers,
      fileMb: statSync(file).size / 2 ** 20,
      wallSeconds: run.wallSeconds,
      cpuSeconds: run.cpuSeconds,
      peakMemoryMb: run.peakMemoryMb,
      eventsPerSecond: written.events / run.wallSeconds,
      changed: summary ? Number(summary[1]) : null,
      replayedCustomers: summary ? Number(summary[2]) : null,
      baseline: { wallSeconds: baseline.wallSeconds, cpuSeconds: baseline.cpuSeconds, peakMemoryMb: baseline.peakMemoryMb },
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
