/** Structured logs: one JSON object per line, which CloudWatch Logs Insights can query. */
import type { Logger } from './journey-service';

export function jsonLogger(fields: Record<string, unknown> = {}, write: (line: string) => void = (line) => console.log(line)): Logger {
  const log = (level: string) => (message: string, data: Record<string, unknown> = {}) => {
    // `message` last but for the time: a field of the same name in `data` must not replace what filters match.
    write(JSON.stringify({ level, ...fields, ...data, message, time: new Date().toISOString() }));
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
