/**
 * The store port: what deciding (the journey service), delivering (the send
 * path) and the sweep need from persistence. One implementation per
 * technology (DynamoDB in Lambda and `waymark dev`, memory for `waymark run`,
 * `test` and `simulate`), all with the same semantics.
 *
 * Deciding writes each changed journey once: its state, the fingerprints of
 * applied events, this write's counters and the emails it decided (the
 * outbox). Writing an email into the outbox is what sends it: the table's
 * stream carries every new outbox entry to the send path. There is no
 * confirmation write; the journey's next write prunes the entries, which the
 * stream has already carried.
 */
import type { DecidedEmail, JourneyState, Metric, Profile } from '../engine/model';

/** An email decided and written with the state; the stream hands it to the send path. */
export interface OutboxEntry extends DecidedEmail {
  /** Processing time of the decision. */
  decidedAt: number;
  /** `event.detail` of the event that decided it, when its template uses `event` (so it renders as decided). */
  event?: Record<string, unknown>;
}

export interface StoredJourney {
  state: JourneyState;
  /** Optimistic-locking version of the item. */
  version: number;
  /** Entries of the item's last write (already on the stream); the next write replaces them. */
  outbox: OutboxEntry[];
}

/** One counted email in a customer's send budget: when, which workflow, its sequence number there. */
export type BudgetSend = [at: number, workflowId: string, seq: number];

/** The customer's send-budget ledger (the item `C#<id>`/`B`), with its version for conditional writes. */
export interface BudgetLedger {
  /** null: no ledger item yet. */
  version: number | null;
  sends: BudgetSend[];
}

export interface CustomerRecord {
  customerId: string;
  profile: Profile;
  /** For each profile attribute, the time of the event that last set (or removed) it. */
  profileTimes: Record<string, number>;
  /** The profile item's version; null when there is none yet. */
  profileVersion: number | null;
  /** Marketing email to this customer's address is suppressed (bounce, complaint, unsubscribe). */
  suppressed: boolean;
  journeys: Map<string, StoredJourney>;
  /** The counted emails of every workflow, for the send budget across journeys. */
  budget: BudgetLedger;
}

export interface JourneyWrite {
  customerId: string;
  workflowId: string;
  state: JourneyState;
  /** null: the item must not exist yet. */
  expectedVersion: number | null;
  /** The emails this write decided. They replace the entries of the previous write (which the stream already carried). */
  outbox: OutboxEntry[];
  /** This write's counters: carried with the item to the stream, where the send path adds them up per batch. */
  counters: CounterRow[];
  now: number;
}

export interface ProfileWrite {
  customerId: string;
  profile: Profile;
  times: Record<string, number>;
  /** null: create the profile (it must not exist yet); else the version read. */
  expectedVersion: number | null;
  now: number;
}

export interface SuppressionEntry {
  address: string;
  reason: 'bounce' | 'complaint' | 'unsubscribe' | 'manual';
  at: number;
  customerId?: string;
  detail?: string;
}

export type CounterKey = {
  workflowId: string;
  /** UTC day, "2026-11-23" ("all" for gauges) */
  day: string;
  /** "_" for workflow-level counters */
  stepId: string;
  /** metric name, with its label when it has one: "email.deferred:window" */
  name: string;
};

export interface CounterRow extends CounterKey {
  value: number;
}

/**
 * A workflow's live control (`waymark journeys pause|resume|stop`), one item per workflow, read by
 * `advance` and `send` through a short cache, so it works without a deploy.
 */
export interface WorkflowControl {
  status: 'active' | 'paused' | 'stopped';
  /** When the status last changed. */
  changedAt: number;
  /** Stopped: the latest version when it was stopped; a newer version deployed lifts the stop. */
  stoppedVersion?: number;
  /** Resumed with --drop-held: emails held since before this instant are dropped, not sent. */
  dropHeldBefore?: number;
}

/** A journey the due index pointed at: who to wake. */
export interface DueJourney {
  customerId: string;
  workflowId: string;
  dueAt: number;
}

/** A due-index entry as the sweep reads it, with its sort key (for the sweep's cursor). */
export interface DueEntry extends DueJourney {
  sortKey: string;
}

/** Where the sweep stopped on each shard, and what it enqueued near there (so nothing is enqueued twice). */
export interface SweepCursor {
  /** Lease token: releasing needs it, so a sweep that lost its lease cannot overwrite a newer cursor. */
  lease: number;
  shards: Array<{ upTo: string | null; recent: string[] }>;
}

/** Thrown when the item changed since it was read; the caller reloads and retries. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly customerId: string,
    readonly workflowId: string,
    options?: { cause?: unknown },
  ) {
    super(`${workflowId === 'profile' ? 'the profile' : `journey ${workflowId}`} of customer ${customerId} changed concurrently`, options);
  }
}

/**
 * The store refused what it was asked to keep, for good (DynamoDB's ValidationException: a value it
 * cannot hold). Retrying cannot help: the input goes to the dead-letter path with this reason.
 */
export class UnstorableInputError extends Error {
  override readonly name = 'UnstorableInputError';
}

export interface JourneyStore {
  /** The customer's profile, suppression flag and every journey: one read. */
  loadCustomer(customerId: string): Promise<CustomerRecord>;
  /** One journey, strongly consistent (after a version conflict). */
  loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined>;
  /** Writes the merged profile, conditional on the version read; returns the new version. Throws VersionConflictError. */
  saveProfile(write: ProfileWrite): Promise<number>;
  /** One conditional write; returns the new item version. Throws VersionConflictError. */
  saveJourney(write: JourneyWrite): Promise<number>;
  /**
   * Writes the customer's send-budget ledger, conditional on the version read; returns the new
   * version. Throws VersionConflictError (another input reserved a send meanwhile: decide again).
   */
  saveBudget(customerId: string, sends: BudgetSend[], expectedVersion: number | null): Promise<number>;
  /**
   * Takes a journey out of the due index into a parking partition (its workflow version is not
   * deployed): the sweep stops waking it, and puts it back when that version is deployed again.
   */
  parkJourney(customerId: string, workflowId: string, version: number, expectedVersion: number): Promise<void>;
  isSuppressed(address: string): Promise<boolean>;
  /**
   * Adds to the suppression list, and flags the customer's profile when known.
   * Returns true when the address was newly suppressed, false when it already
   * was (the first entry stays): a replayed request counts once.
   */
  suppress(entry: SuppressionEntry): Promise<boolean>;
  addCounters(rows: CounterRow[]): Promise<void>;
  readCounters(workflowId: string, fromDay?: string, toDay?: string): Promise<CounterRow[]>;

  // The sweep (see sweep.ts): a lease and cursors, and range reads of the due index.
  /** Takes the sweep's lease until `until`, or undefined while another sweep holds it. */
  acquireSweep(now: number, until: number, shards: number): Promise<SweepCursor | undefined>;
  /** Stores the cursors and frees the lease (a no-op when the lease was lost meanwhile). */
  releaseSweep(cursor: SweepCursor): Promise<void>;
  /** Due-index entries of one shard with sort keys in (after, upTo], in order, at most `limit`. */
  dueEntries(shard: number, after: string | null, upTo: string, limit: number): Promise<DueEntry[]>;
  /** Journeys parked for a workflow version, put back into the due index as due at `now`; returns how many. */
  unparkJourneys(workflowId: string, version: number, now: number, limit: number): Promise<number>;

  // Pause, resume, stop.
  loadControl(workflowId: string): Promise<WorkflowControl | undefined>;
  saveControl(workflowId: string, control: WorkflowControl): Promise<void>;
  /** Customers held at an email step while the workflow was paused, put back into the due index as due at `now`. */
  releaseHeld(workflowId: string, now: number, limit: number): Promise<number>;
  /** An email decided before a pause and reaching the send path after it: kept until the workflow is resumed. */
  holdEmail(entry: OutboxEntry): Promise<void>;
  /**
   * Emails kept by holdEmail, at most `limit`: each page is given to `handBack` (which hands them to
   * their journeys through the work queue, to be decided again) and only then forgotten, so a crash in
   * between hands them back twice (their journeys apply each once) and never loses one; `handBack`
   * null drops them (a stopped workflow). Returns how many were taken.
   */
  releaseHeldEmails(workflowId: string, limit: number, handBack: ((entries: OutboxEntry[]) => Promise<void>) | null): Promise<number>;
  /** Every active customer of a workflow put into the due index as due at `now` (stopping it: each is woken and exits). */
  wakeActive(workflowId: string, now: number, limit: number, after?: string): Promise<{ woken: number; next?: string }>;
}

const DAY_MS = 86_400_000;
let cachedDayNumber = Number.NaN;
let cachedDay = '';

/** "2026-11-23" for an instant; formatted once per UTC day, as metrics come in runs of the same day. */
export function utcDay(at: number): string {
  const dayNumber = Math.floor(at / DAY_MS);
  if (dayNumber !== cachedDayNumber) {
    cachedDayNumber = dayNumber;
    cachedDay = new Date(dayNumber * DAY_MS).toISOString().slice(0, 10);
  }
  return cachedDay;
}

/** Metric effects → counter rows (per workflow, UTC day, step, name[:label]). */
export function countersFrom(workflowId: string, metrics: readonly Metric[]): CounterRow[] {
  const rows = new Map<string, CounterRow>();
  for (const m of metrics) {
    const day = utcDay(m.at);
    const stepId = m.stepId ?? (m.stage !== undefined && m.metric.startsWith('stage.') ? `stage:${m.stage}` : '_');
    const name = m.label === undefined ? m.metric : `${m.metric}:${m.label}`;
    // "waiting" and "version" are gauges of customers now (at a step, on a version): not split by day.
    const rowDay = m.metric === 'waiting' || m.metric === 'version' ? 'all' : day;
    const key = `${rowDay}\u0000${stepId}\u0000${name}`;
    const row = rows.get(key);
    if (row) row.value += m.value;
    else rows.set(key, { workflowId, day: rowDay, stepId, name, value: m.value });
  }
  return [...rows.values()];
}

/** Adds counter rows into a running total keyed by (workflow, day, step, name); the store writes one item per workflow and day. */
export function addCounterRows(total: Map<string, CounterRow>, rows: readonly CounterRow[]): void {
  for (const row of rows) {
    if (row.value === 0) continue;
    const key = `${row.workflowId}\u0000${row.day}\u0000${row.stepId}\u0000${row.name}`;
    const existing = total.get(key);
    if (existing) existing.value += row.value;
    else total.set(key, { ...row });
  }
}

/** One counter row, for the paths that count outside a journey write (deliveries, suppressions). */
export function counterRow(workflowId: string, at: number, stepId: string, name: string, value = 1): CounterRow {
  return { workflowId, day: utcDay(at), stepId, name, value };
}
