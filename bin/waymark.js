#!/usr/bin/env node
// The `waymark` CLI. It runs the TypeScript sources through tsx, so a fresh
// clone needs no build step: `npm install`, then `npx waymark --help`.
import { register } from 'tsx/esm/api';

register();
const { hideSdkNodeVersionNotice } = await import(new URL('../lib/runtime/quiet-warnings.ts', import.meta.url).href);
hideSdkNodeVersionNotice();
await import(new URL('../lib/cli/main.ts', import.meta.url).href);
