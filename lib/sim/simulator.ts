/**
 * `waymark simulate`: a forecast of one workflow before launch. Synthetic customers enter over a
 * period, open and click the emails they are sent (SES engagement events in customer form, as
 * production receives them), answer what the journey waits for and sometimes convert; the real
 * interpreter decides every input on a virtual clock, so what is forecast is what production
 * would do (a test checks it against the journey service, row for row). The only wall-clock
 * figure is `durationMs`.
 *
 * Where to look:
 * - settings.ts: what a simulation is asked, and the parameters it runs with;
 * - defaults.ts, engagement.ts: the defaults, and the engagement model (rates per content kind, delays);
 * - synthetic-events.ts: events made from the workflow's patterns (entry, goal, awaited events);
 * - batch.ts: the plan every batch shares, and the clock loop that runs one batch of customers;
 * - journeys.ts: where the loop applies inputs (the interpreter directly, or the journey service);
 * - event-queue.ts, counters.ts: the loop's heap of pending events, and the counters it adds up;
 * - workers.ts: batches on worker threads;
 * - forecast.ts: the forecast from the counters;
 * - types.ts: what `--json` prints.
 */
import { availableParallelism } from 'node:os';
import { BATCH_SIZE, emptyTotals, planSimulation, progressOf, runBatch } from './batch';
import { forecastFrom } from './forecast';
import type { SimulationSettings, SimulationTarget } from './settings';
import type { SimulationOutput } from './types';
import { runOnWorkers, workerBootstrap } from './workers';

export { BATCH_SIZE } from './batch';
export { DEFAULT_TIME_ZONES, SIMULATION_DEFAULTS } from './defaults';
export { ENGAGEMENT_BY_KIND, type Rates } from './engagement';
export { contentExhaustedBySteps } from './forecast';
export { type SimulationProgress, type SimulationSettings, type SimulationTarget, simulationParameters } from './settings';
export { collectDetailFields, documentMatching, drawField, type FieldSpec, setPath, stepsReachedAtOnce, type WaitedEvent, waitedEventsOf } from './synthetic-events';
export { runSimulationWorker } from './workers';

/** Below this many customers a simulation runs in process: starting worker threads would cost more than it saves. */
const WORKER_THRESHOLD = 10_000;

/**
 * Simulates `settings.customers` synthetic customers through the workflow, and forecasts.
 * Batches of customers (BATCH_SIZE) run one after the other, on worker threads when there are
 * enough customers and CPU cores (`workers`, default: one per core, at most 4): the forecast is
 * the same either way.
 */
export async function simulate(target: SimulationTarget, settings: SimulationSettings): Promise<SimulationOutput> {
  const startedAt = performance.now();
  const { onProgress, workers: wanted, ...portable } = settings;
  const { plan, workflow } = planSimulation(target, portable);
  const { parameters } = plan;
  const totals = emptyTotals(plan);
  const batchSize = Math.max(1, Math.floor(settings.batchSize ?? BATCH_SIZE));
  const batches = Math.ceil(parameters.customers / batchSize);
  const workers = Math.min(batches, Math.max(1, Math.floor(wanted ?? (parameters.customers >= WORKER_THRESHOLD ? Math.min(4, availableParallelism()) : 1))));

  const bootstrap = workers > 1 ? workerBootstrap() : undefined;
  if (bootstrap !== undefined) {
    await runOnWorkers(bootstrap, target, { ...portable, batchSize }, workers, batches, plan, totals, onProgress);
  } else {
    for (let batch = 0; batch < batches; batch++) {
      const from = batch * batchSize;
      const to = Math.min(parameters.customers, from + batchSize);
      const tick = onProgress && ((at: number, entered: number) => onProgress(progressOf(plan, batch + (at - plan.start) / (plan.end - plan.start), batch + 1, batches, at, from + entered, totals.emails)));
      await runBatch(plan, from, to, totals, tick);
    }
  }

  const rows = totals.counters.rows(workflow.id);
  return {
    workflow: { id: workflow.id, version: workflow.version, name: target.workflow.name },
    parameters,
    forecast: forecastFrom(plan, rows, totals),
    counters: rows,
    durationMs: Math.round(performance.now() - startedAt),
  };
}

