/**
 * A live journey's lifecycle (`waymark journeys list|pause|resume|stop`): the control item each
 * function reads through a short cache, what a pause held released once it is lifted, and the
 * listing of each journey's status and customers by version.
 *
 * Ordering matters more than speed here. The functions trust a control for up to CONTROL_CACHE_MS:
 * what a pause held is released, and a stopped journey's customers woken, only after every cache
 * has seen the change, so no function applies a wake-up with the old control and leaves a customer
 * behind in the due index.
 */
import type { HeldEmail } from '../engine/model';
import { CONTROL_CACHE_MS } from './controls';
import { type CounterRow, counterRow, type JourneyStore, type OutboxEntry, utcDay, type WorkflowControl } from './store';

/** How long after a change the functions' caches are sure to have seen it (the cache's life, and a margin for clock skew). */
export const CONTROL_SETTLE_MS = CONTROL_CACHE_MS + 5_000;

/** How long after a resume or stop the sweep keeps looking for what the pause held (it releases thousands a minute). */
export const RELEASE_WINDOW_MS = 86_400_000;

export type LifecycleAction = 'pause' | 'resume' | 'stop';

export class LifecycleError extends Error {
  override readonly name = 'LifecycleError';
}

/** What each journey's control reads as, when none was ever written. */
export const ACTIVE: WorkflowControl = { status: 'active', changedAt: 0 };

/**
 * The control a pause, resume or stop writes. A resume `dropHeld` drops the emails held by the
 * pause instead of sending them. A stop holds until a version newer than the latest now is deployed.
 */
export function nextControl(current: WorkflowControl | undefined, action: LifecycleAction, now: number, latestVersion: number, options: { dropHeld?: boolean } = {}): WorkflowControl {
  const status = current?.status ?? 'active';
  switch (action) {
    case 'pause':
      if (status === 'stopped') throw new LifecycleError('it is stopped: nobody is in it to pause (resume it to let customers enter again)');
      return { status: 'paused', changedAt: now };
    case 'resume':
      return { status: 'active', changedAt: now, ...(options.dropHeld ? { dropHeldBefore: now } : {}) };
    case 'stop':
      return { status: 'stopped', changedAt: now, stoppedVersion: latestVersion };
  }
}

/**
 * Releases what a pause held, once the workflow is not paused and every function has seen it:
 * customers held at an email step are put back in the due index (their email is decided when
 * woken, or dropped with --drop-held; a stopped journey ends them), and emails held on their way to
 * SES are handed back to their journeys (`handBack`: through the work queue), which decide each again
 * as of now: dropped with --drop-held, else sent when the send window, the frequency cap and the
 * budget allow. A stopped workflow's held emails are dropped here. Called by the sweep every minute;
 * at most `limit` of each per call.
 */
export async function releaseHeldWork(
  store: Pick<JourneyStore, 'releaseHeld' | 'releaseHeldEmails' | 'addCounters'>,
  workflowId: string,
  control: WorkflowControl | undefined,
  now: number,
  options: { limit: number; settleMs: number; handBack: (entries: OutboxEntry[]) => Promise<void> },
): Promise<{ released: number; dropped: number }> {
  // Nothing can be held where no pause ever was; what a pause held is all released within a day of the change.
  if (!control || control.status === 'paused' || now - control.changedAt < options.settleMs || now - control.changedAt > RELEASE_WINDOW_MS) return { released: 0, dropped: 0 };
  const customers = await store.releaseHeld(workflowId, now, options.limit);
  if (control.status === 'stopped') {
    const dropped = await store.releaseHeldEmails(workflowId, options.limit, null);
    if (dropped > 0) await store.addCounters([counterRow(workflowId, now, '_', 'email.dropped:stopped', dropped)]);
    return { released: customers, dropped };
  }
  const handedBack = await store.releaseHeldEmails(workflowId, options.limit, options.handBack);
  return { released: customers + handedBack, dropped: 0 };
}

/** A held email as its journey's input (the engine's HeldEmail): the outbox entry, without who it is for. */
export function heldEmailOf(entry: OutboxEntry): HeldEmail {
  return {
    seq: entry.seq,
    version: entry.version,
    stepId: entry.stepId,
    stage: entry.stage,
    contentId: entry.contentId,
    at: entry.at,
    decidedAt: entry.decidedAt,
    ...(entry.event ? { event: entry.event } : {}),
  };
}

/**
 * Ends a stopped journey's customers now rather than at their next input or wake-up: each active
 * customer is put into the due index as due now, and the wake-up ends them ("exited", label
 * "stopped"). Without it they would still end, later. Returns how many were woken.
 */
export async function wakeStoppedCustomers(store: Pick<JourneyStore, 'wakeActive'>, workflowId: string, now: number, onProgress?: (woken: number) => void): Promise<number> {
  let woken = 0;
  let after: string | undefined;
  do {
    const page = await store.wakeActive(workflowId, now, 500, after);
    woken += page.woken;
    after = page.next;
    onProgress?.(woken);
  } while (after !== undefined);
  return woken;
}

/** One journey as `waymark journeys list` shows it. */
export interface JourneyListing {
  id: string;
  name: string;
  /** The newest deployed version. */
  version: number;
  status: WorkflowControl['status'];
  /** When the status last changed (null: never changed, active since deployed). */
  since: number | null;
  /** Stopped: a version newer than this one, deployed, lets customers in again. */
  stoppedVersion?: number;
  /** Customers now in the journey, by the version they are on (versions with none left out). */
  activeByVersion: Array<{ version: number; customers: number }>;
  /** Customers moved to a newer version by its `migrate`, by the version they left. */
  migrated: Array<{ from: number; customers: number }>;
  /** Paused: emails held since the pause (customers held at an email step, and emails stopped on their way to SES). */
  held: number;
}

/** Builds a journey's listing from its control and counters (the version gauges, migrations and holds). */
export function journeyListing(workflow: { id: string; name: string; version: number }, control: WorkflowControl | undefined, counters: readonly CounterRow[]): JourneyListing {
  const byVersion = new Map<number, number>();
  const migrated = new Map<number, number>();
  let held = 0;
  const heldSince = control?.status === 'paused' ? utcDay(control.changedAt) : undefined;
  for (const row of counters) {
    const version = /^(?:version|migrated):v(\d+)$/.exec(row.name);
    if (row.day === 'all' && row.name.startsWith('version:') && version) byVersion.set(Number(version[1]), (byVersion.get(Number(version[1])) ?? 0) + row.value);
    else if (row.name.startsWith('migrated:') && version) migrated.set(Number(version[1]), (migrated.get(Number(version[1])) ?? 0) + row.value);
    else if (heldSince !== undefined && row.day >= heldSince && row.name.startsWith('email.held:')) held += row.value;
  }
  return {
    id: workflow.id,
    name: workflow.name,
    version: workflow.version,
    status: control?.status ?? 'active',
    since: control && control.changedAt > 0 ? control.changedAt : null,
    ...(control?.status === 'stopped' && control.stoppedVersion !== undefined ? { stoppedVersion: control.stoppedVersion } : {}),
    activeByVersion: [...byVersion].filter(([, n]) => n > 0).sort(([a], [b]) => b - a).map(([v, customers]) => ({ version: v, customers })),
    migrated: [...migrated].sort(([a], [b]) => b - a).map(([from, customers]) => ({ from, customers })),
    held,
  };
}

/** The listing of every deployed workflow (latest versions), read from the store. */
export async function listJourneys(
  store: Pick<JourneyStore, 'loadControl' | 'readCounters'>,
  workflows: ReadonlyArray<{ id: string; name: string; version: number }>,
): Promise<JourneyListing[]> {
  const listings: JourneyListing[] = [];
  for (const workflow of workflows) {
    const [control, counters] = await Promise.all([store.loadControl(workflow.id), store.readCounters(workflow.id)]);
    listings.push(journeyListing(workflow, control, counters));
  }
  return listings.sort((a, b) => a.id.localeCompare(b.id));
}

export interface LifecycleChange {
  control: WorkflowControl;
  /** Stop: the active customers woken to end now. */
  ended: number;
}

/**
 * Pauses, resumes or stops a workflow: writes its control, and on a stop ends its active customers
 * once every function has seen the stop (after `settleMs`; each is woken and exits). A resume's held
 * work is released by the sweep, after the same settling time.
 */
export async function changeLifecycle(
  store: Pick<JourneyStore, 'loadControl' | 'saveControl' | 'wakeActive'>,
  workflow: { id: string; version: number },
  action: LifecycleAction,
  options: { clock: () => number; dropHeld?: boolean; settleMs?: number; sleep?: (ms: number) => Promise<void>; onProgress?: (message: string) => void },
): Promise<LifecycleChange> {
  if (options.dropHeld && action !== 'resume') throw new LifecycleError('--drop-held goes with resume only');
  const control = nextControl(await store.loadControl(workflow.id), action, options.clock(), workflow.version, { dropHeld: options.dropHeld ?? false });
  await store.saveControl(workflow.id, control);
  if (action !== 'stop') return { control, ended: 0 };
  const settleMs = options.settleMs ?? CONTROL_SETTLE_MS;
  if (settleMs > 0) {
    options.onProgress?.(`stopped; waiting ${Math.round(settleMs / 1000)} s for every function to see it before ending its customers`);
    await (options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(settleMs);
  }
  const ended = await wakeStoppedCustomers(store, workflow.id, options.clock(), (n) => options.onProgress?.(`${n} customers woken to end`));
  return { control, ended };
}
