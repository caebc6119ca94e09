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


interface Column {
  stepId: string;
  name: string;
  /** Per day of the period; `seen` marks the days that have a row (a row may add up to 0, as in production). */
  values: Float64Array;
  seen: Uint8Array;
  /** Days outside the period (rare), by day number. */
  outside: Map<number, number> | null;
}

interface Gauge {
  stepId: string;
  name: string;
  value: number;
}

/** One step's (or stage's) columns by metric: the unlabelled one, and the labelled ones by label. */
interface MetricColumns {
  plain: Column | undefined;
  labelled: Map<string, Column> | undefined;
}

const DAY_MS = 86_400_000;

/**
 * The metric effects of a batch, added up the way the service's counter rows are (see
 * countersFrom in runtime/store.ts: by day, step or "stage:<stage>" or "_", and metric with its
 * label), into typed arrays: two map lookups per metric, and no row object or key string per input.
 */
export class MetricTable {
  private readonly bySteps = new Map<string, Map<string, MetricColumns>>();
  private readonly byStages = new Map<string, Map<string, MetricColumns>>();
  /** "waiting" and "version" are gauges of customers now: one row per step and name, day "all" (step → metric → label). */
  private readonly gauges = new Map<string, Map<string, Map<string | undefined, Gauge>>>();

  constructor(
    private readonly workflowId: string,
    private readonly firstDay: number,
    private readonly days: number,
  ) {}

  add(metric: { metric: string; at: number; value: number; stepId?: string; stage?: string; label?: string }): void {
    const name = metric.metric;
    if (name === 'waiting' || name === 'version') {
      this.addGauge(metric);
      return;
    }
    let owners: Map<string, Map<string, MetricColumns>>;
    let key: string;
    if (metric.stepId !== undefined) {
      owners = this.bySteps;
      key = metric.stepId;
    } else if (metric.stage !== undefined && name.startsWith('stage.')) {
      owners = this.byStages;
      key = metric.stage;
    } else {
      owners = this.bySteps;
      key = '_';
    }
    let byName = owners.get(key);
    if (!byName) owners.set(key, (byName = new Map()));
    let columns = byName.get(name);
    if (!columns) byName.set(name, (columns = { plain: undefined, labelled: undefined }));
    const label = metric.label;
    let column: Column | undefined;
    if (label === undefined) {
      column = columns.plain ??= this.column(owners === this.byStages ? `stage:${key}` : key, name);
    } else {
      const labelled = (columns.labelled ??= new Map());
      column = labelled.get(label);
      if (!column) labelled.set(label, (column = this.column(owners === this.byStages ? `stage:${key}` : key, `${name}:${label}`)));
    }
    const day = Math.floor(metric.at / DAY_MS) - this.firstDay;
    if (day >= 0 && day < this.days) {
      column.values[day]! += metric.value;
      column.seen[day] = 1;
    } else {
      const outside = (column.outside ??= new Map());
      outside.set(day, (outside.get(day) ?? 0) + metric.value);
    }
  }

  private column(stepId: string, name: string): Column {
    return { stepId, name, values: new Float64Array(this.days), seen: new Uint8Array(this.days), outside: null };
  }

  private addGauge(metric: { metric: string; value: number; stepId?: string; label?: string }): void {
    const stepId = metric.stepId ?? '_';
    let byName = this.gauges.get(stepId);
    if (!byName) this.gauges.set(stepId, (byName = new Map()));
    let byLabel = byName.get(metric.metric);
    if (!byLabel) byName.set(metric.metric, (byLabel = new Map()));
    const gauge = byLabel.get(metric.label);
    if (gauge) gauge.value += metric.value;
    else byLabel.set(metric.label, { stepId, name: metric.label === undefined ? metric.metric : `${metric.metric}:${metric.label}`, value: metric.value });
  }

  /** The rows, as the service would have written them (unsorted). */
  rows(): CounterRow[] {
    const rows: CounterRow[] = [];
    const dayText = (day: number) => new Date((this.firstDay + day) * DAY_MS).toISOString().slice(0, 10);
    const push = (column: Column) => {
      for (let day = 0; day < this.days; day++) if (column.seen[day]) rows.push({ workflowId: this.workflowId, day: dayText(day), stepId: column.stepId, name: column.name, value: column.values[day]! });
      if (column.outside) for (const [day, value] of column.outside) rows.push({ workflowId: this.workflowId, day: dayText(day), stepId: column.stepId, name: column.name, value });
    };
    for (const owners of [this.bySteps, this.byStages]) {
      for (const byName of owners.values()) {
        for (const columns of byName.values()) {
          if (columns.plain) push(columns.plain);
          if (columns.labelled) for (const column of columns.labelled.values()) push(column);
        }
      }
    }
    for (const byName of this.gauges.values()) {
      for (const byLabel of byName.values()) for (const gauge of byLabel.values()) rows.push({ workflowId: this.workflowId, day: 'all', stepId: gauge.stepId, name: gauge.name, value: gauge.value });
    }
    return rows;
  }
}
