/** Structured logs: one JSON object per line, which CloudWatch Logs Insights can query. */
import type { Logger } from './journey-service';

export function jsonLogger(fields: Record<string, unknown> = {}, write: (line: string) => void = (line) => console.log(line)): Logger {
  const log = (level: string) => (message: string, data: Record<string, unknown> = {}) => {
    write(JSON.stringify({ level, message, ...fields, ...data, time: new Date().toISOString() }));
  };
  return { info: log('info'), warn: log('warn'), error: log('error') };
}
