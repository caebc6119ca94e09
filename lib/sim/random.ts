/**
 * Seeded randomness for simulations and the demo: nothing in a forecast calls `Math.random()`,
 * so the same seed always gives the same figures.
 */
import { hash53 } from '../engine/hash';

/** A small, fast, seedable generator (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A separate generator per purpose, so that e.g. changing click rates does not move who enters when. */
export function stream(seed: number, purpose: string): () => number {
  return seededRandom(hash53(`${seed}:${purpose}`) % 4294967296);
}
