/**
 * A headless Chromium for the browser tests on any machine where `npm install`
 * ran: a system Chrome or Chromium when there is one, else the Chromium that
 * the @sparticuz/chromium package ships inside itself (brotli-packed, unpacked
 * on first use: no download, no install script).
 *
 * @example
 * const browser = await launchBrowser();
 * try { const page = await browser.newPage(); ... } finally { await browser.close(); }
 */
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import chromium from '@sparticuz/chromium';
import { type Browser, chromium as playwright } from 'playwright-core';

/** Looked for in this order after CHROME_PATH (CHROMIUM_PATH is still honoured). */
const SYSTEM_BROWSERS = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** Quiet and self-contained: no sandbox (root in CI), no GPU, no calls home, no first-run UI. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/**
 * Launches headless Chromium. Each launch gets a fresh profile: Playwright
 * makes a new user data directory per launch and deletes it on close (it
 * refuses a `--user-data-dir` argument to `launch`).
 */
export async function launchBrowser(): Promise<Browser> {
  const { executablePath, args } = await findChromium();
  return playwright.launch({ executablePath, headless: true, args: [...args, ...FLAGS] });
}

/** Where Chromium is, and the extra flags it needs. */
export async function findChromium(): Promise<{ executablePath: string; args: string[]; source: 'system' | 'npm' }> {
  for (const variable of ['CHROME_PATH', 'CHROMIUM_PATH']) {
    const configured = process.env[variable];
    if (!configured) continue;
    if (!existsSync(configured)) throw new Error(`${variable} is ${configured}, which does not exist`);
    return { executablePath: configured, args: [], source: 'system' };
  }
  const installed = SYSTEM_BROWSERS.find((path) => existsSync(path));
  if (installed) return { executablePath: installed, args: [], source: 'system' };
  return { executablePath: await unpackedNpmChromium(), args: chromium.args, source: 'npm' };
}

/**
 * The @sparticuz/chromium binary, unpacked once per version into the temp
 * directory. Its own `executablePath()` unpacks into the temp directory itself
 * and reuses any `chromium` already there, whatever its version; so it unpacks
 * into a staging directory of ours, moved into place in one rename: two test
 * runs at once (engineers share machines) never see half a binary.
 */
async function unpackedNpmChromium(): Promise<string> {
  const target = join(tmpdir(), `waymark-chromium-${packageVersion('@sparticuz/chromium')}`);
  const binary = join(target, 'chromium');
  if (existsSync(binary)) return binary;
  const staging = mkdtempSync(join(tmpdir(), 'waymark-chromium-unpacking-'));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = staging; // os.tmpdir() reads it on each call
  try {
    await chromium.executablePath();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
  }
  try {
    renameSync(staging, target);
  } catch (error) {
    // Another run moved its copy into place first: use that one.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(binary)) throw error;
  }
  return binary;
}

function packageVersion(name: string): string {
  // The package exports its entry point, not its package.json: walk up from the entry to the package.json that names it.
  const manifest = (directory: string) => {
    const file = join(directory, 'package.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string }) : {};
  };
  for (let directory = dirname(createRequire(import.meta.url).resolve(name)); ; directory = dirname(directory)) {
    const found = manifest(directory);
    if (found.name === name && found.version) return found.version;
    if (dirname(directory) === directory) throw new Error(`no package.json of ${name} above its entry point`);
  }
}
