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
  return base36(hash53(id));
}

const DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz';
/** "00" to "zz": two base-36 digits at a time. */
const PAIRS: readonly string[] = Array.from({ length: 36 * 36 }, (_, i) => DIGITS[Math.floor(i / 36)]! + DIGITS[i % 36]!);
const SIX_DIGITS = 36 ** 6;

/**
 * `n.toString(36)` for a whole number 0 ≤ n < 2^53, the same string in a fraction of the time
 * (V8's radix conversion of a double is general-purpose and slow): the low six digits and the rest
 * are each below 2^32, so they convert with integer arithmetic, two digits per table lookup.
 */
export function base36(n: number): string {
  if (n < SIX_DIGITS) return unpadded(n);
  const high = Math.floor(n / SIX_DIGITS);
  let low = n - high * SIX_DIGITS;
  const a = Math.floor(low / 1_679_616); // 36^4
  low -= a * 1_679_616;
  const b = Math.floor(low / 1296);
  return unpadded(high) + PAIRS[a]! + PAIRS[b]! + PAIRS[low - b * 1296]!;
}

/** Base 36 without leading zeros, for 0 ≤ n < 36^6. */
function unpadded(n: number): string {
  let text = '';
  while (n >= 1296) {
    const q = Math.floor(n / 1296);
    text = PAIRS[n - q * 1296]! + text;
    n = q;
  }
  return (n < 36 ? DIGITS[n]! : PAIRS[n]!) + text;
}
