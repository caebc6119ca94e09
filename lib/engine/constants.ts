/** Constants of the workflow language that code outside the schema needs, without loading the schema (zod). */

export const DEFAULT_STAGES = ['awareness', 'consideration', 'decision', 'purchase', 'retention', 'advocacy'] as const;

/** Ids travel base64-encoded in SES message tags (at most 256 characters): 180 bytes of UTF-8 fit. */
export const MAX_ID_BYTES = 180;

export const utf8Length = (text: string): number => new TextEncoder().encode(text).length;
