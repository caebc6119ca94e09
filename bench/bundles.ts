/**
 * Each handler's bundle, built exactly as the CDK stack builds it, its size,
 * and the time to load it in a fresh Node process (what a cold start adds),
 * against the SDK it must load anyway: an empty handler that imports only
 * the same AWS SDK clients and commands (every `@aws-sdk/*` name the
 * handler's own source files import, each client constructed at module
 * scope as the handlers do), bundled identically. `loadVsSdkBaseline` is what
 * Waymark adds on top of that SDK: 1.0 would be nothing.
 *
 * Loads are timed in fresh processes, handler and baseline interleaved run by
 * run (so both see the same machine), and the median of each is taken, on
 * the CPU time of the importing process (user + system): on a busy machine
 * wall time mostly measures the other processes (the wall-clock medians are
 * kept beside it; on an idle Lambda core the two are close). The
 * SDK-external variant (the runtime's own SDK) and the empty bundle are kept
 * for comparison with earlier figures.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { ESBUILD_TARGET, ESM_REQUIRE_BANNER, EXTERNAL_MODULES, HANDLERS, handlerEntry, SDK_EXTERNAL_MODULES } from '../lib/infra/bundling';
import { prepareWorkflowAssets } from '../lib/infra/workflow-assets';

export interface HandlerBundle {
  handler: string;
  /** The deployed bundle (AWS SDK bundled). */
  bytes: number;
  /** CPU time to import it in a fresh process (median). */
  loadMs: number;
  /** Wall time of the same imports (median). */
  loadWallMs: number;
  /** The empty handler importing the same SDK clients and commands, bundled the same way. */
  sdkBaseline: { bytes: number; loadMs: number; loadWallMs: number; imports: Record<string, string[]> };
  /** loadMs ÷ sdkBaseline.loadMs: what Waymark adds to the SDK's own cold load. */
  loadVsSdkBaseline: number;
  /** Bytes of the bundle by package (top few), from esbuild's metafile. */
  topPackages: Array<[string, number]>;
  /** The same handler with the SDK left external (the runtime's own), for comparison. */
  sdkExternal: { bytes: number; loadMs: number; loadWallMs: number };
  /** loadMs ÷ the empty bundle's (the earlier figure). */
  loadVsEmpty: number;
}

export interface BundlesBenchmark {
  runs: number;
  empty: { bytes: number; loadMs: number; loadWallMs: number };
  handlers: HandlerBundle[];
}

const OUT = new URL('./.out/bundles/', import.meta.url).pathname;
const ROOT = new URL('..', import.meta.url).pathname;

async function bundle(entry: string, outdir: string, external: string[] = EXTERNAL_MODULES): Promise<{ bytes: number; metafile: Metafile }> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: ESBUILD_TARGET,
    external,
    mainFields: ['module', 'main'],
    banner: { js: ESM_REQUIRE_BANNER },
    outfile: join(outdir, 'index.mjs'),
    metafile: true,
    logLevel: 'silent',
  });
  return { bytes: Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.bytes, metafile: result.metafile };
}

/**
 * The AWS SDK names the handler's own files import as values, by package: read from the sources
 * esbuild bundled (type-only imports left out), for the SDK packages that are in the bundle's
 * output (a client imported by a shared module but tree-shaken away is not loaded, so not counted).
 */
export function sdkImportsOf(metafile: Metafile, read: (path: string) => string = (path) => readFileSync(join(ROOT, path), 'utf8')): Record<string, string[]> {
  const output = Object.values(metafile.outputs).find((o) => o.entryPoint)!;
  const present = new Set<string>();
  for (const [path, info] of Object.entries(output.inputs)) {
    const match = /node_modules\/(@aws-sdk\/[^/]+)/.exec(path);
    if (match && info.bytesInOutput > 0) present.add(match[1]!);
  }
  const imports = new Map<string, Set<string>>();
  for (const path of Object.keys(metafile.inputs)) {
    if (!/^(lib|lambdas)\/.*\.ts$/.test(path)) continue;
    for (const match of read(path).matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
      if (match[1]) continue;
      const names = match[2]!
        .split(',')
        .map((n) => n.trim())
        .filter((n) => n.length > 0 && !n.startsWith('type '))
        .map((n) => n.split(/\s+as\s+/)[0]!.trim());
      if (names.length === 0 || !present.has(match[3]!)) continue;
      const set = imports.get(match[3]!) ?? new Set<string>();
      for (const name of names) set.add(name);
      imports.set(match[3]!, set);
    }
  }
  return Object.fromEntries([...imports].sort(([a], [b]) => a.localeCompare(b)).map(([pkg, names]) => [pkg, [...names].sort()]));
}

/** An empty handler that loads exactly these SDK names, constructing each client at module scope as a handler does. */
export function sdkBaselineSource(imports: Record<string, string[]>): string {
  const lines: string[] = [];
  const all: string[] = [];
  for (const [pkg, names] of Object.entries(imports)) {
    lines.push(`import { ${names.join(', ')} } from '${pkg}';`);
    all.push(...names);
  }
  const clients = all.filter((n) => /Client$/.test(n));
  lines.push(`export const sdk = { ${all.join(', ')} };`);
  lines.push(`export const clients = [${clients.map((c) => `new ${c}({})`).join(', ')}];`);
  lines.push('export const handler = async () => ({ ok: true });');
  return `${lines.join('\n')}\n`;
}

/** One import of `file` in a fresh Node process: CPU and wall milliseconds. */
function loadOnce(file: string, env: Record<string, string>): { cpu: number; wall: number } {
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(file)}); const w = performance.now() - t; const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ cpu: (u.user + u.system) / 1000, wall: w }));`;
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`loading ${file} failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as { cpu: number; wall: number };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

/** Median load times (CPU, wall) of several files, timed in turn, run after run. */
function interleavedLoads(files: Array<{ file: string; env: Record<string, string> }>, runs: number): Array<{ cpu: number; wall: number }> {
  const times = files.map(() => [] as Array<{ cpu: number; wall: number }>);
  for (let run = 0; run < runs; run++) files.forEach((f, i) => times[i]!.push(loadOnce(f.file, f.env)));
  return times.map((t) => ({ cpu: median(t.map((x) => x.cpu)), wall: median(t.map((x) => x.wall)) }));
}

export async function benchBundles(runs = 15): Promise<BundlesBenchmark> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const emptyEntry = join(OUT, 'empty.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ ok: true });\n');
  const empty = await bundle(emptyEntry, join(OUT, 'empty'));

  const assets = prepareWorkflowAssets(join(ROOT, 'workflows'));
  // What the handlers read at cold start, as the stack configures them (no AWS call is made while loading).
  const env: Record<string, string> = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    TABLE_NAME: 'waymark',
    WORK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dead-letters',
    SEND_FAILURES_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/send-failures',
    UNSUBSCRIBE_URL: 'https://unsubscribe.example/u',
    UNSUBSCRIBE_KEYS: 'bench-signing-key-000001',
    SES_CONFIGURATION_SET: 'waymark',
    EVENT_BUS_NAME: 'waymark',
    AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
  };

  const built = [];
  for (const name of HANDLERS) {
    const dir = join(OUT, name);
    const deployed = await bundle(join(ROOT, handlerEntry(name)), join(dir, 'deployed'));
    copyFileSync(assets.bundlePath, join(dir, 'deployed', 'workflows.json'));
    const imports = sdkImportsOf(deployed.metafile);
    const baselineEntry = join(dir, 'sdk-baseline.ts');
    writeFileSync(baselineEntry, sdkBaselineSource(imports));
    const baseline = await bundle(baselineEntry, join(dir, 'baseline'));
    const external = await bundle(join(ROOT, handlerEntry(name)), join(dir, 'external'), [...SDK_EXTERNAL_MODULES]);
    copyFileSync(assets.bundlePath, join(dir, 'external', 'workflows.json'));
    const byPackage = new Map<string, number>();
    for (const [path, info] of Object.entries(Object.values(deployed.metafile.outputs).find((o) => o.entryPoint)!.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = match ? match[1]! : 'waymark';
      byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
    }
    built.push({ name, dir, deployed, baseline, external, imports, topPackages: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 6) });
  }

  const files = [{ file: join(OUT, 'empty', 'index.mjs'), env }];
  for (const b of built) {
    files.push({ file: join(b.dir, 'deployed', 'index.mjs'), env: { ...env, WORKFLOW_BUNDLE: join(b.dir, 'deployed', 'workflows.json') } });
    files.push({ file: join(b.dir, 'baseline', 'index.mjs'), env });
    files.push({ file: join(b.dir, 'external', 'index.mjs'), env: { ...env, WORKFLOW_BUNDLE: join(b.dir, 'external', 'workflows.json') } });
  }
  const [emptyLoad, ...loads] = interleavedLoads(files, runs);
  const handlers = built.map((b, i): HandlerBundle => {
    const [load, baseline, external] = [loads[3 * i]!, loads[3 * i + 1]!, loads[3 * i + 2]!];
    return {
      handler: b.name,
      bytes: b.deployed.bytes,
      loadMs: load.cpu,
      loadWallMs: load.wall,
      sdkBaseline: { bytes: b.baseline.bytes, loadMs: baseline.cpu, loadWallMs: baseline.wall, imports: b.imports },
      loadVsSdkBaseline: load.cpu / baseline.cpu,
      topPackages: b.topPackages,
      sdkExternal: { bytes: b.external.bytes, loadMs: external.cpu, loadWallMs: external.wall },
      loadVsEmpty: load.cpu / emptyLoad!.cpu,
    };
  });
  return { runs, empty: { bytes: empty.bytes, loadMs: emptyLoad!.cpu, loadWallMs: emptyLoad!.wall }, handlers };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchBundles(Number(process.argv[2] ?? 9));
  for (const h of result.handlers) {
    console.log(
      `${h.handler.padEnd(12)} ${(h.bytes / 1024).toFixed(1).padStart(6)} KB ${h.loadMs.toFixed(1).padStart(6)} ms CPU (${h.loadWallMs.toFixed(0)} wall) | SDK baseline ${(h.sdkBaseline.bytes / 1024).toFixed(1).padStart(6)} KB ${h.sdkBaseline.loadMs.toFixed(1).padStart(6)} ms (${h.sdkBaseline.loadWallMs.toFixed(0)}) | ×${h.loadVsSdkBaseline.toFixed(2)} | external ${(h.sdkExternal.bytes / 1024).toFixed(1)} KB ${h.sdkExternal.loadMs.toFixed(0)} ms`,
    );
    console.log(`             ${JSON.stringify(h.sdkBaseline.imports)}`);
  }
  console.log(`empty ${result.empty.bytes} B ${result.empty.loadMs.toFixed(1)} ms CPU (${result.empty.loadWallMs.toFixed(0)} wall)`);
}
