/**
 * Counter rows added up: the rows a deployed table would hold for a simulated journey, which
 * `waymark report --from` draws its report from.
 */
import type { CounterSink } from '../runtime/journey-service';
import type { CounterRow } from '../runtime/store';

/**
 * Counter rows added up in memory, as production's BufferedCounters does for a batch, and
 * handed over once at the end (one workflow: the key needs no workflow id).
 */
export class CounterTotals implements CounterSink {
  /** day → step → name → row: nested maps, so adding a row builds no key string. */
  private readonly totals = new Map<string, Map<string, Map<string, CounterRow>>>();

  add(rows: CounterRow[]): void {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      let bySteps = this.totals.get(row.day);
      if (!bySteps) this.totals.set(row.day, (bySteps = new Map()));
      let byNames = bySteps.get(row.stepId);
      if (!byNames) bySteps.set(row.stepId, (byNames = new Map()));
      const existing = byNames.get(row.name);
      if (existing) existing.value += row.value;
      else byNames.set(row.name, { workflowId: row.workflowId, day: row.day, stepId: row.stepId, name: row.name, value: row.value });
    }
  }

  /** Sorted by day, step and name, so that a forecast's JSON is stable. */
  rows(workflowId: string): CounterRow[] {
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const rows: CounterRow[] = [];
    for (const bySteps of this.totals.values()) for (const byNames of bySteps.values()) for (const row of byNames.values()) if (row.workflowId === workflowId) rows.push(row);
    return rows.sort((a, b) => compare(a.day, b.day) || compare(a.stepId, b.stepId) || compare(a.name, b.name));
  }
}

