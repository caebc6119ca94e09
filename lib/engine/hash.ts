/**
 * Stable, fast, non-cryptographic string hashing (cyrb53-style: two 32-bit
 * multiply-xorshift lanes combined into 53 bits). Splits and holdouts use it so
 * that a customer always takes the same path, without randomness.
 */
export function hash53(text: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A number in [0, 1), uniformly spread, stable for the same text. */
export function unitInterval(text: string): number {
  return hash53(text) / 2 ** 53;
}

/** A short, stable fingerprint of an input id (kept in the state item to recognise redelivery in few bytes). */
export function fingerprint(id: string): string {
  return hash53(id).toString(36);
}
