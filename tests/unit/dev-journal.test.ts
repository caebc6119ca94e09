/**
 * The dev journal: what `waymark dev` remembers of a local run for the journey
 * map, beyond the table. Wired as dev-server.ts wires it (the journey service's
 * observer and the advance handler's reports), on a memory store.
 *
 * - Customer data the engine could not use as given (a time zone with a typo,
 *   an entry older than entry.maxAge) shows in the activity as a `warning`
 *   naming the customer, the journey and the reason, as the handlers log it.
 * - The customer list (GET /api/customers?query=&offset=&limit=) pages through
 *   the customers seen, most recent first: every customer once, none skipped.
 */
import type { SQSRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { CustomerPage } from '../../lib/dev/api-types';
import { DevJournal } from '../../lib/dev/journal';
import { answerMapApi, customerPageFromJournal, type MapBackend } from '../../lib/dev/map-api';
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

describe('GET /api/customers in waymark dev: paging', () => {
  /** The map API over the journal and the store, as dev-server.ts answers it (no email index here). */
  function customersApi(journal: DevJournal, store: MemoryStore) {
    const unused = () => Promise.reject(new Error('not used by this test'));
    const backend: MapBackend = { overview: unused, customer: unused, stepCustomers: unused, customers: (query, offset, limit) => customerPageFromJournal(journal, store, async () => [], query, offset, limit) };
    return async (query: string): Promise<CustomerPage> => {
      const answer = await answerMapApi(backend, 'GET', new URL(`http://127.0.0.1/api/customers?${query}`));
      expect(answer?.status).toBe(200);
      return answer!.body as CustomerPage;
    };
  }

  /** Every page of a listing, `limit` at a time, as the map's More button asks for them. */
  async function allPages(get: (query: string) => Promise<CustomerPage>, search: string, limit: number): Promise<CustomerPage[]> {
    const pages: CustomerPage[] = [];
    for (let offset = 0; pages.length === 0 || offset < pages[0]!.total!; offset += limit) {
      pages.push(await get(`query=${encodeURIComponent(search)}&offset=${offset}&limit=${limit}`));
    }
    return pages;
  }

  it('lists every customer once across pages, most recent first, with the same total on every page', async () => {
    const { journal, store, apply } = devRun();
    // 45 leads, one a minute: lead-44 is the most recent.
    const ids = Array.from({ length: 45 }, (_, i) => `lead-${i}`);
    for (const [i, id] of ids.entries()) await apply(lead(id, new Date(NOW - (45 - i) * 60_000).toISOString()));
    const get = customersApi(journal, store);

    const pages = await allPages(get, '', 20);

    expect(pages.map((p) => [p.offset, p.customers.length, p.total])).toEqual([[0, 20, 45], [20, 20, 45], [40, 5, 45]]);
    expect(pages.flatMap((p) => p.customers.map((c) => c.customerId))).toEqual([...ids].reverse());
    // Past the end: an empty page, not an error.
    expect((await get('offset=45&limit=20')).customers).toEqual([]);
  });

  it('pages through the customers a search matches', async () => {
    const { journal, store, apply } = devRun();
    for (let i = 0; i < 25; i++) await apply(lead(`lead-${i}`, new Date(NOW - (25 - i) * 60_000).toISOString()));
    const get = customersApi(journal, store);

    // "lead-1" matches lead-1 and lead-10 … lead-19: 11 customers, 4 to a page.
    const pages = await allPages(get, 'lead-1', 4);

    expect(pages.map((p) => p.customers.length)).toEqual([4, 4, 3]);
    expect(pages.flatMap((p) => p.customers.map((c) => c.customerId))).toEqual(['lead-19', 'lead-18', 'lead-17', 'lead-16', 'lead-15', 'lead-14', 'lead-13', 'lead-12', 'lead-11', 'lead-10', 'lead-1']);
    expect(pages.every((p) => p.total === 11)).toBe(true);
  });
});
