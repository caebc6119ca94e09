/**
 * How every handler is bundled, in one place: the CDK functions and
 * `npm run bundle-sizes` (and the benchmarks) use the same esbuild options,
 * so the sizes printed are the sizes deployed.
 */
export const HANDLERS = ['advance', 'sweep', 'ses-events', 'unsubscribe'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export const handlerEntry = (name: HandlerName) => `lambdas/${name}.ts`;

/** The Node.js Lambda runtime ships the AWS SDK v3: it is not bundled. */
export const EXTERNAL_MODULES = ['@aws-sdk/*'];

/** ESM bundles may still meet CommonJS code that calls require(). */
export const ESM_REQUIRE_BANNER = "import { createRequire as __waymarkCreateRequire } from 'node:module'; const require = __waymarkCreateRequire(import.meta.url);";

export const ESBUILD_TARGET = 'node24';
