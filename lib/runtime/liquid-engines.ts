/**
 * The two Liquid engines emails are rendered and templates checked with: one escaping every output
 * for the html body, one plain for subjects and text. A module of its own because liquidjs is the
 * largest thing the send function loads: `render.ts` imports this on the first render, so a cold
 * start does not pay for it before there is something to render.
 */
import { Liquid } from 'liquidjs';

/** Templates may not include files: content travels as data, and a template must never read the disk. */
const noFileSystem = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file: string) => {
    throw new Error(`templates cannot include files ("${file}")`);
  },
  readFileSync: (file: string): string => {
    throw new Error(`templates cannot include files ("${file}")`);
  },
  resolve: (_dir: string, file: string) => file,
};

/**
 * Bounds on one render, so a template (or customer data) that runs away fails that email with a
 * reason instead of holding the send function: template text parsed, time spent rendering, and the
 * memory strings and arrays may take (a loop over a long list, a filter that repeats a string).
 */
export const RENDER_LIMITS = { parseLimit: 1_000_000, renderLimit: 1_000, memoryLimit: 10_000_000 } as const;

const common = { strictFilters: true, ownPropertyOnly: true, fs: noFileSystem, relativeReference: false, timezoneOffset: 0, ...RENDER_LIMITS } as const;

export interface LiquidEngines {
  htmlLiquid: Liquid;
  textLiquid: Liquid;
}

export const liquidEngines: LiquidEngines = {
  htmlLiquid: new Liquid({ ...common, outputEscape: 'escape' }),
  textLiquid: new Liquid({ ...common }),
};
