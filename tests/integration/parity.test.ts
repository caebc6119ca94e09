/**
 * What a marketer sees with `waymark run` is what production does: the sample
 * events, pushed through the Lambda handlers against DynamoDB Local and the
 * local SES server, produce in the SES server's store the same emails that
 * `waymark run` prints for them.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { createLocalRuntime } from '../support/local-runtime';

const loaded = loadValidWorkflows(['workflows']);
const registry = new WorkflowRegistry(loaded.workflows, loaded.catalogue);

describe.each(['cold-traffic.jsonl', 'post-purchase.jsonl'])('workflows/examples/%s', (file) => {
  it('through the advance, sweep and ses-events handlers, sends what `waymark run` prints', async () => {
    const text = readFileSync(`workflows/examples/${file}`, 'utf8');
    const expected = await runTimeline(registry, timelineFromJsonLines(text));

    // The example addresses are unique to this file, so the shared SES server's store can be filtered by them.
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    const events = lines.map((l) => { try { return JSON.parse(l) as { time?: string; source?: string }; } catch { return undefined; } });
    const runtime = await createLocalRuntime({ registry, start: '2026-11-01T00:00:00Z' });
    const ordered = events
      .map((event, index) => ({ event, index, at: Date.parse(event?.time ?? '') }))
      .filter((e) => e.event !== undefined)
      // Events without a usable time cannot be placed in time: deliver them first (they are rejected).
      .sort((a, b) => (Number.isNaN(a.at) ? -Infinity : a.at) - (Number.isNaN(b.at) ? -Infinity : b.at) || a.index - b.index);
    for (const { event, at } of ordered) {
      if (!Number.isNaN(at)) await runtime.advanceTo(new Date(at).toISOString());
      const isRawSesEvent = event!.source === 'aws.ses' && !('customerId' in ((event as { detail?: object }).detail ?? {}));
      if (isRawSesEvent) await runtime.sesEvents(event as never);
      else await runtime.send(event!);
    }
    await runtime.advanceTo('2027-03-01T00:00:00Z');

    const addresses = [...new Set(expected.emails.map((e) => e.to))];
    const sent = await runtime.messagesTo(...addresses);
    const perCustomer = (emails: Array<{ to: string; subject: string }>) => {
      const byAddress = new Map<string, string[]>();
      for (const e of emails) byAddress.set(e.to, [...(byAddress.get(e.to) ?? []), e.subject]);
      return Object.fromEntries([...byAddress].sort(([a], [b]) => a.localeCompare(b)));
    };
    expect(perCustomer(sent.map((m) => ({ to: m.destination.to[0]!, subject: m.subject })))).toEqual(perCustomer(expected.emails));
    expect(sent).toHaveLength(expected.emails.length);

    // And each customer ends where `waymark run` says.
    for (const customer of expected.customers) {
      const journey = await runtime.journey(customer.customerId, customer.workflowId);
      expect({ customer: customer.customerId, status: journey?.state.status, stage: journey?.state.stage }).toEqual({ customer: customer.customerId, status: customer.status, stage: customer.stage });
    }
    // The invalid lines went to the dead-letter path with the reasons `waymark run` reports for them.
    expect(runtime.deadLetters.entries.map((e) => e.reason).sort()).toEqual(expected.rejected.map((r) => r.reason).sort());
  });
});
