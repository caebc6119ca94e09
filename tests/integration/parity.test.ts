/**
 * What a marketer sees with `waymark run` is what production does: the same
 * event files, through `waymark run` and through the deployed rules (each
 * workflow's rule and the profile rule) into the Lambda handlers against
 * DynamoDB Local and the local SES server, give the same profiles and the
 * same emails.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { rulesFor } from '../../lib/engine/routing';
import { runTimeline, timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { WorkflowRegistry } from '../../lib/runtime/registry';
import { loadValidWorkflows } from '../../lib/runtime/workflow-files';
import { defineWorkflow, registryOf } from '../support/journeys';
import { createLocalRuntime, uniqueAddress } from '../support/local-runtime';

const loaded = loadValidWorkflows(['workflows']);
const registry = WorkflowRegistry.fromLoaded(loaded);

type Line = { time?: string; source?: string; detail?: { customerId?: string } };

/** Delivers events to the runtime in time order, each at its own time, through the deployed rules (SES events through their own rule). */
async function publishInTimeOrder(runtime: Awaited<ReturnType<typeof createLocalRuntime>>, events: Line[]) {
  const ordered = events
    .map((event, index) => ({ event, index, at: Date.parse(event.time ?? '') }))
    // Events without a usable time cannot be placed in time: deliver them first (they are rejected).
    .sort((a, b) => (Number.isNaN(a.at) ? -Infinity : a.at) - (Number.isNaN(b.at) ? -Infinity : b.at) || a.index - b.index);
  for (const { event, at } of ordered) {
    if (!Number.isNaN(at)) await runtime.advanceTo(new Date(at).toISOString());
    const isSesEvent = event.source === 'aws.ses';
    if (isSesEvent && !('customerId' in (event.detail ?? {}))) await runtime.sesEvents(event);
    else if (isSesEvent) await runtime.send(event);
    else if (Number.isNaN(at) || typeof event.detail?.customerId !== 'string') await runtime.send(event); // invalid: the rules could not even read it
    else await runtime.publish(event);
  }
}

const perCustomer = (emails: Array<{ to: string; subject: string }>) => {
  const byAddress = new Map<string, string[]>();
  for (const e of emails) byAddress.set(e.to, [...(byAddress.get(e.to) ?? []), e.subject]);
  return Object.fromEntries([...byAddress].sort(([a], [b]) => a.localeCompare(b)));
};

describe.each(['cold-traffic.jsonl', 'post-purchase.jsonl'])('workflows/examples/%s', (file) => {
  it('through the deployed rules and the handlers, gives the profiles and emails `waymark run` prints', async () => {
    const text = readFileSync(`workflows/examples/${file}`, 'utf8');
    const routing = rulesFor(loaded.workflows, [...loaded.catalogue.items], loaded.settings.profileAttributes ?? []);
    const expected = await runTimeline(registry, timelineFromJsonLines(text), { routing });

    // The example addresses are unique to this file, so the shared SES server's store can be filtered by them.
    const events = text.split('\n').filter((l) => l.trim() !== '').flatMap((l) => {
      try {
        return [JSON.parse(l) as Line];
      } catch {
        return [];
      }
    });
    const runtime = await createLocalRuntime({ registry, start: '2026-11-01T00:00:00Z' });
    await publishInTimeOrder(runtime, events);
    await runtime.advanceTo('2027-03-01T00:00:00Z');

    const addresses = [...new Set(expected.emails.map((e) => e.to))];
    const sent = await runtime.messagesTo(...addresses);
    expect(perCustomer(sent.map((m) => ({ to: m.destination.to[0]!, subject: m.subject })))).toEqual(perCustomer(expected.emails));
    expect(sent).toHaveLength(expected.emails.length);

    // Each customer ends where `waymark run` says, with the same profile.
    const customers = new Set(events.flatMap((e) => (typeof e.detail?.customerId === 'string' ? [e.detail.customerId] : [])));
    for (const customerId of customers) {
      expect({ customerId, profile: await runtime.profile(customerId) }).toEqual({ customerId, profile: expected.runner.store.profileOf(customerId) ?? {} });
    }
    for (const customer of expected.customers) {
      const journey = await runtime.journey(customer.customerId, customer.workflowId);
      expect({ customer: customer.customerId, status: journey?.state.status, stage: journey?.state.stage }).toEqual({ customer: customer.customerId, status: customer.status, stage: customer.stage });
    }
    // The invalid lines went to the dead-letter path with the reasons `waymark run` reports for them.
    expect(runtime.deadLetters.entries.map((e) => e.reason).sort()).toEqual(expected.rejected.filter((r) => !/^invalid JSON/.test(r.reason)).map((r) => r.reason).sort());
  });
});

describe('an event no journey uses, carrying a profile', () => {
  // A language app: people ask for a lesson (no journey waits for that), then subscribe (the journey starts).
  const welcome = defineWorkflow({
    id: 'lessons-welcome',
    entry: { on: { 'detail-type': ['subscription.started'] } },
    steps: { welcome: { type: 'email', template: 'article-1' } },
  });
  const lessons = registryOf(welcome);

  it('sets the address a later entry event\'s email goes to, in `waymark run` and behind the deployed rules alike', async () => {
    const address = uniqueAddress('lesson');
    const events = [
      { id: 'l-1', source: 'com.lingo.app', 'detail-type': 'lesson.requested', time: '2026-11-02T10:00:00Z', detail: { customerId: 'learner-1', language: 'pt', profile: { email: address, firstName: 'Ines' } } },
      { id: 's-1', source: 'com.lingo.billing', 'detail-type': 'subscription.started', time: '2026-11-02T10:05:00Z', detail: { customerId: 'learner-1', plan: 'monthly' } },
    ];
    const routing = rulesFor([welcome], [...lessons.catalogue.items]);
    const ran = await runTimeline(lessons, timelineFromJsonLines(events.map((e) => JSON.stringify(e)).join('\n')), { routing });
    expect(ran.emails.map((e) => `${e.to} ${e.subject}`)).toEqual([`${address} Article 1 for Ines`]);

    const runtime = await createLocalRuntime({ registry: lessons, start: '2026-11-02T10:00:00Z' });
    await publishInTimeOrder(runtime, events);
    expect((await runtime.messagesTo(address)).map((m) => m.subject)).toEqual(['Article 1 for Ines']);
    expect(await runtime.profile('learner-1')).toEqual(ran.runner.store.profileOf('learner-1'));
  });

  it('an older event never overwrites a newer value: the address of the latest event wins, whatever the order of arrival', async () => {
    const newer = uniqueAddress('newer');
    const events = [
      { id: 'p-2', source: 'com.lingo.app', 'detail-type': 'profile.updated', time: '2026-11-02T11:00:00Z', detail: { customerId: 'learner-2', profile: { email: newer } } },
      // Redriven from the dead-letter queue an hour later: older than what the profile holds.
      { deliveredAt: '2026-11-02T12:00:00Z', event: { id: 'p-1', source: 'com.lingo.app', 'detail-type': 'profile.updated', time: '2026-11-02T10:00:00Z', detail: { customerId: 'learner-2', profile: { email: 'old@example.com', firstName: 'Rui' } } } },
    ];
    const routing = rulesFor([welcome], [...lessons.catalogue.items]);
    const ran = await runTimeline(lessons, timelineFromJsonLines(events.map((e) => JSON.stringify(e)).join('\n')), { routing });
    expect(ran.runner.store.profileOf('learner-2')).toEqual({ email: newer, firstName: 'Rui' });

    const runtime = await createLocalRuntime({ registry: lessons, start: '2026-11-02T11:00:00Z' });
    await runtime.publish(events[0]!);
    runtime.clock.now = Date.parse('2026-11-02T12:00:00Z');
    await runtime.publish((events[1] as { event: object }).event);
    expect(await runtime.profile('learner-2')).toEqual({ email: newer, firstName: 'Rui' });
  });
});
