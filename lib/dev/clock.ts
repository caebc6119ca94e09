/**
 * The dev server's clock: real time, sped up (`--speed 3600` is one simulated
 * hour per real second), and movable forward on request, so waits of days
 * can be watched or skipped. It never goes backwards, and it resumes where it
 * stopped when the data is kept across restarts.
 */
export class DevClock {
  private realStart = Date.now();
  private virtualStart: number;
  private offset = 0;

  constructor(
    readonly speed: number,
    start: number = Date.now(),
  ) {
    if (!(speed > 0)) throw new Error('--speed must be a positive number');
    this.virtualStart = start;
  }

  now(): number {
    return Math.floor(this.virtualStart + (Date.now() - this.realStart) * this.speed + this.offset);
  }

  /** Moves the clock forward by `ms`. */
  advance(ms: number): number {
    if (ms > 0) this.offset += ms;
    return this.now();
  }

  /** Real milliseconds for `virtualMs` of simulated time. */
  realDelay(virtualMs: number): number {
    return virtualMs / this.speed;
  }
}
