/**
 * The event archive's format, shared by the AWS archive (an EventBridge rule
 * → Firehose → S3), the `waymark dev` archive (`.waymark/events/`) and the
 * replay that reads both.
 *
 * What is archived: every customer event put on the bus (any event with a
 * `detail.customerId` whose source is not an AWS service's), whether or not a
 * workflow uses it, so a candidate workflow that starts using an event can be
 * replayed against the history. SES's own events (opens, clicks, bounces) are
 * not: they are answers to the emails one deployment sent, and a candidate
 * sends other emails.
 *
 * One line per event, in the order the bus received them:
 *
 *   {"deliveredAt": "2026-11-02T14:05:00.318Z", "event": {"id": "…", "source": "com.acme.web", "detail-type": "lead.captured", "time": "2026-11-02T14:05:00Z", "detail": {…}}}
 *
 * `deliveredAt` is when the bus received the event (EventBridge's ingestion
 * time): the late-delivery line `waymark run` reads, so a replay applies each
 * event when production applied it, an event sent with an old `time` (a
 * backfill, an import) included. Files are named by the day the bus received
 * their events (UTC): `events/YYYY/MM/DD/…` in S3, `YYYY-MM-DD.jsonl` in dev.
 */
import type { EventPattern } from '../engine/patterns';

/** The archive rule's pattern: customer events, never an AWS service's own. */
export const ARCHIVED_EVENTS: EventPattern = {
  source: [{ 'anything-but': { prefix: 'aws.' } }],
  detail: { customerId: [{ exists: true }] },
};

/** Where Firehose writes in the bucket (the S3 prefix of `--from s3://bucket/events`). */
export const ARCHIVE_PREFIX = 'events/';

/** One archive line (without its newline). */
export function archiveLine(event: unknown, deliveredAt: number): string {
  return JSON.stringify({ deliveredAt: new Date(deliveredAt).toISOString(), event });
}

/** "2026-11-02" for an instant (UTC). */
export function utcDay(at: number): string {
  return new Date(at).toISOString().slice(0, 10);
}

/** The UTC days from `since` to `until`, both included, oldest first: "2026-11-02", … */
export function daysBetween(since: number, until: number): string[] {
  const days: string[] = [];
  const first = Date.parse(`${utcDay(since)}T00:00:00Z`);
  for (let at = first; at <= until; at += 86_400_000) days.push(utcDay(at));
  return days;
}
