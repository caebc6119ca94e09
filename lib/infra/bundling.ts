/**
 * How every handler is bundled, in one place: the CDK functions and
 * `npm run bundle-sizes` (and the benchmarks) use the same esbuild options,
 * so the sizes printed are the sizes deployed.
 */
export const HANDLERS = ['advance', 'send', 'sweep', 'unsubscribe', 'segment'] as const;
export type HandlerName = (typeof HANDLERS)[number];

export const handlerEntry = (name: HandlerName) => `lambdas/${name}.ts`;

/**
 * Nothing is left external, not even the AWS SDK v3 that the Node.js runtime
 * ships: loading the SDK from the runtime's node_modules means resolving and
 * compiling hundreds of CommonJS files at every cold start (~550 ms for the
 * DynamoDB and SQS clients here), where one tree-shaken, minified file loads
 * in ~110 ms. The price is bigger artifacts (~0.4-0.6 MB instead of
 * ~40-170 KB). `npm run bench` measures both ways (bench/README.md).
 */
export const EXTERNAL_MODULES: string[] = [];

/** The other way, measured by the benchmarks: the runtime's own SDK. */
export const SDK_EXTERNAL_MODULES = ['@aws-sdk/*'];

/** ESM bundles may still meet CommonJS code that calls require(). */
export const ESM_REQUIRE_BANNER = "import { createRequire as __waymarkCreateRequire } from 'node:module'; const require = __waymarkCreateRequire(import.meta.url);";

export const ESBUILD_TARGET = 'node24';
