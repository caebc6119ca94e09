/**
 * The synthetic events a batch has scheduled (opens, clicks, conversions, awaited events): a
 * binary min-heap on (at, order), where the order of scheduling breaks ties so that equal
 * instants replay identically.
 */
import type { WaitedEvent } from './synthetic-events';

export const OPEN = 0;
export const CLICK = 1;
export const CONVERT = 2;
export const WAITED = 3;

export interface Pending {
  at: number;
  /** Scheduling order: breaks ties, so equal instants replay identically. */
  order: number;
  kind: number;
  customer: number;
  /** OPEN/CLICK: the email's step and sequence number. WAITED: the awaited event's detail. */
  stepId: string;
  emailSeq: number;
  waited: WaitedEvent | null;
  detail: Record<string, unknown> | null;
  /** OPEN/CLICK: the email's content kind (an index into the plan's kinds; -1: none). */
  contentKind: number;
}

export class EventQueue {
  private readonly heap: Pending[] = [];
  private serial = 0;

  get size(): number {
    return this.heap.length;
  }

  peek(): Pending | undefined {
    return this.heap[0];
  }

  push(at: number, kind: number, customer: number, stepId: string, emailSeq: number, waited: WaitedEvent | null, detail: Record<string, unknown> | null, contentKind: number): void {
    const item: Pending = { at, order: this.serial++, kind, customer, stepId, emailSeq, waited, detail, contentKind };
    const heap = this.heap;
    let i = heap.length;
    heap.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (p.at < at || (p.at === at && p.order < item.order)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  }

  pop(): Pending | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    const n = heap.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = heap[l]!;
      if (r < n) {
        const right = heap[r]!;
        if (right.at < child.at || (right.at === child.at && right.order < child.order)) {
          c = r;
          child = right;
        }
      }
      if (last.at < child.at || (last.at === child.at && last.order < child.order)) break;
      heap[i] = child;
      i = c;
    }
    heap[i] = last;
    return top;
  }
}
