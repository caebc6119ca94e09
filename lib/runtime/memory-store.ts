/**
 * An in-memory JourneyStore with the DynamoDB store's semantics (versions,
 * conditional writes, per-attribute profile times, the outbox), for `waymark
 * run`, `test` and `simulate`. Its "stream" is a list of the outbox entries
 * each write added, which the virtual-clock runner hands to the delivery
 * service right after the input, as the send path would. It also answers
 * "what falls due next?", which a virtual clock needs and a real sweep does not.
 */
import { journeyDueAt, type JourneyState, type Profile } from '../engine/model';
import {
  addCounterRows,
  type BudgetLedger,
  type BudgetSend,
  type CounterRow,
  type CustomerRecord,
  type DueEntry,
  type JourneyStore,
  type JourneyWrite,
  type OutboxEntry,
  type ProfileWrite,
  type StoredJourney,
  type SuppressionEntry,
  type SweepCursor,
  VersionConflictError,
  type WorkflowControl,
} from './store';
import { MinHeap } from './min-heap';
import { dueSortKey } from './table';

interface CustomerItem {
  budget: BudgetLedger;
  profile: Profile;
  profileTimes: Record<string, number>;
  profileVersion: number | null;
  suppressed: boolean;
  journeys: Map<string, StoredJourney>;
}

/** A wake-up; stale ones are skipped lazily when they surface. */
interface Wake {
  at: number;
  customerId: string;
  workflowId: string;
}

/** The timer a state keeps in the due index: its resting step's (while active), or a held email's. */
const dueAtOf = (state: JourneyState): number | null => journeyDueAt(state);

export class MemoryStore implements JourneyStore {
  private readonly customers = new Map<string, CustomerItem>();
  private readonly suppression = new Map<string, SuppressionEntry>();
  private readonly counters = new Map<string, CounterRow>();
  private readonly wakes = new MinHeap<Wake>((a, b) => a.at < b.at);
  private readonly parked = new Map<string, Set<string>>();
  private sweepState: { lease: number | null; shards: SweepCursor['shards'] } = { lease: null, shards: [] };
  private readonly controls = new Map<string, WorkflowControl>();
  /** Customers held at an email step by a pause, per workflow. */
  private readonly held = new Map<string, Set<string>>();
  /** Emails decided before a pause, kept until resume, per workflow. */
  private readonly heldEmails = new Map<string, OutboxEntry[]>();
  /** Outbox entries written and not yet taken by the runner: the memory store's stream. */
  private stream: OutboxEntry[] = [];
  /** Counts of operations, for tests that check how much work an input costs. */
  readonly operations = { reads: 0, writes: 0 };

  /** With `counters`, counter rows go there instead of being kept (a simulation adds them up its own way). */
  constructor(private readonly options: { counters?: { add(rows: CounterRow[]): void } } = {}) {}

  private customer(customerId: string): CustomerItem {
    let item = this.customers.get(customerId);
    if (!item) {
      item = { budget: { version: null, sends: [] }, profile: {}, profileTimes: {}, profileVersion: null, suppressed: false, journeys: new Map() };
      this.customers.set(customerId, item);
    }
    return item;
  }

  async loadCustomer(customerId: string): Promise<CustomerRecord> {
    this.operations.reads += 1;
    const item = this.customers.get(customerId);
    return {
      customerId,
      profile: item?.profile ?? {},
      profileTimes: item?.profileTimes ?? {},
      profileVersion: item?.profileVersion ?? null,
      suppressed: item?.suppressed ?? false,
      journeys: new Map(item?.journeys ?? []),
      budget: item ? { version: item.budget.version, sends: [...item.budget.sends] } : { version: null, sends: [] },
    };
  }

  async saveBudget(customerId: string, sends: BudgetSend[], expectedVersion: number | null): Promise<number> {
    const item = this.customer(customerId);
    if (item.budget.version !== expectedVersion) throw new VersionConflictError(customerId, 'budget');
    this.operations.writes += 1;
    const version = (expectedVersion ?? 0) + 1;
    item.budget = { version, sends: [...sends] };
    return version;
  }

  async loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined> {
    this.operations.reads += 1;
    return this.customers.get(customerId)?.journeys.get(workflowId);
  }

  async saveProfile(write: ProfileWrite): Promise<number> {
    const item = this.customer(write.customerId);
    if (item.profileVersion !== write.expectedVersion) throw new VersionConflictError(write.customerId, 'profile');
    this.operations.writes += 1;
    item.profile = write.profile;
    item.profileTimes = write.times;
    item.profileVersion = (write.expectedVersion ?? 0) + 1;
    return item.profileVersion;
  }

  async saveJourney(write: JourneyWrite): Promise<number> {
    const item = this.customer(write.customerId);
    const current = item.journeys.get(write.workflowId);
    if ((current?.version ?? null) !== write.expectedVersion) throw new VersionConflictError(write.customerId, write.workflowId);
    this.operations.writes += 1;
    const version = (current?.version ?? 0) + 1;
    const stored: StoredJourney = { state: write.state, version, outbox: write.outbox };
    item.journeys.set(write.workflowId, stored);
    for (const [parkedKey, customers] of this.parked) if (parkedKey.startsWith(`${write.workflowId}#`)) customers.delete(write.customerId);
    let held = this.held.get(write.workflowId);
    if (write.state.status === 'active' && write.state.held) {
      if (!held) this.held.set(write.workflowId, (held = new Set()));
      held.add(write.customerId);
    } else held?.delete(write.customerId);
    this.index(write.customerId, write.workflowId, stored);
    // What DynamoDB's stream would carry: the new emails, and this write's counters (added at once).
    if (write.outbox.length > 0) this.stream.push(...write.outbox);
    this.addRows(write.counters);
    return version;
  }

  /** The outbox entries written since the last call, in write order (the runner delivers them). */
  takeStream(): OutboxEntry[] {
    if (this.stream.length === 0) return [];
    const taken = this.stream;
    this.stream = [];
    return taken;
  }

  async parkJourney(customerId: string, workflowId: string, version: number): Promise<void> {
    const key = `${workflowId}#${version}`;
    let parked = this.parked.get(key);
    if (!parked) this.parked.set(key, (parked = new Set()));
    parked.add(customerId);
    this.indexed.delete(`${customerId}\u0000${workflowId}`);
  }

  async unparkJourneys(workflowId: string, version: number, now: number, limit: number): Promise<number> {
    const parked = this.parked.get(`${workflowId}#${version}`);
    if (!parked) return 0;
    let moved = 0;
    for (const customerId of [...parked].slice(0, limit)) {
      parked.delete(customerId);
      this.indexed.set(`${customerId}\u0000${workflowId}`, now);
      this.wakes.push({ at: now, customerId, workflowId });
      moved += 1;
    }
    return moved;
  }

  async loadControl(workflowId: string): Promise<WorkflowControl | undefined> {
    return this.controls.get(workflowId);
  }

  async saveControl(workflowId: string, control: WorkflowControl): Promise<void> {
    this.controls.set(workflowId, { ...control });
  }

  async releaseHeld(workflowId: string, now: number, limit: number): Promise<number> {
    const held = this.held.get(workflowId);
    if (!held) return 0;
    let moved = 0;
    for (const customerId of [...held].slice(0, limit)) {
      held.delete(customerId);
      this.indexed.set(`${customerId}\u0000${workflowId}`, now);
      this.wakes.push({ at: now, customerId, workflowId });
      moved += 1;
    }
    return moved;
  }

  async holdEmail(entry: OutboxEntry): Promise<void> {
    const held = this.heldEmails.get(entry.workflowId) ?? [];
    held.push(entry);
    this.heldEmails.set(entry.workflowId, held);
  }

  async releaseHeldEmails(workflowId: string, limit: number, handBack: ((entries: OutboxEntry[]) => Promise<void>) | null): Promise<number> {
    const held = this.heldEmails.get(workflowId) ?? [];
    const taken = held.slice(0, limit);
    if (taken.length > 0 && handBack) await handBack(taken);
    held.splice(0, taken.length);
    return taken.length;
  }

  async wakeActive(workflowId: string, now: number): Promise<{ woken: number }> {
    let woken = 0;
    for (const [customerId, item] of this.customers) {
      const stored = item.journeys.get(workflowId);
      if (stored?.state.status !== 'active') continue;
      this.held.get(workflowId)?.delete(customerId);
      this.indexed.set(`${customerId}\u0000${workflowId}`, now);
      this.wakes.push({ at: now, customerId, workflowId });
      woken += 1;
    }
    return { woken };
  }

  async isSuppressed(address: string): Promise<boolean> {
    return this.suppression.has(address.trim().toLowerCase());
  }

  async suppress(entry: SuppressionEntry): Promise<boolean> {
    const key = entry.address.trim().toLowerCase();
    const added = !this.suppression.has(key);
    if (added) this.suppression.set(key, entry);
    if (entry.customerId !== undefined) this.customer(entry.customerId).suppressed = true;
    return added;
  }

  async acquireSweep(now: number, until: number, shards: number): Promise<SweepCursor | undefined> {
    if (this.sweepState.lease !== null && this.sweepState.lease >= now) return undefined;
    this.sweepState.lease = until;
    return { lease: until, shards: Array.from({ length: shards }, (_, i) => this.sweepState.shards[i] ?? { upTo: null, recent: [] }) };
  }

  async releaseSweep(cursor: SweepCursor): Promise<void> {
    if (this.sweepState.lease !== cursor.lease) return;
    this.sweepState = { lease: null, shards: cursor.shards };
  }

  /** One shard: the memory store keeps every timer in shard 0. */
  async dueEntries(shard: number, after: string | null, upTo: string, limit: number): Promise<DueEntry[]> {
    if (shard !== 0) return [];
    const entries: DueEntry[] = [];
    for (const [customerId, item] of this.customers) {
      for (const workflowId of item.journeys.keys()) {
        const at = this.indexed.get(`${customerId}\u0000${workflowId}`);
        if (at === undefined) continue;
        const sortKey = dueSortKey(at);
        if ((after === null || sortKey > after) && sortKey <= upTo) entries.push({ customerId, workflowId, dueAt: at, sortKey });
      }
    }
    return entries.sort((a, b) => (a.sortKey < b.sortKey ? -1 : a.sortKey > b.sortKey ? 1 : 0)).slice(0, limit);
  }

  /** The earliest pending wake-up (for a virtual clock), or undefined when nothing is scheduled. */
  nextWake(): { at: number; customerId: string; workflowId: string } | undefined {
    for (;;) {
      const top = this.wakes.peek();
      if (!top) return undefined;
      const key = `${top.customerId}\u0000${top.workflowId}`;
      if (this.indexed.get(key) === top.at) return top;
      this.wakes.pop();
    }
  }

  async addCounters(rows: CounterRow[]): Promise<void> {
    this.addRows(rows);
  }

  private addRows(rows: CounterRow[]): void {
    if (rows.length === 0) return;
    if (this.options.counters) this.options.counters.add(rows);
    else addCounterRows(this.counters, rows);
  }

  async readCounters(workflowId: string, fromDay = '', toDay = '\uffff'): Promise<CounterRow[]> {
    return [...this.counters.values()].filter((r) => r.workflowId === workflowId && (r.day === 'all' || (r.day >= fromDay && r.day <= toDay))).map((r) => ({ ...r }));
  }

  /** Every journey state, for summaries. */
  *journeys(): Generator<{ customerId: string; workflowId: string; state: JourneyState; outbox: StoredJourney['outbox'] }> {
    for (const [customerId, item] of this.customers) {
      for (const [workflowId, stored] of item.journeys) yield { customerId, workflowId, state: stored.state, outbox: stored.outbox };
    }
  }

  profileOf(customerId: string): Profile | undefined {
    return this.customers.get(customerId)?.profile;
  }

  /** The wake-up each item is indexed at: one live heap entry per item, stale ones are dropped as they surface. */
  private readonly indexed = new Map<string, number>();

  private index(customerId: string, workflowId: string, stored: StoredJourney): void {
    const at = dueAtOf(stored.state);
    const key = `${customerId}\u0000${workflowId}`;
    if (at === null) {
      this.indexed.delete(key);
      return;
    }
    if (this.indexed.get(key) === at) return;
    this.indexed.set(key, at);
    this.wakes.push({ at, customerId, workflowId });
  }
}
