/**
 * The engine is pure: it imports nothing from AWS, Node or the rest of
 * Waymark, reads no clock and draws no random numbers. Checked two ways:
 * by reading its source, and by running a journey with the clock and the
 * random generator booby-trapped.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compileWorkflow } from '../../lib/engine/compile';
import { createCatalogue } from '../../lib/engine/content';
import { step } from '../../lib/engine/interpreter';
import type { CustomerEvent, JourneyState } from '../../lib/engine/model';
import { defineWorkflow, lead, testContent } from '../support/journeys';

const engineDir = 'lib/engine';
const sources = readdirSync(engineDir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => ({ file: join(engineDir, f), text: readFileSync(join(engineDir, f), 'utf8') }));

describe('lib/engine', () => {
  it('imports only its own modules and zod', () => {
    for (const { file, text } of sources) {
      const imports = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]);
      for (const specifier of imports) {
        expect(specifier === 'zod' || specifier === 'zod/mini' || /^\.\/[\w-]+$/.test(specifier!), `${file} imports "${specifier}"`).toBe(true);
      }
      expect(text, `${file} uses dynamic import or require`).not.toMatch(/\bimport\(|\brequire\(/);
    }
  });

  it('reads no clock, no randomness, no environment and schedules nothing', () => {
    for (const { file, text } of sources) {
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      expect(code, file).not.toMatch(/Date\.now|Math\.random|performance\.now|new Date\(\s*\)|\bprocess\.|setTimeout|setInterval|crypto/);
    }
  });

  describe('running a journey', () => {
    afterEach(() => vi.restoreAllMocks());

    it('never touches the clock or the random generator', () => {
      vi.spyOn(Date, 'now').mockImplementation(() => {
        throw new Error('the engine read the clock');
      });
      vi.spyOn(Math, 'random').mockImplementation(() => {
        throw new Error('the engine drew a random number');
      });
      const workflow = compileWorkflow(
        defineWorkflow({
          settings: { sendWindow: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '09:00', end: '17:00' }, frequencyCap: { max: 1, per: 'P1D' }, timezone: 'Europe/Berlin' },
          steps: {
            ab: { type: 'split', paths: [{ weight: 1, next: 'hold' }, { weight: 1, next: 'hold' }] },
            hold: { type: 'holdout', percent: 1, next: 'welcome' },
            welcome: { type: 'email', stage: 'awareness', content: { kind: 'article' }, next: 'pause' },
            pause: { type: 'wait', duration: 'P1D', next: 'which' },
            which: { type: 'branch', cases: [{ if: { profile: { plan: ['trial'] } }, next: 'demo' }], else: 'demo' },
            demo: { type: 'email', template: 'demo' },
          },
        }),
        createCatalogue(testContent),
      );
      const context = { customerId: 'ana', profile: { email: 'ana@example.com', timezone: 'America/New_York' } };
      let state: JourneyState | null = step(workflow, null, { kind: 'event', event: lead('ana', '2026-11-07T10:00:00Z') as CustomerEvent }, Date.parse('2026-11-07T10:00:00Z'), context).state;
      // Woken on time, as the sweep does, until nothing is left.
      for (let wakes = 0; wakes < 10 && state?.status === 'active' && state.dueAt !== null; wakes++) state = step(workflow, state, { kind: 'wake' }, state.dueAt, context).state;
      expect(state?.status).toBe('completed');
    });
  });
});
