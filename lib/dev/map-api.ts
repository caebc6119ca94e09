/**
 * The journey map's read API, one router for its two servers: `waymark dev`
 * (the local stack, with its journal of recent customers and emails) and
 * `waymark map` (a deployed table, read-only). Each server supplies a
 * MapBackend; the routes, their parameters and their errors are the same.
 *
 * | route | answer |
 * |---|---|
 * | GET /api/overview | Overview |
 * | GET /api/customers?query=&offset=&limit= | CustomerPage |
 * | GET /api/customers/:id | CustomerView, 404 when unknown |
 * | GET /api/workflows/:id/steps/:stepId/customers?cursor= | StepCustomersView |
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { customersAtStep } from '../runtime/customer-lookup';
import type { DynamoStore } from '../runtime/dynamo-store';
import type { CustomerPage, CustomerSummaryView, CustomerView, Overview, StepCustomersView } from './api-types';
import type { DevJournal } from './journal';

export interface MapBackend {
  overview(): Promise<Overview>;
  customers(query: string, offset: number, limit: number): Promise<CustomerPage>;
  customer(customerId: string): Promise<CustomerView | undefined>;
  stepCustomers(workflowId: string, stepId: string, cursor: string | null): Promise<StepCustomersView>;
}

export interface ApiAnswer {
  status: number;
  body: unknown;
}

/** A problem with the request: answered with its status and message. */
export class MapRequestError extends Error {
  override readonly name = 'MapRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const MAX_PAGE = 100;

function pageParameter(url: URL, name: string, fallback: number, max: number): number {
  const text = url.searchParams.get(name);
  if (text === null || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > max) throw new MapRequestError(400, `${name} must be a whole number from 0 to ${max}, not "${text}"`);
  return value;
}

/** Answers a GET of the read API, or undefined when the path is not one of its routes. */
export async function answerMapApi(backend: MapBackend, method: string, url: URL): Promise<ApiAnswer | undefined> {
  if (method !== 'GET') return undefined;
  const path = url.pathname;
  try {
    if (path === '/api/overview') return { status: 200, body: await backend.overview() };
    if (path === '/api/customers') {
      const offset = pageParameter(url, 'offset', 0, 1_000_000);
      const limit = Math.max(1, pageParameter(url, 'limit', 20, MAX_PAGE));
      return { status: 200, body: await backend.customers((url.searchParams.get('query') ?? '').trim(), offset, limit) };
    }
    const stepMatch = /^\/api\/workflows\/([^/]+)\/steps\/([^/]+)\/customers$/.exec(path);
    if (stepMatch) {
      return { status: 200, body: await backend.stepCustomers(decodeURIComponent(stepMatch[1]!), decodeURIComponent(stepMatch[2]!), url.searchParams.get('cursor') || null) };
    }
    const customerMatch = /^\/api\/customers\/(.+)$/.exec(path);
    if (customerMatch) {
      const view = await backend.customer(decodeURIComponent(customerMatch[1]!));
      return view ? { status: 200, body: view } : { status: 404, body: { message: 'no such customer' } };
    }
  } catch (error) {
    if (error instanceof MapRequestError) return { status: error.status, body: { message: error.message } };
    if (error instanceof RangeError) return { status: 400, body: { message: error.message } };
    throw error;
  }
  return undefined;
}

/** A customer's summary line from the table: email and journeys (one Query of their partition). */
/**
 * What the map shows of one customer, from the table: profile, suppression and each journey. Where
 * a customer has been and the emails they had come from `history` (waymark dev's journal); without
 * one, the path is the step they are at now (the table keeps no more) and the emails are unknown.
 */
export async function customerViewFromTable(
  store: Pick<DynamoStore, 'loadCustomer'>,
  customerId: string,
  history?: { path(workflowId: string): CustomerView['journeys'][number]['path']; emails(): CustomerView['emails'] },
): Promise<CustomerView | undefined> {
  const customer = await store.loadCustomer(customerId);
  if (customer.journeys.size === 0 && Object.keys(customer.profile).length === 0) return undefined;
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return {
    customerId,
    profile: customer.profile,
    suppressed: customer.suppressed,
    journeys: [...customer.journeys].map(([workflowId, { state }]) => ({
      workflowId,
      version: state.version,
      status: state.status,
      stepId: state.status === 'active' ? state.stepId : null,
      stage: state.stage,
      enteredAt: iso(state.enteredAt)!,
      dueAt: iso(state.dueAt),
      emailsSent: state.emailsSent,
      opens: state.opens,
      clicks: state.clicks,
      stages: state.stages.map(([stage, at]) => ({ stage, at: iso(at)! })),
      path: history ? history.path(workflowId) : state.status === 'active' && state.stepId ? [{ stepId: state.stepId, at: iso(state.pendingSince ?? state.clock)! }] : [],
    })),
    emails: history ? history.emails() : [],
  };
}

export async function customerSummary(store: Pick<DynamoStore, 'loadCustomer'>, customerId: string, lastSeen: number | null): Promise<CustomerSummaryView | undefined> {
  const customer = await store.loadCustomer(customerId);
  if (customer.journeys.size === 0 && Object.keys(customer.profile).length === 0) return undefined;
  return {
    customerId,
    email: typeof customer.profile.email === 'string' ? customer.profile.email : null,
    journeys: [...customer.journeys].map(([workflowId, j]) => ({ workflowId, status: j.state.status, stage: j.state.stage })),
    lastSeen: lastSeen === null ? null : new Date(lastSeen).toISOString(),
  };
}

/**
 * `waymark dev`'s page of customers: the journal's most recent (those whose id or an address they
 * were sent to contains the query), each summarised from the table. The journal only knows this
 * run's customers: an exact address it has not seen is looked up with `idsByEmail` (the email index).
 */
export async function customerPageFromJournal(
  journal: Pick<DevJournal, 'recentCustomers'>,
  store: Pick<DynamoStore, 'loadCustomer'>,
  idsByEmail: (email: string) => Promise<string[]>,
  query: string,
  offset: number,
  limit: number,
): Promise<CustomerPage> {
  const found = journal.recentCustomers(query, offset, limit);
  const rows = (await Promise.all(found.customers.map(({ customerId, lastSeen }) => customerSummary(store, customerId, lastSeen)))).filter((r) => r !== undefined);
  if (rows.length === 0 && offset === 0 && query.includes('@')) {
    for (const customerId of await idsByEmail(query)) {
      const row = await customerSummary(store, customerId, null);
      if (row) rows.push(row);
    }
  }
  return { customers: rows, offset, limit, total: Math.max(found.total, rows.length), hint: found.total === 0 && query === '' ? 'No customers yet' : null };
}

/** The customers at a step, from the table (both servers). */
export async function stepCustomersFromTable(client: DynamoDBClient, tableName: string, knownStep: (workflowId: string, stepId: string) => boolean, workflowId: string, stepId: string, cursor: string | null): Promise<StepCustomersView> {
  if (!knownStep(workflowId, stepId)) throw new MapRequestError(404, `no step "${stepId}" in workflow "${workflowId}"`);
  const page = await customersAtStep(client, tableName, { workflowId, stepId, cursor, limit: 50 });
  const iso = (at: number | null) => (at === null ? null : new Date(at).toISOString());
  return { workflowId, stepId, customers: page.customers.map((c) => ({ customerId: c.customerId, since: iso(c.since), dueAt: iso(c.dueAt), held: c.held })), next: page.next, scanned: page.scanned };
}
