/**
 * The store port: what the journey service needs from persistence. One
 * implementation per technology (DynamoDB in Lambda and `waymark dev`, memory
 * for `waymark run`, `test` and `simulate`), all with the same semantics.
 */
import type { DecidedEmail, JourneyState, Metric, Profile } from '../engine/model';

/** An email decided and written with the state, not yet confirmed sent. */
export interface OutboxEntry extends DecidedEmail {
  /** Processing time of the decision: the sweep resends entries left unconfirmed past a grace period. */
  decidedAt: number;
  /** `event.detail` of the event that decided it, when its template uses `event` (so a resend renders the same). */
  event?: Record<string, unknown>;
}

export interface StoredJourney {
  state: JourneyState;
  /** Optimistic-locking version of the item. */
  version: number;
  outbox: OutboxEntry[];
}

export interface CustomerRecord {
  customerId: string;
  profile: Profile;
  /** Marketing email to this customer's address is suppressed (bounce, complaint, unsubscribe). */
  suppressed: boolean;
  journeys: Map<string, StoredJourney>;
}

export interface JourneyWrite {
  customerId: string;
  workflowId: string;
  state: JourneyState;
  /** null: the item must not exist yet. */
  expectedVersion: number | null;
  addOutbox: OutboxEntry[];
  /** Sequence numbers of outbox entries the write also removes. */
  removeOutbox: number[];
  /** The entries already in the outbox (as read), so the due index covers their resend too. */
  existingOutbox: OutboxEntry[];
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
  /** UTC day, "2026-11-23" */
  day: string;
  /** "_" for workflow-level counters */
  stepId: string;
  /** metric name, with its label when it has one: "email.deferred:window" */
  name: string;
};

export interface CounterRow extends CounterKey {
  value: number;
}

/** Thrown when the item changed since it was read; the caller reloads and retries. */
export class VersionConflictError extends Error {
  override readonly name = 'VersionConflictError';
  constructor(
    readonly customerId: string,
    readonly workflowId: string,
    options?: { cause?: unknown },
  ) {
    super(`journey ${workflowId} of customer ${customerId} changed concurrently`, options);
  }
}

export interface JourneyStore {
  /** The customer's profile, suppression flag and every journey: one read. */
  loadCustomer(customerId: string): Promise<CustomerRecord>;
  /** One journey, strongly consistent (after a version conflict). */
  loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined>;
  /** Writes the merged profile (attributes set to null are removed). */
  saveProfile(customerId: string, profile: Profile, changed: Record<string, unknown>, now: number): Promise<void>;
  /** One conditional write; returns the new item version. Throws VersionConflictError. */
  saveJourney(write: JourneyWrite): Promise<number>;
  /**
   * Removes a sent (or abandoned) email from the outbox; harmless if already gone.
   * With `reindex`, and if the item is still at that version, also moves its
   * due-index entry to `wakeAt` (the outbox no longer needs a resend).
   */
  confirmOutbox(customerId: string, workflowId: string, seq: number, reindex?: { version: number; wakeAt: number | null }): Promise<void>;
  /** Re-derives the due-time index of an item from its current state (after outbox changes). */
  reindexDue(customerId: string, workflowId: string): Promise<void>;
  isSuppressed(address: string): Promise<boolean>;
  /**
   * Adds to the suppression list, and flags the customer's profile when known.
   * Returns true when the address was newly suppressed, false when it already
   * was (the first entry stays): a replayed request counts once.
   */
  suppress(entry: SuppressionEntry): Promise<boolean>;
  /** Journeys whose timer or outbox resend falls due at or before `now`. */
  findDue(now: number, limit: number): Promise<Array<{ customerId: string; workflowId: string; dueAt: number }>>;
  addCounters(rows: CounterRow[]): Promise<void>;
  readCounters(workflowId: string, fromDay?: string, toDay?: string): Promise<CounterRow[]>;
}

/** How long an outbox entry may stay unconfirmed before the sweep resends it. */
export const OUTBOX_GRACE_MS = 2 * 60_000;

/** When an item next needs a wake-up: its timer, or its oldest unconfirmed email's resend time. */
export function nextWakeAt(state: JourneyState, outbox: readonly OutboxEntry[]): number | null {
  let wake = state.status === 'active' ? state.dueAt : null;
  for (const entry of outbox) {
    const resendAt = entry.decidedAt + OUTBOX_GRACE_MS;
    if (wake === null || resendAt < wake) wake = resendAt;
  }
  return wake;
}

const DAY_MS = 86_400_000;
let cachedDayNumber = Number.NaN;
let cachedDay = '';

/** "2026-11-23" for an instant; formatted once per UTC day, as metrics come in runs of the same day. */
function utcDay(at: number): string {
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
    // "waiting" is a gauge of customers resting at a step now: not split by day.
    const rowDay = m.metric === 'waiting' ? 'all' : day;
    const key = `${rowDay}\u0000${stepId}\u0000${name}`;
    const row = rows.get(key);
    if (row) row.value += m.value;
    else rows.set(key, { workflowId, day: rowDay, stepId, name, value: m.value });
  }
  return [...rows.values()];
}
