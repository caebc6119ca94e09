/**
 * The JSON the `waymark dev` server gives the journey map page (lib/dev/web).
 * Times are ISO 8601 strings on the dev server's (possibly accelerated) clock.
 */
import type { Experiment } from '../report/experiments';
import type { LayoutJson } from '../report/layout';
import type { DailyPoint, RevenueSummary } from '../report/trends';
import type { WorkflowMetrics } from '../runtime/journey-metrics';

export type { Experiment } from '../report/experiments';
export type { LayoutJson } from '../report/layout';
export type { DailyPoint, RevenueSummary } from '../report/trends';
export type { StageMetrics, StepMetrics, WorkflowMetrics } from '../runtime/journey-metrics';

/**
 * GET /api/overview. `mode` "dev": `waymark dev` (a clock, links, totals, activity, lifecycle
 * buttons); "table": `waymark map` on a deployed table, read-only (no links, totals or activity).
 */
export interface Overview {
  mode: 'dev' | 'table';
  /** Where the data comes from, in words: "waymark dev", "table waymark-Journeys (eu-west-1)". */
  source: string;
  clock: { now: string; speed: number; startedAt: string };
  links: {
    /** The local SES server's mail viewer. */
    mailViewer: string;
    /** The EventBridge-compatible endpoint (PutEvents), for `--endpoint-url`. */
    eventsEndpoint: string;
  } | null;
  totals: { customers: number; eventsApplied: number; emailsSent: number; rejected: number } | null;
  workflows: WorkflowView[];
  /** The latest happenings, newest first (at most 50). */
  activity: Activity[];
}

export interface WorkflowView {
  id: string;
  version: number;
  name: string;
  description: string | null;
  stages: string[];
  steps: StepView[];
  edges: EdgeView[];
  metrics: WorkflowMetrics;
  /** Every split and holdout step with its paths' rates and 95% intervals. */
  experiments: Experiment[];
  revenue: RevenueSummary;
  /** One point per UTC day with counters. */
  daily: DailyPoint[];
  /** The graph laid out by the server (lib/report/layout.ts, with the map's card sizes). */
  layout: LayoutJson;
  /** The goal's stage and what reaching it does ("exit" or a step id); null without a goal. */
  goal: { stage: string | null; then: string } | null;
  /** The journey's live control (`waymark journeys`): active, paused or stopped. */
  control: 'active' | 'paused' | 'stopped';
  /** A PutEvents entry that makes a customer enter this workflow (its entry event, a profile with an email): the "Send an event" hint. */
  entryExample: { Source: string; DetailType: string; Detail: string };
}

export interface StepView {
  id: string;
  type: 'email' | 'wait' | 'branch' | 'split' | 'holdout' | 'stage' | 'exit';
  /** The step's `name`, else its id. */
  label: string;
  /** The stage a customer is in at this step (set here, or carried from the steps before): its column. */
  stage: string | null;
  /** True when the step itself sets the stage. */
  setsStage: boolean;
  /** One line saying what the step does: 'article #intro', 'template book-a-demo', 'wait 2 days', 'wait for Email Clicked, 3 days', '50% / 50%', '5% holdout'. */
  summary: string;
  isStart: boolean;
}

export interface EdgeView {
  from: string;
  to: string;
  /** '' for a plain next; 'timeout', 'case 1', 'else', '50%', 'goal' otherwise. */
  label: string;
}

export interface Activity {
  at: string;
  /** `warning`: customer data the engine could not use as given (a bad time zone, an unusable address…), and the fallback it took. */
  kind: 'entered' | 'email' | 'stage' | 'converted' | 'finished' | 'opened' | 'clicked' | 'rejected' | 'suppressed' | 'warning' | 'lifecycle';
  customerId: string | null;
  workflowId: string | null;
  text: string;
}

/**
 * GET /api/customers?query=…&offset=…&limit=… : a page of customers. `waymark dev`: the most recent
 * (or those whose id or email contains the query), `total` of them. `waymark map`: the customer with
 * that id, or those with that email (index), and a hint when the query is empty.
 */
export interface CustomerPage {
  customers: CustomerSummaryView[];
  offset: number;
  limit: number;
  /** How many match in all; null when unknown. */
  total: number | null;
  /** Why the list is empty or short, in words ("type a customer id or an email address"). */
  hint: string | null;
}

/** GET /api/workflows/:workflowId/steps/:stepId/customers?cursor=… : the customers resting at a step, a page at a time. */
export interface StepCustomersView {
  workflowId: string;
  stepId: string;
  customers: Array<{ customerId: string; since: string | null; dueAt: string | null; held: boolean }>;
  /** Pass as `cursor` for the next page; null at the end. */
  next: string | null;
  /** Journey items read for this page. */
  scanned: number;
}

export interface CustomerSummaryView {
  customerId: string;
  email: string | null;
  journeys: Array<{ workflowId: string; status: string; stage: string | null }>;
  /** When `waymark dev` last saw them; null on a deployed table. */
  lastSeen: string | null;
}

/** GET /api/customers/:customerId (404 when unknown) */
export interface CustomerView {
  customerId: string;
  profile: Record<string, unknown>;
  suppressed: boolean;
  journeys: Array<{
    workflowId: string;
    version: number;
    status: string;
    stepId: string | null;
    stage: string | null;
    enteredAt: string;
    dueAt: string | null;
    emailsSent: number;
    opens: number;
    clicks: number;
    stages: Array<{ stage: string; at: string }>;
    /** The steps this customer passed, in order, with when. */
    path: Array<{ stepId: string; at: string }>;
  }>;
  emails: Array<{
    at: string;
    workflowId: string;
    stepId: string;
    contentId: string;
    subject: string;
    to: string;
    messageId: string | null;
    /** Opens the message: the local SES server's raw message, or this server's rendered preview. */
    previewUrl: string | null;
  }>;
}

/** GET /api/messages/:messageId : the message as the local SES server stored it (html, text, headers), for a preview. */
export interface MessageView {
  messageId: string;
  from: string;
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  headers: Array<{ name: string; value: string }>;
}
