/**
 * Bundles each Lambda handler exactly as the CDK stack does (minified ESM,
 * the AWS SDK bundled in: EXTERNAL_MODULES is empty) and prints its size and
 * what weighs most: `npm run bundle-sizes`. With --json, prints
 * {handler: bytes} for tools. `npm run bench` (bench/bundles.ts) times their
 * cold load against the same SDK clients alone.
 */
import { build } from 'esbuild';
import { ESBUILD_TARGET, ESM_REQUIRE_BANNER, EXTERNAL_MODULES, HANDLERS, handlerEntry } from '../lib/infra/bundling';

export async function bundleSizes(): Promise<Record<string, { bytes: number; gzip: number; inputs: Array<[string, number]> }>> {
  const { gzipSync } = await import('node:zlib');
  const sizes: Record<string, { bytes: number; gzip: number; inputs: Array<[string, number]> }> = {};
  for (const name of HANDLERS) {
    const result = await build({
      entryPoints: [handlerEntry(name)],
      bundle: true,
      minify: true,
      format: 'esm',
      platform: 'node',
      target: ESBUILD_TARGET,
      external: EXTERNAL_MODULES,
      mainFields: ['module', 'main'],
      banner: { js: ESM_REQUIRE_BANNER },
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0]!.contents;
    const output = Object.values(result.metafile.outputs)[0]!;
    const byPackage = new Map<string, number>();
    for (const [path, info] of Object.entries(output.inputs)) {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
      const key = match ? match[1]! : path.startsWith('lib/') || path.startsWith('lambdas/') ? 'waymark' : path;
      byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput);
    }
    sizes[name] = { bytes: code.byteLength, gzip: gzipSync(code).byteLength, inputs: [...byPackage].sort((a, b) => b[1] - a[1]) };
  }
  return sizes;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await bundleSizes();
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, v.bytes])), null, 2));
  } else {
    for (const [name, size] of Object.entries(sizes)) {
      const top = size.inputs.slice(0, 4).map(([pkg, bytes]) => `${pkg} ${(bytes / 1024).toFixed(1)} KB`).join(', ');
      console.log(`${name.padEnd(12)} ${(size.bytes / 1024).toFixed(1).padStart(7)} KB minified  ${(size.gzip / 1024).toFixed(1).padStart(6)} KB gzip   (${top})`);
    }
  }
}
