import { describe, expect, it } from 'vitest';
import { base36, fingerprint, hash53 } from '../../lib/engine/hash';

describe('fingerprint', () => {
  it('is the hash in base 36, exactly as Number.prototype.toString(36) writes it (stored fingerprints stay valid)', () => {
    // Prepare: the edges of each digit group, and many hashes of ids
    const edges = [0, 1, 35, 36, 1295, 1296, 46_655, 46_656, 36 ** 6 - 1, 36 ** 6, 36 ** 6 + 1, 36 ** 7, 36 ** 10 - 1, 36 ** 10, 2 ** 32 - 1, 2 ** 32, 2 ** 52, 2 ** 53 - 1];
    const ids = Array.from({ length: 20_000 }, (_, i) => `evt-${i}-${(i * 7919) % 1000}`);

    // Act / Assess
    for (const n of edges) expect(base36(n), String(n)).toBe(n.toString(36));
    for (const id of ids) expect(fingerprint(id)).toBe(hash53(id).toString(36));
  });
});
