#!/usr/bin/env node
// The `waymark` CLI. It runs the TypeScript sources through tsx, so a fresh
// clone needs no build step: `npm install`, then `npx waymark --help`.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../lib/cli/main.ts', import.meta.url).href);
