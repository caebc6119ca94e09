/**
 * Counters that do not ride on a journey write (SES bounces and complaints,
 * refused entries, warnings, parked journeys) are added up in memory for a
 * whole batch and written once per workflow and day at its end. Counters
 * are analytics: a failed flush is logged, and never fails or repeats the
 * inputs that produced it.
 */
import type { CounterSink, Logger } from './journey-service';
import { addCounterRows, type CounterRow, type JourneyStore } from './store';

export class BufferedCounters implements CounterSink {
  private rows = new Map<string, CounterRow>();

  constructor(private readonly store: Pick<JourneyStore, 'addCounters'>) {}

  add(rows: CounterRow[]): void {
    addCounterRows(this.rows, rows);
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
