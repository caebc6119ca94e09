/** Constants of the workflow language that code outside the schema needs, without loading the schema (zod). */

export const DEFAULT_STAGES = ['awareness', 'consideration', 'decision', 'purchase', 'retention', 'advocacy'] as const;

/** Ids travel base64-encoded in SES message tags (at most 256 characters): 180 bytes of UTF-8 fit. */
export const MAX_ID_BYTES = 180;

/** Bytes of `text` in UTF-8, without encoding it (this runs for every field of every event). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4; // a surrogate pair: one code point beyond the BMP
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
