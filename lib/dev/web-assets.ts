/**
 * The journey map's page: index.html and app.css as they are, and app.js
 * bundled from the TypeScript in lib/dev/web (which imports lib/report's
 * formatting, statistics and chart code) by esbuild when a server starts.
 * Nothing bundled is committed; the bundle is built once per process.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEB_DIRECTORY = join(dirname(fileURLToPath(import.meta.url)), 'web');

export interface WebAsset {
  contentType: string;
  body: string | Buffer;
}

let bundled: Promise<string> | undefined;

/** lib/dev/web/app.ts and everything it imports, as one browser module (ES2022, no network, no eval). */
export function bundleMapScript(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [join(WEB_DIRECTORY, 'app.ts')],
      bundle: true,
      format: 'esm',
      platform: 'browser',
      target: ['es2022'],
      write: false,
      minify: false,
      sourcemap: 'inline',
      legalComments: 'none',
      logLevel: 'silent',
    });
    return result.outputFiles[0]!.text;
  })();
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

/** The asset at a GET path ("/", "/app.js", "/app.css"), or undefined. */
export async function webAsset(path: string): Promise<WebAsset | undefined> {
  if (path === '/' || path === '/index.html') return { contentType: 'text/html; charset=utf-8', body: readFileSync(join(WEB_DIRECTORY, 'index.html')) };
  if (path === '/app.css') return { contentType: 'text/css; charset=utf-8', body: readFileSync(join(WEB_DIRECTORY, 'app.css')) };
  if (path === '/app.js') return { contentType: 'text/javascript; charset=utf-8', body: await bundleMapScript() };
  return undefined;
}
