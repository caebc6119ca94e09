/**
 * Worker threads: batch i runs on worker i mod n; each worker derives the same plan from the
 * same target and settings, and sends back its sums (whole numbers: the order they are added
 * in does not matter, so the forecast is the same on any number of threads).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { createCatalogue } from '../engine/content';
import type { ContentItem, ProjectSettings, Workflow } from '../engine/schema';
import { addTotals, emptyTotals, type Plan, planSimulation, type PortableSettings, type PortableTotals, progressOf, runBatch, type Totals } from './batch';
import { type SimulationProgress, type SimulationTarget } from './settings';

interface WorkerInput {
  workflow: Workflow;
  content: readonly ContentItem[];
  project: ProjectSettings;
  settings: PortableSettings & { batchSize: number };
  batches: number[];
}

type WorkerMessage =
  | { type: 'progress'; worker: number; batchesDone: number; batch: number; at: number; entered: number; emails: number }
  | { type: 'done'; totals: PortableTotals };

/**
 * The code a worker thread starts with: TypeScript through tsx (as bin/waymark.js runs it), then
 * this module. Undefined when tsx cannot be found (the simulation then runs in process).
 */
export function workerBootstrap(): string | undefined {
  let tsx: string;
  try {
    tsx = import.meta.resolve('tsx/esm/api');
  } catch {
    try {
      tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api')).href;
    } catch {
      return undefined;
    }
  }
  return `import(${JSON.stringify(tsx)}).then((tsx) => { (tsx.register ?? tsx.default.register)(); return import(${JSON.stringify(import.meta.url)}); }).then((simulator) => simulator.runSimulationWorker());`;
}

export async function runOnWorkers(
  bootstrap: string,
  target: SimulationTarget,
  settings: PortableSettings & { batchSize: number },
  workers: number,
  batches: number,
  plan: Plan,
  totals: Totals,
  onProgress: ((progress: SimulationProgress) => void) | undefined,
): Promise<void> {
  const progress = Array.from({ length: workers }, () => ({ batchesDone: 0, batch: 0, entered: 0, emails: 0 }));
  const { customers } = plan.parameters;
  const threads: Worker[] = [];
  const report = (at: number) => {
    let done = 0;
    let entered = 0;
    let emails = 0;
    let batch = 0;
    for (const p of progress) {
      done += p.batchesDone;
      entered += p.entered;
      emails += p.emails;
      batch = Math.max(batch, p.batch);
    }
    onProgress?.(progressOf(plan, done, batch, batches, at, Math.min(customers, entered), emails));
  };
  const runs = Array.from({ length: workers }, (_, w) => {
    const assigned: number[] = [];
    for (let batch = w; batch < batches; batch += workers) assigned.push(batch);
    const input: WorkerInput & { worker: number } = { workflow: target.workflow, content: target.catalogue.items, project: target.settings ?? {}, settings, batches: assigned, worker: w };
    return new Promise<void>((resolve, reject) => {
      const worker = new Worker(bootstrap, { eval: true, workerData: input });
      threads.push(worker);
      let finished = false;
      worker.on('message', (message: WorkerMessage) => {
        if (message.type === 'done') {
          finished = true;
          addTotals(totals, message.totals);
        } else {
          progress[w] = { batchesDone: message.batchesDone, batch: message.batch, entered: message.entered, emails: message.emails };
          report(message.at);
        }
      });
      worker.on('error', reject);
      worker.on('exit', (code) => (finished ? resolve() : reject(new Error(`a simulation worker stopped (exit code ${code}) before it finished`))));
    });
  });
  try {
    await Promise.all(runs);
  } catch (error) {
    await Promise.all(threads.map((thread) => thread.terminate()));
    throw error;
  }
}

/** A worker thread's main: runs its batches and posts their sums. */
export async function runSimulationWorker(): Promise<void> {
  const input = workerData as WorkerInput & { worker: number };
  const target: SimulationTarget = { workflow: input.workflow, catalogue: createCatalogue(input.content), settings: input.project };
  const { plan } = planSimulation(target, input.settings);
  const totals = emptyTotals(plan);
  const { batchSize } = input.settings;
  const { customers } = plan.parameters;
  let entered = 0;
  for (let i = 0; i < input.batches.length; i++) {
    const batch = input.batches[i]!;
    const from = batch * batchSize;
    const to = Math.min(customers, from + batchSize);
    const post = (at: number, enteredInBatch: number) =>
      parentPort!.postMessage({ type: 'progress', worker: input.worker, batchesDone: i + (at - plan.start) / (plan.end - plan.start), batch: batch + 1, at, entered: entered + enteredInBatch, emails: totals.emails } satisfies WorkerMessage);
    await runBatch(plan, from, to, totals, post);
    entered += to - from;
  }
  const portable: PortableTotals = { perDay: totals.perDay, perMinute: totals.perMinute, emails: totals.emails, counters: totals.counters.rows(plan.workflowId), statuses: totals.statuses, paths: totals.paths, kinds: totals.kinds, groups: totals.groups };
  parentPort!.postMessage({ type: 'done', totals: portable } satisfies WorkerMessage);
}

