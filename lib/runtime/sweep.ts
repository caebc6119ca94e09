/**
 * The sweep: every minute, enqueue a wake-up for each customer whose timer
 * fell due, reading the due index forward from where the last sweep stopped.
 *
 * - One sweep at a time: a lease on the cursor item (a crashed sweep's lease
 *   expires; its successor starts again from the stored cursor).
 * - Fair across shards: the limit is split between shards, and the shard read
 *   first rotates, so a backlog on one shard never starves the others.
 * - Nothing enqueued twice: each shard's cursor records where it stopped and
 *   the entries it enqueued in the last `marginMs` before that point. The next
 *   sweep reads from `marginMs` before the cursor (a journey written a moment
 *   after the last read, with a timer already passed by then, is still found)
 *   and skips what it enqueued already. Journeys never keep a timer in the
 *   past (the engine fires what is due before writing), so `marginMs` only
 *   needs to cover the time between an input's clock reading and its write.
 * - Journeys parked because their workflow version was not deployed are put
 *   back when that version is deployed again.
 */
import { hash53 } from '../engine/hash';
import type { Logger } from './journey-service';
import type { WorkMessage } from './queue';
import type { DueEntry, JourneyStore, SweepCursor } from './store';
import { dueSortKey } from './table';

export interface SweepOptions {
  store: Pick<JourneyStore, 'acquireSweep' | 'releaseSweep' | 'dueEntries' | 'unparkJourneys'>;
  enqueue: (messages: WorkMessage[]) => Promise<void>;
  shards: number;
  /** At most this many journeys enqueued per run, split between shards. */
  limit: number;
  /** How far before its cursor a sweep reads again (see above). */
  marginMs: number;
  /** How long a sweep may hold the cursor before another may take it over. */
  leaseMs: number;
  log: Logger;
}

export interface SweepReport {
  /** Another sweep holds the lease: this one did nothing. */
  busy: boolean;
  /** Wake-ups enqueued (one per customer). */
  enqueued: number;
  /** Due journeys found. */
  journeys: number;
  /** Some shard had more due than its share of the limit: the rest waits for the next run. */
  limited: boolean;
}

/** A short tag for an entry the sweep enqueued: its due time (to forget it later) and a hash of its keys. */
function tagOf(entry: DueEntry): string {
  return `${entry.dueAt.toString(36)}:${hash53(`${entry.customerId}\u0000${entry.workflowId}\u0000${entry.sortKey}`).toString(36)}`;
}

function dueOfTag(tag: string): number {
  return Number.parseInt(tag.slice(0, tag.indexOf(':')), 36);
}

function dueOfSortKey(sortKey: string): number {
  return Date.parse(sortKey.slice(sortKey.indexOf('|') + 1));
}

export async function sweepDue(options: SweepOptions, now: number): Promise<SweepReport> {
  const { store, shards, marginMs } = options;
  const cursor = await store.acquireSweep(now, now + options.leaseMs, shards);
  if (!cursor) return { busy: true, enqueued: 0, journeys: 0, limited: false };
  const perShard = Math.max(1, Math.ceil(options.limit / shards));
  const upTo = `${dueSortKey(now)}\uffff`;
  const first = Math.floor(now / 60_000) % shards;
  const customers = new Set<string>();
  const next: SweepCursor = { lease: cursor.lease, shards: cursor.shards.map((s) => ({ upTo: s.upTo, recent: s.recent })) };
  let journeys = 0;
  let limited = false;
  for (let i = 0; i < shards; i++) {
    const shard = (first + i) % shards;
    const { upTo: stoppedAt, recent } = cursor.shards[shard]!;
    const seen = new Set(recent);
    const after = stoppedAt === null ? null : dueSortKey(dueOfSortKey(stoppedAt) - marginMs);
    const entries = await store.dueEntries(shard, after, upTo, perShard + seen.size + 1);
    const fresh = entries.filter((e) => !(stoppedAt !== null && e.sortKey <= stoppedAt && seen.has(tagOf(e))));
    const taken = fresh.slice(0, perShard);
    const shardLimited = fresh.length > perShard;
    limited ||= shardLimited;
    for (const entry of taken) customers.add(entry.customerId);
    journeys += taken.length;
    const newUpTo = shardLimited ? taken[taken.length - 1]!.sortKey : dueSortKey(now);
    const horizon = dueOfSortKey(newUpTo) - marginMs;
    next.shards[shard] = { upTo: newUpTo, recent: [...recent, ...taken.map(tagOf)].filter((tag) => dueOfTag(tag) > horizon) };
  }
  // Enqueued before the cursor moves: a crash in between enqueues again (harmless), never skips.
  await options.enqueue([...customers].map((customerId) => ({ kind: 'wake' as const, customerId })));
  await store.releaseSweep(next);
  if (journeys > 0) options.log.info('due journeys enqueued', { journeys, customers: customers.size, limited });
  return { busy: false, enqueued: customers.size, journeys, limited };
}

/** Puts back journeys parked for workflow versions that are deployed (again). */
export async function unparkDeployed(store: Pick<JourneyStore, 'unparkJourneys'>, deployed: ReadonlyArray<{ id: string; version: number }>, now: number, limit: number): Promise<number> {
  let moved = 0;
  for (const workflow of deployed) moved += await store.unparkJourneys(workflow.id, workflow.version, now, limit);
  return moved;
}
