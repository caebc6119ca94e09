/**
 * An in-memory JourneyStore with the DynamoDB store's semantics (versions,
 * conditional writes, outbox, due index), for `waymark run`, `test` and
 * `simulate`. It also answers "what falls due next?", which a virtual clock
 * needs and a real sweep does not.
 */
import type { JourneyState, Profile } from '../engine/model';
import {
  type CounterRow,
  type CustomerRecord,
  type JourneyStore,
  type JourneyWrite,
  nextWakeAt,
  type StoredJourney,
  type SuppressionEntry,
  VersionConflictError,
} from './store';

interface CustomerItem {
  profile: Profile;
  suppressed: boolean;
  journeys: Map<string, StoredJourney>;
}

/** A binary min-heap of wake-ups; stale entries are skipped lazily when they surface. */
class WakeHeap {
  private readonly heap: Array<{ at: number; customerId: string; workflowId: string }> = [];

  push(entry: { at: number; customerId: string; workflowId: string }): void {
    const heap = this.heap;
    let i = heap.push(entry) - 1;
    // Sift up by moving parents down (no swap arrays: this runs for every write of a simulation).
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.at <= entry.at) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  peek() {
    return this.heap[0];
  }

  pop() {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= heap.length) break;
        const r = l + 1;
        const child = r < heap.length && heap[r]!.at < heap[l]!.at ? r : l;
        if (heap[child]!.at >= last.at) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

export class MemoryStore implements JourneyStore {
  private readonly customers = new Map<string, CustomerItem>();
  private readonly suppression = new Map<string, SuppressionEntry>();
  private readonly counters = new Map<string, CounterRow>();
  private readonly wakes = new WakeHeap();
  /** Counts of operations, for tests that check how much work an input costs. */
  readonly operations = { reads: 0, writes: 0 };

  private customer(customerId: string): CustomerItem {
    let item = this.customers.get(customerId);
    if (!item) {
      item = { profile: {}, suppressed: false, journeys: new Map() };
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
      suppressed: item?.suppressed ?? false,
      journeys: new Map(item?.journeys ?? []),
    };
  }

  async loadJourney(customerId: string, workflowId: string): Promise<StoredJourney | undefined> {
    this.operations.reads += 1;
    return this.customers.get(customerId)?.journeys.get(workflowId);
  }

  async saveProfile(customerId: string, profile: Profile): Promise<void> {
    this.operations.writes += 1;
    this.customer(customerId).profile = profile;
  }

  async saveJourney(write: JourneyWrite): Promise<number> {
    const item = this.customer(write.customerId);
    const current = item.journeys.get(write.workflowId);
    if ((current?.version ?? null) !== write.expectedVersion) throw new VersionConflictError(write.customerId, write.workflowId);
    this.operations.writes += 1;
    const outbox = [...(current?.outbox ?? []).filter((e) => !write.removeOutbox.includes(e.seq)), ...write.addOutbox];
    const version = (current?.version ?? 0) + 1;
    const stored: StoredJourney = { state: write.state, version, outbox };
    item.journeys.set(write.workflowId, stored);
    this.index(write.customerId, write.workflowId, stored);
    return version;
  }

  async confirmOutbox(customerId: string, workflowId: string, seq: number): Promise<void> {
    const stored = this.customers.get(customerId)?.journeys.get(workflowId);
    if (!stored || !stored.outbox.some((e) => e.seq === seq)) return;
    this.operations.writes += 1;
    const next = { ...stored, outbox: stored.outbox.filter((e) => e.seq !== seq) };
    this.customers.get(customerId)!.journeys.set(workflowId, next);
  }

  async reindexDue(): Promise<void> {
    // The heap re-derives wake-ups from the item when they surface: nothing to fix.
  }

  async isSuppressed(address: string): Promise<boolean> {
    return this.suppression.has(address.toLowerCase());
  }

  async suppress(entry: SuppressionEntry): Promise<boolean> {
    const key = entry.address.toLowerCase();
    const added = !this.suppression.has(key);
    if (added) this.suppression.set(key, entry);
    if (entry.customerId !== undefined) this.customer(entry.customerId).suppressed = true;
    return added;
  }

  async findDue(now: number, limit: number): Promise<Array<{ customerId: string; workflowId: string; dueAt: number }>> {
    const due: Array<{ customerId: string; workflowId: string; dueAt: number }> = [];
    const seen = new Set<string>();
    for (const [customerId, item] of this.customers) {
      for (const [workflowId, stored] of item.journeys) {
        const at = nextWakeAt(stored.state, stored.outbox);
        const key = `${customerId}\u0000${workflowId}`;
        if (at !== null && at <= now && !seen.has(key)) {
          seen.add(key);
          due.push({ customerId, workflowId, dueAt: at });
          if (due.length >= limit) return due;
        }
      }
    }
    return due;
  }

  /** The earliest pending wake-up (for a virtual clock), or undefined when nothing is scheduled. */
  nextWake(): { at: number; customerId: string; workflowId: string } | undefined {
    for (;;) {
      const top = this.wakes.peek();
      if (!top) return undefined;
      const key = `${top.customerId}\u0000${top.workflowId}`;
      const stored = this.customers.get(top.customerId)?.journeys.get(top.workflowId);
      const current = stored ? nextWakeAt(stored.state, stored.outbox) : null;
      if (current === top.at && this.indexed.get(key) === top.at) return top;
      this.wakes.pop();
      // The item's wake-up moved (a resend confirmed, a timer changed). Only the entry for its current
      // wake-up is kept live; when the heap holds none for it yet, add one.
      if (current !== null && current > top.at && this.indexed.get(key) !== current) {
        this.indexed.set(key, current);
        this.wakes.push({ at: current, customerId: top.customerId, workflowId: top.workflowId });
      }
    }
  }

  async addCounters(rows: CounterRow[]): Promise<void> {
    for (const row of rows) {
      const key = `${row.workflowId}\u0000${row.day}\u0000${row.stepId}\u0000${row.name}`;
      const existing = this.counters.get(key);
      if (existing) existing.value += row.value;
      else this.counters.set(key, { ...row });
    }
  }

  async readCounters(workflowId: string, fromDay = '', toDay = '\uffff'): Promise<CounterRow[]> {
    return [...this.counters.values()].filter((r) => r.workflowId === workflowId && (r.day === 'all' || (r.day >= fromDay && r.day <= toDay)));
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
    const at = nextWakeAt(stored.state, stored.outbox);
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
