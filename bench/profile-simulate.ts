/**
 * `tsx bench/profile-simulate.ts [customers] [workflow]`: where `waymark simulate`'s time goes,
 * by layer. It simulates in process (one thread, no workers), once to warm up and once under
 * the inspector's CPU profiler, and prints the self time of the simulation by the part of the
 * code it was spent in: the engine (lib/engine: the interpreter, time zones, hashing, patterns),
 * the simulator (lib/sim: customers, events, heaps, counters), other code, and garbage
 * collection. Not run by `npm run bench`; the raw profile goes to bench/.out/ for Chrome DevTools.
 *
 * Function names are reliable; line numbers are not (tsx compiles on the fly).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { loadValidWorkflows } from '../lib/runtime/workflow-files';
import { simulate } from '../lib/sim/simulator';

interface CallFrame {
  functionName: string;
  url: string;
}
interface CpuProfile {
  nodes: Array<{ id: number; callFrame: CallFrame }>;
  samples: number[];
  timeDeltas: number[];
}

/** The layer a sample's own function belongs to. */
function layerOf(frame: CallFrame): string {
  if (frame.functionName === '(garbage collector)') return 'garbage collection';
  if (frame.functionName === '(idle)' || frame.functionName === '(program)') return 'idle and VM';
  const match = /\/lib\/(engine|sim|runtime)\//.exec(frame.url);
  if (match) return { engine: 'engine (lib/engine)', sim: 'simulator (lib/sim)', runtime: 'runtime (lib/runtime)' }[match[1]!]!;
  return frame.url.includes('node_modules') ? 'libraries' : 'Node.js and other';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const customers = Number(process.argv[2] ?? 20_000);
  const workflowId = process.argv[3] ?? 'cold-traffic-nurture';
  const loaded = loadValidWorkflows(['workflows']);
  const workflow = loaded.workflows.find((w) => w.id === workflowId);
  if (!workflow) throw new Error(`no workflow ${workflowId} in workflows/`);
  const target = { workflow, catalogue: loaded.catalogue };
  await simulate(target, { customers: Math.min(customers, 5000), workers: 1 });

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const cpuBefore = process.cpuUsage();
  const output = await simulate(target, { customers, workers: 1 });
  const cpu = process.cpuUsage(cpuBefore);
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  session.disconnect();
  const out = new URL('./.out/', import.meta.url);
  mkdirSync(out, { recursive: true });
  writeFileSync(new URL('simulate.cpuprofile', out), JSON.stringify(profile));

  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byLayer = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const frame = byId.get(id)!;
    const layer = layerOf(frame);
    if (layer === 'idle and VM') return;
    total += ms;
    byLayer.set(layer, (byLayer.get(layer) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} (${frame.url ? frame.url.split('/').slice(-2).join('/') : 'native'})`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  const row = ([name, ms]: [string, number]) => `  ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${ms.toFixed(0).padStart(7)} ms  ${name}`;
  const cpuMs = (cpu.user + cpu.system) / 1000;
  console.log(`${workflowId}: ${customers.toLocaleString('en-US')} customers × 30 days, ${output.forecast.emails.total.toLocaleString('en-US')} emails, in process`);
  console.log(`  ${output.durationMs.toLocaleString('en-US')} ms wall, ${cpuMs.toFixed(0)} ms CPU: ${((1000 * cpuMs) / customers).toFixed(0)} µs of CPU per customer`);
  console.log('\nself time by layer:');
  console.log([...byLayer].sort((a, b) => b[1] - a[1]).map(row).join('\n'));
  console.log('\nself time by function (top 20):');
  console.log([...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 20).map(row).join('\n'));
}
