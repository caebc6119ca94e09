/**
 * Each handler's bundle, built exactly as the CDK stack builds it, its size,
 * and the time to load it in a fresh Node process (what a cold start adds),
 * against an empty handler bundled the same way.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { ESBUILD_TARGET, ESM_REQUIRE_BANNER, EXTERNAL_MODULES, HANDLERS, handlerEntry, SDK_EXTERNAL_MODULES } from '../lib/infra/bundling';
import { prepareWorkflowAssets } from '../lib/infra/workflow-assets';

export interface BundleResult {
  handler: string;
  /** "sdk bundled" (deployed) or "sdk external" (the runtime's SDK) */
  variant: string;
  bytes: number;
  /** bytes ÷ the empty handler's bytes */
  sizeRatio: number;
  loadMs: number;
  /** load time ÷ the empty handler's load time */
  loadRatio: number;
}

export interface BundlesBenchmark {
  empty: { bytes: number; loadMs: number };
  handlers: BundleResult[];
}

const OUT = new URL('./.out/', import.meta.url).pathname;

async function bundle(entry: string, outdir: string, external: string[] = EXTERNAL_MODULES): Promise<number> {
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
  return Object.values(result.metafile.outputs).find((o) => o.entryPoint)!.bytes;
}

/** Median time to import the bundle in a fresh Node process, over `runs` processes. */
function loadTime(file: string, env: Record<string, string>, runs: number): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`loading ${file} failed: ${child.stderr}`);
    times.push(Number(child.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}

export async function benchBundles(runs = 15): Promise<BundlesBenchmark> {
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const emptyEntry = join(OUT, 'empty.ts');
  writeFileSync(emptyEntry, 'export const handler = async () => ({ ok: true });\n');
  const emptyBytes = await bundle(emptyEntry, join(OUT, 'empty'));

  const assets = prepareWorkflowAssets('workflows');
  // What the handlers read at cold start, as the stack configures them (no AWS call is made while loading).
  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    TABLE_NAME: 'waymark',
    WORK_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/work',
    DEAD_LETTER_QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/000000000000/dead-letters',
    UNSUBSCRIBE_URL: 'https://unsubscribe.example/u',
    UNSUBSCRIBE_KEYS: 'bench-signing-key-000001',
    SES_CONFIGURATION_SET: 'waymark',
  };
  const emptyLoad = loadTime(join(OUT, 'empty', 'index.mjs'), env, runs);
  const handlers: BundleResult[] = [];
  for (const [variant, external] of [['sdk bundled', EXTERNAL_MODULES], ['sdk external', SDK_EXTERNAL_MODULES]] as const) {
    for (const name of HANDLERS) {
      const outdir = join(OUT, `${name}-${variant.replace(' ', '-')}`);
      const bytes = await bundle(handlerEntry(name), outdir, [...external]);
      copyFileSync(assets.bundlePath, join(outdir, 'workflows.json'));
      const loadMs = loadTime(join(outdir, 'index.mjs'), { ...env, WORKFLOW_BUNDLE: join(outdir, 'workflows.json') }, runs);
      handlers.push({ handler: name, variant, bytes, sizeRatio: bytes / emptyBytes, loadMs, loadRatio: loadMs / emptyLoad });
    }
  }
  return { empty: { bytes: emptyBytes, loadMs: emptyLoad }, handlers };
}
