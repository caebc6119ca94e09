/**
 * Counters are added up in memory for a whole batch and written once per
 * (workflow, day, step) at its end: a batch of ten inputs on one step costs one
 * counter write, not ten. Counters are analytics: a failed flush is logged,
 * and never fails or repeats the inputs that produced it.
 */
import type { CounterSink, Logger } from './journey-service';
import type { CounterRow, JourneyStore } from './store';

export class BufferedCounters implements CounterSink {
  private rows = new Map<string, CounterRow>();

  constructor(private readonly store: JourneyStore) {}

  add(rows: CounterRow[]): void {
    for (const row of rows) {
      const key = `${row.workflowId}\u0000${row.day}\u0000${row.stepId}\u0000${row.name}`;
      const existing = this.rows.get(key);
      if (existing) existing.value += row.value;
      else this.rows.set(key, { ...row });
    }
  }

  async flush(log?: Logger): Promise<void> {
    const rows = [...this.rows.values()];
    this.rows = new Map();
    if (rows.length === 0) return;
    try {
      await this.store.addCounters(rows);
    } catch (error) {
      log?.warn('counters could not be written', { rows: rows.length, error: (error as Error).message });
    }
  }
}
