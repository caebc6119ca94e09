/**
 * The dev journal: what `waymark dev` remembers of a local run for the journey
 * map, beyond the table. Wired as dev-server.ts wires it (the journey service's
 * observer and the advance handler's reports), on a memory store.
 *
 * - Customer data the engine could not use as given (a time zone with a typo,
 *   an entry older than entry.maxAge) shows in the activity as a `warning`
 *   naming the customer, the journey and the reason, as the handlers log it.
 */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { DevJournal } from '../../lib/dev/journal';
import { BufferedCounters } from '../../lib/runtime/counters';
import { createAdvanceHandler } from '../../lib/runtime/handlers/advance';
import { JourneyService } from '../../lib/runtime/journey-service';
import { MemoryStore } from '../../lib/runtime/memory-store';
import { MemoryDeadLetters } from '../../lib/runtime/queue';
import { defineWorkflow, lead, registryOf } from '../support/journeys';

const NOW = Date.parse('2026-11-02T10:00:00Z');

/** A welcome email in a send window: the window is read in the customer's profile.timezone. */
const workflow = defineWorkflow({
  settings: { sendWindow: { start: '09:00', end: '17:00' }, timezone: 'UTC' },
  steps: {
    welcome: { type: 'email', template: 'article-1' },
  },
});

/** The advance handler and journey service on memory, feeding a journal as in `waymark dev`. */
function devRun() {
  const store = new MemoryStore();
  const journal = new DevJournal();
  const counters = new BufferedCounters(store);
  const service = new JourneyService({ registry: registryOf(workflow), store, counters, observer: journal.onApplied });
  const handler = createAdvanceHandler({ service, store, deadLetters: new MemoryDeadLetters(), counters, now: () => NOW, log: { info() {}, warn() {}, error() {} }, onReport: journal.onReport });
  let messages = 0;
  /** Applies events as the work queue hands them to the handler, one SQS record each. */
  const apply = async (...events: object[]) => {
    const records = events.map((event) => ({ messageId: `msg-${++messages}`, body: JSON.stringify(event) }) as SQSRecord);
    expect(await handler({ Records: records })).toEqual({ batchItemFailures: [] });
  };
  return { store, journal, apply };
}

describe('dev journal: customer-data warnings in the activity', () => {
  it('shows a profile time zone with a typo as a warning naming the customer, the journey and the reason', async () => {
    const { journal, apply } = devRun();

    await apply(lead('chi', '2026-11-02T10:00:00Z', { timezone: 'America/Chicgo' }));

    expect(journal.activity.filter((a) => a.kind === 'warning')).toEqual([
      {
        at: '2026-11-02T10:00:00.000Z',
        kind: 'warning',
        customerId: 'chi',
        workflowId: 'test-journey',
        text: 'chi in test-journey: profile.timezone "America/Chicgo" is not an IANA time zone (did you mean "America/Chicago"?): the send window was applied in UTC, the workflow\'s zone',
      },
    ]);
    // The customer still entered: a warning says which fallback was taken, it stops nothing.
    expect(journal.activity.map((a) => a.kind)).toContain('entered');
  });

  it('shows a warning from an input that changed no journey: an entry older than entry.maxAge', async () => {
    const { journal, apply } = devRun();

    // Three days old when applied; entry.maxAge is a day by default.
    await apply(lead('late', '2026-10-30T10:00:00Z'));

    expect(journal.activity.map((a) => [a.kind, a.customerId])).toEqual([['warning', 'late']]);
    expect(journal.activity[0]!.text).toMatch(/^late in test-journey: lead\.captured of 2026-10-30T10:00:00Z was .* older than entry\.maxAge \(P1D\): it did not start the journey$/);
  });

  it('shows nothing for a customer whose data is fine', async () => {
    const { journal, apply } = devRun();

    await apply(lead('fine', '2026-11-02T10:00:00Z', { timezone: 'America/Chicago' }));

    expect(journal.activity.filter((a) => a.kind === 'warning')).toEqual([]);
  });
});
