/**
 * Signing keys as a warm function holds them. Keys rotate in their source
 * (Secrets Manager) while execution environments live for hours, so keys read
 * once at cold start would refuse every link signed after a rotation. Instead:
 *
 * - `get()` keeps the keys for `maxAgeMs`, then reads them again;
 * - `reread()`, after a token that none of the held keys opens (perhaps signed
 *   with a key from a rotation not seen yet), reads them again at once, but at
 *   most once per `minRereadMs`: a flood of forged tokens costs one read per
 *   interval, not one per request;
 * - when the source fails and keys were read before, those keys go on being
 *   used (and the failure reported) until a later read succeeds; the source is
 *   asked again no more than once per `minRereadMs`.
 *
 * Concurrent callers share one read.
 */
export interface KeyCacheOptions {
  /** How long keys are used before they are read again. */
  maxAgeMs: number;
  /** The least time between two reads of the source. */
  minRereadMs: number;
}

export const KEY_CACHE_DEFAULTS: KeyCacheOptions = { maxAgeMs: 5 * 60_000, minRereadMs: 30_000 };

export class CachedKeys {
  private keys: string[] | undefined;
  private readAt = Number.NEGATIVE_INFINITY;
  private triedAt = Number.NEGATIVE_INFINITY;
  private reading: Promise<string[]> | undefined;
  private readonly options: KeyCacheOptions;

  constructor(
    private readonly source: () => Promise<string[]>,
    private readonly now: () => number,
    options: Partial<KeyCacheOptions> = {},
    private readonly onReadError: (error: unknown) => void = () => {},
  ) {
    this.options = { ...KEY_CACHE_DEFAULTS, ...options };
  }

  /** The keys, current first: the held ones while they are fresh, else read again. */
  async get(): Promise<string[]> {
    if (this.keys === undefined) return this.read();
    const now = this.now();
    if (now - this.readAt < this.options.maxAgeMs || now - this.triedAt < this.options.minRereadMs) return this.keys;
    return this.read();
  }

  /**
   * Reads the keys again after a failed check. Undefined when the source was
   * asked less than `minRereadMs` ago: then the held keys are all there is.
   */
  async reread(): Promise<string[] | undefined> {
    if (this.reading) return this.reading;
    if (this.now() - this.triedAt < this.options.minRereadMs) return undefined;
    return this.read();
  }

  private read(): Promise<string[]> {
    this.reading ??= this.readSource().finally(() => {
      this.reading = undefined;
    });
    return this.reading;
  }

  private async readSource(): Promise<string[]> {
    this.triedAt = this.now();
    try {
      this.keys = await this.source();
      this.readAt = this.now();
    } catch (error) {
      // Keys read before still open most links; with none there is nothing to verify with.
      if (this.keys === undefined) throw error;
      this.onReadError(error);
    }
    return this.keys;
  }
}
