/**
 * Terminal output helpers: colour only on a terminal (and never with NO_COLOR),
 * machine output untouched.
 */
import pc from 'picocolors';

export const color = pc;

export const symbols = {
  ok: pc.green('✔'),
  fail: pc.red('✖'),
  warn: pc.yellow('!'),
  arrow: pc.dim('→'),
};

/** An ISO instant as "2026-11-23 09:00" (UTC), for tables. */
export function shortTime(at: number | string): string {
  const iso = typeof at === 'number' ? new Date(at).toISOString() : at;
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
}

/** Left-aligned columns, widths from the content. */
export function table(rows: string[][], options: { indent?: number } = {}): string {
  const visible = (s: string) => s.replace(/\u001b\[[0-9;]*m/g, '').length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  const indent = ' '.repeat(options.indent ?? 2);
  return rows.map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visible(cell)))).join('  ')).join('\n');
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
