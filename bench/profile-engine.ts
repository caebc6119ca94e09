/**
 * `tsx bench/profile-engine.ts [customers] [runs]`: where the engine's time and
 * allocations go on the reference workload (the engine side of
 * engine-throughput.ts, alone). After three warm-up runs it records, through the
 * inspector, a CPU profile and an allocation-sampling profile that keeps the
 * objects garbage collection has already freed (what `node --heap-prof` leaves
 * out), and prints, for the timed loop only (`drive`, setup excluded): self time
 * by function, the share of time in garbage collection, and bytes allocated by
 * function. The raw profiles go to bench/.out/ for Chrome DevTools.
 *
 * Function names are reliable; line numbers are not (tsx compiles on the fly).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { referenceWorkload, runEngine } from './engine-throughput';

interface CallFrame {
  functionName: string;
  url: string;
}
interface CpuNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuNode[];
  samples: number[];
  timeDeltas: number[];
}
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

const ROOT = 'drive';
const nameOf = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} (${frame.url ? frame.url.split('/').slice(-2).join('/') : 'native'})`;

/** Self time by function under `drive`, and garbage collection that interrupted it. */
export function summariseCpu(profile: CpuProfile): { loopMs: number; gcMs: number; selfMs: Map<string, number> } {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const inLoop = new Map<number, boolean>();
  const underRoot = (id: number): boolean => {
    let known = inLoop.get(id);
    if (known === undefined) {
      const up = parent.get(id);
      known = byId.get(id)!.callFrame.functionName === ROOT || (up !== undefined && underRoot(up));
      inLoop.set(id, known);
    }
    return known;
  };
  const selfMs = new Map<string, number>();
  let loopMs = 0;
  let gcMs = 0;
  // A garbage-collection sample counts for the loop when the samples either side of its run are in the loop.
  let pendingGc = 0;
  let previousInLoop = false;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id)!.callFrame;
    if (frame.functionName === '(garbage collector)') {
      pendingGc += ms;
      return;
    }
    const here = underRoot(id);
    if (here && previousInLoop) gcMs += pendingGc;
    pendingGc = 0;
    previousInLoop = here;
    if (!here) return;
    loopMs += ms;
    selfMs.set(nameOf(frame), (selfMs.get(nameOf(frame)) ?? 0) + ms);
  });
  return { loopMs, gcMs, selfMs };
}

/** Bytes allocated by function (the allocating frame) under `drive`, from a sampling heap profile. */
export function summariseAllocations(head: HeapNode): { loopBytes: number; selfBytes: Map<string, number> } {
  const selfBytes = new Map<string, number>();
  let loopBytes = 0;
  const walk = (node: HeapNode, inLoop: boolean) => {
    const here = inLoop || node.callFrame.functionName === ROOT;
    if (here && node.selfSize > 0) {
      loopBytes += node.selfSize;
      selfBytes.set(nameOf(node.callFrame), (selfBytes.get(nameOf(node.callFrame)) ?? 0) + node.selfSize);
    }
    for (const child of node.children) walk(child, here);
  };
  walk(head, false);
  return { loopBytes, selfBytes };
}

const top = (entries: Map<string, number>, total: number, unit: (n: number) => string, count = 15) =>
  [...entries]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([name, value]) => `  ${((100 * value) / total).toFixed(1).padStart(5)}%  ${unit(value).padStart(10)}  ${name}`)
    .join('\n');

if (import.meta.url === `file://${process.argv[1]}`) {
  const customers = Number(process.argv[2] ?? 20_000);
  const runs = Number(process.argv[3] ?? 5);
  const events = referenceWorkload(customers);
  for (let r = 0; r < 3; r++) runEngine(events, customers);
  const session = new Session();
  session.connect();
  const out = new URL('./.out/', import.meta.url);
  mkdirSync(out, { recursive: true });

  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  let inputs = 0;
  let elapsedMs = 0;
  for (let r = 0; r < runs; r++) {
    const run = runEngine(events, customers);
    inputs += run.inputs;
    elapsedMs += run.elapsedMs;
  }
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  writeFileSync(new URL('engine.cpuprofile', out), JSON.stringify(profile));
  const cpu = summariseCpu(profile);

  await session.post('HeapProfiler.enable');
  // The two include* options keep samples of objects already collected: allocation, not retention.
  await session.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never);
  let heapInputs = 0;
  for (let r = 0; r < runs; r++) heapInputs += runEngine(events, customers).inputs;
  const { profile: heap } = (await session.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: HeapNode } };
  writeFileSync(new URL('engine.heapprofile', out), JSON.stringify(heap));
  const allocations = summariseAllocations(heap.head);
  session.disconnect();

  const total = cpu.loopMs + cpu.gcMs;
  console.log(`engine alone: ${customers} customers × ${runs} runs, ${Math.round((inputs / elapsedMs) * 1000).toLocaleString('en-US')} inputs/s while profiled`);
  console.log(`\nloop ${total.toFixed(0)} ms: JavaScript ${((100 * cpu.loopMs) / total).toFixed(1)}%, garbage collection ${((100 * cpu.gcMs) / total).toFixed(1)}% (main thread)`);
  console.log('\nself time (share of the loop\'s JavaScript time):');
  console.log(top(cpu.selfMs, cpu.loopMs, (ms) => `${ms.toFixed(0)} ms`));
  console.log(`\nallocated in the loop: ${((allocations.loopBytes / heapInputs) | 0).toLocaleString('en-US')} bytes per input (sampled), by allocating function:`);
  console.log(top(allocations.selfBytes, allocations.loopBytes, (bytes) => `${Math.round(bytes / heapInputs)} B/input`));
  console.log(`\nraw profiles: ${new URL('engine.cpuprofile', out).pathname}, ${new URL('engine.heapprofile', out).pathname}`);
}
