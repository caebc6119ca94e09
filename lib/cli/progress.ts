/**
 * Progress for long commands, on stderr: a bar redrawn in place on a
 * terminal; elsewhere (a pipe, CI, a log file) a plain line now and then, so
 * logs stay readable. Colour follows `output.ts` (none without a terminal or
 * with NO_COLOR).
 */
import { color } from './output';

export interface Progress {
  /** `fraction` in [0, 1]; `text` the counts to show beside it. */
  update(fraction: number, text: string): void;
  /** Clears the bar (a terminal) before the final lines are printed. */
  done(): void;
}

export function progressOn(stream: NodeJS.WriteStream = process.stderr, options: { now?: () => number; plainEveryMs?: number } = {}): Progress {
  const now = options.now ?? Date.now;
  const plainEvery = options.plainEveryMs ?? 5000;
  let last = now();
  let drawn = false;
  if (stream.isTTY) {
    return {
      update(fraction, text) {
        if (drawn && now() - last < 100) return;
        last = now();
        const width = 24;
        const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
        const bar = color.cyan('█'.repeat(filled)) + color.dim('░'.repeat(width - filled));
        const line = `  ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${text}`;
        stream.write(`\r${line}\u001b[K`);
        drawn = true;
      },
      done() {
        if (drawn) stream.write('\r\u001b[K');
        drawn = false;
      },
    };
  }
  return {
    update(fraction, text) {
      if (now() - last < plainEvery) return;
      last = now();
      stream.write(`  ${Math.floor(fraction * 100)}% · ${text}\n`);
    },
    done() {},
  };
}
