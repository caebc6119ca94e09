/**
 * `waymark dev`'s bus (LocalBus, the PutEvents protocol the SDK speaks) behind
 * a node HTTP server on a free port, so tests exercise the real EventBridge
 * client end to end. Every event put is kept, parsed, in `events`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalBus, type PutEventsEntry } from '../../lib/dev/bus';

export interface LocalBusServer {
  endpoint: string;
  /** Every event the bus accepted, as EventBridge would deliver it. */
  events: Array<{ id: string; source: string; 'detail-type': string; time: string; detail: Record<string, unknown> }>;
  /** PutEvents requests received. */
  requests: number;
  stop(): Promise<void>;
}

export async function startLocalBusServer(): Promise<LocalBusServer> {
  const state: LocalBusServer = { endpoint: '', events: [], requests: 0, stop: async () => {} };
  const bus = new LocalBus([{ name: 'everything', matches: () => true }], (json) => void state.events.push(JSON.parse(json)), Date.now);
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      response.setHeader('Content-Type', 'application/x-amz-json-1.1');
      if (request.headers['x-amz-target'] !== 'AWSEvents.PutEvents') {
        response.statusCode = 400;
        response.end(JSON.stringify({ __type: 'UnknownOperationException', message: 'only PutEvents' }));
        return;
      }
      state.requests++;
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { Entries: PutEventsEntry[] };
      response.end(JSON.stringify(bus.putEvents(body.Entries)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.stop = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
