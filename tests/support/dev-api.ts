/**
 * Driving a running `waymark dev` as a user's tools do: its HTTP API (the clock, settling, the
 * journeys) and its EventBridge-compatible endpoint through the real EventBridge client.
 */
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { expect } from 'vitest';

export interface DevApi {
  /** GET (or `init`) `path` on the dev server; throws with the answer when it is not 2xx. */
  api<T>(path: string, init?: RequestInit): Promise<T>;
  /** POST /api/clock: moves the dev clock forward and processes everything that falls due. */
  advanceClock(ms: number): Promise<{ now: string }>;
  /** POST /api/settle: until the queue, the stream and the sweep have nothing left at the current time. */
  settle(): Promise<{ now: string }>;
  /** Puts one event on the local bus (source com.ledgerly.web unless given) and settles. */
  put(detailType: string, detail: Record<string, unknown>, source?: string): Promise<void>;
}

export function devApi(mapUrl: string, events: EventBridgeClient): DevApi {
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const response = await fetch(new URL(path, mapUrl), init);
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };
  const settle = () => api<{ now: string }>('/api/settle', { method: 'POST' });
  return {
    api,
    settle,
    advanceClock: (ms) => api<{ now: string }>('/api/clock', { method: 'POST', body: JSON.stringify({ advanceByMs: ms }) }),
    async put(detailType, detail, source = 'com.ledgerly.web') {
      const result = await events.send(new PutEventsCommand({ Entries: [{ Source: source, DetailType: detailType, Detail: JSON.stringify(detail) }] }));
      expect(result.FailedEntryCount).toBe(0);
      await settle();
    },
  };
}
