/**
 * The workloads the cost benchmark drives through the pipeline:
 *
 * - the reference workload (`referenceWorkload` in engine-throughput.ts, the
 *   reference journey): leads, page views, orders and deletions are
 *   producers' events on the bus; its clicks are SES click events about the
 *   customer's latest email; and every email is opened at the simulate
 *   defaults for its content kind (lib/sim, ENGAGEMENT_BY_KIND).
 * - the sample nurture (workflows/cold-traffic-nurture.json) with
 *   `waymark simulate`'s behaviour at its defaults: customers enter over ten
 *   days, open and click each email at its kind's rates (a click after its
 *   open), convert after 8% of clicks and 3% whatever happens; everything they
 *   cause until their journey ends is counted.
 *
 * Random choices are drawn from a generator seeded by what they are about
 * (the customer, the email), so that runs at different batch fills see the
 * same behaviour, whatever order the pipeline hands emails over in.
 */
import { join } from 'node:path';
import { ENGAGEMENT_BY_KIND, seededRandom } from '../lib/dev/demo';
import { createCatalogue } from '../lib/engine/content';
import { hash53 } from '../lib/engine/hash';
import { WorkflowRegistry } from '../lib/runtime/registry';
import { emailTags } from '../lib/runtime/ses-events';
import type { OutboxEntry } from '../lib/runtime/store';
import { loadValidWorkflows } from '../lib/runtime/workflow-files';
import { DEFAULT_TIME_ZONES, SIMULATION_DEFAULTS } from '../lib/sim/simulator';
import { referenceWorkload } from './engine-throughput';
import { referenceRegistry } from './local-aws';
import type { EmailLog, Happening, PipelineWorkload } from './pipeline';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** The simulator's engagement delays: an open a minute to two days after the send (mean three hours), a click 30 s to 10 min after its open. */
const OPEN_DELAY_MEAN = 3 * HOUR;
const OPEN_DELAY_MAX = 2 * DAY;
const CLICK_DELAY_MAX = 10 * MINUTE;
const CONVERSION_DELAY_MAX = 2 * DAY;

/** An SES event as the configuration set's EventBridge destination delivers it, with the email's tags. */
export function sesEvent(detailType: 'Email Opened' | 'Email Clicked', entry: OutboxEntry, at: number): Record<string, unknown> {
  const eventType = detailType === 'Email Opened' ? 'Open' : 'Click';
  const tags = { 'ses:configuration-set': ['waymark-bench'], ...Object.fromEntries(emailTags(entry).map((t) => [t.Name, [t.Value]])) };
  const time = new Date(at).toISOString();
  return {
    version: '0',
    id: `ses-${eventType}-${entry.customerId}-${entry.seq}-${at}`,
    source: 'aws.ses',
    'detail-type': detailType,
    account: '000000000000',
    region: 'us-east-1',
    resources: [],
    time,
    detail: {
      eventType,
      mail: { timestamp: new Date(entry.at).toISOString(), messageId: `bench-${entry.customerId}-${entry.seq}`, destination: [entry.to], tags },
      ...(eventType === 'Open' ? { open: { timestamp: time, userAgent: 'bench', ipAddress: '192.0.2.1' } } : { click: { timestamp: time, link: 'https://ledgerly.example/article', userAgent: 'bench', ipAddress: '192.0.2.1' } }),
    },
  };
}

const randomFor = (what: string) => seededRandom(hash53(what));

/** Rates of an email's content kind at the simulate defaults. */
function ratesOf(registry: WorkflowRegistry, entry: OutboxEntry): { open: number; click: number } {
  const kind = registry.catalogue.byId.get(entry.contentId)?.kind ?? '';
  return ENGAGEMENT_BY_KIND[kind] ?? SIMULATION_DEFAULTS.unknownKind;
}

const openDelay = (random: () => number) => MINUTE + Math.floor(Math.min(OPEN_DELAY_MAX, -Math.log(1 - random()) * OPEN_DELAY_MEAN));

/** `opens: false`: no SES open events (what routing only the SES events a journey uses would save). */
export function referencePipelineWorkload(customers: number, options: { seed?: number; opens?: boolean } = {}): PipelineWorkload {
  const { seed = 7, opens = true } = options;
  const registry = referenceRegistry();
  const names = { LEAD: 'lead.captured', ORDER: 'order.placed', DELETE: 'customer.deleted', PAGE: 'page.viewed' } as const;
  const happenings: Happening[] = referenceWorkload(customers, seed).map((e, i): Happening => {
    const customerId = `c${e.customer}`;
    if (e.kind === 'CLICK') {
      // A click on the latest email the customer was sent before it (none: no click).
      const click = (emails: EmailLog) => {
        const latest = (emails.get(customerId) ?? []).filter((entry) => entry.at <= e.at).at(-1);
        return latest ? sesEvent('Email Clicked', latest, e.at) : undefined;
      };
      return { at: e.at, kind: 'ses', customerId, event: click };
    }
    const detail = { customerId, ...(e.kind === 'LEAD' ? { profile: { email: `${customerId}@bench.example`, ...(e.plan ? { plan: e.plan } : {}) } } : {}) };
    return { at: e.at, kind: 'bus', event: { id: `bench-${i}`, source: 'com.bench.app', 'detail-type': names[e.kind], time: new Date(e.at).toISOString(), detail } };
  });
  return {
    name: opens ? 'reference' : 'reference without opens',
    registry,
    customers,
    happenings,
    // Opens at the simulate defaults (the workload's own clicks stand for the clicks).
    onEmail: (entry) => {
      if (!opens) return [];
      const random = randomFor(`open|${entry.customerId}|${entry.seq}`);
      const rates = ratesOf(registry, entry);
      if (random() >= Math.max(rates.open, rates.click)) return [];
      const at = entry.at + openDelay(random);
      return [{ at, kind: 'ses', customerId: entry.customerId, event: sesEvent('Email Opened', entry, at) }];
    },
  };
}

/** The sample nurture, as `waymark simulate` would run it at its defaults. */
export function nurtureWorkload(customers: number, seed: number = SIMULATION_DEFAULTS.seed): PipelineWorkload {
  const root = join(import.meta.dirname, '..', 'workflows');
  const loaded = loadValidWorkflows([join(root, 'cold-traffic-nurture.json')], { contentDirectory: join(root, 'content') });
  const registry = new WorkflowRegistry(loaded.workflows, createCatalogue([...loaded.catalogue.items]));
  const start = Date.parse(SIMULATION_DEFAULTS.start);
  const days = SIMULATION_DEFAULTS.days;
  const entryDays = Math.ceil(days / 3);
  const end = start + days * DAY;
  const order = (customerId: string, at: number, n: number): Happening => ({
    at,
    kind: 'bus',
    event: { id: `${customerId}:order:${n}`, source: 'com.ledgerly.shop', 'detail-type': 'order.placed', time: new Date(at).toISOString(), detail: { customerId, amount: 49 } },
  });
  const happenings: Happening[] = [];
  const random = seededRandom(seed);
  for (let c = 0; c < customers; c++) {
    const customerId = `sim-${String(c + 1).padStart(6, '0')}`;
    const at = start + Math.floor(random() * entryDays * DAY);
    const profile = { email: `${customerId}@example.com`, firstName: 'Ana', timezone: DEFAULT_TIME_ZONES[Math.floor(random() * DEFAULT_TIME_ZONES.length)]! };
    happenings.push({ at, kind: 'bus', event: { id: `${customerId}:entry`, source: 'com.ledgerly.web', 'detail-type': 'lead.captured', time: new Date(at).toISOString(), detail: { customerId, profile } } });
    // Some customers convert whatever the journey does, at a time over the rest of the period.
    if (random() < SIMULATION_DEFAULTS.baseConversion) happenings.push(order(customerId, at + 1 + Math.floor(random() * (end - at - 1)), 0));
  }
  return {
    name: 'cold-traffic-nurture',
    registry,
    customers,
    happenings,
    onEmail: (entry) => {
      const r = randomFor(`email|${entry.customerId}|${entry.seq}`);
      const rates = ratesOf(registry, entry);
      const roll = r();
      if (roll >= rates.open && roll >= rates.click) return [];
      const openedAt = entry.at + openDelay(r);
      const caused: Happening[] = [{ at: openedAt, kind: 'ses', customerId: entry.customerId, event: sesEvent('Email Opened', entry, openedAt) }];
      if (roll >= rates.click) return caused;
      const clickedAt = openedAt + 30_000 + Math.floor(r() * CLICK_DELAY_MAX);
      caused.push({ at: clickedAt, kind: 'ses', customerId: entry.customerId, event: sesEvent('Email Clicked', entry, clickedAt) });
      if (r() < SIMULATION_DEFAULTS.conversionPerClick) caused.push(order(entry.customerId, clickedAt + MINUTE + Math.floor(r() * CONVERSION_DELAY_MAX), entry.seq));
      return caused;
    },
  };
}
