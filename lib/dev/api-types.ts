/**
 * The JSON the `waymark dev` server gives the journey map page (lib/dev/web).
 * Times are ISO 8601 strings on the dev server's (possibly accelerated) clock.
 */
import type { WorkflowMetrics } from '../runtime/journey-metrics';

export type { StageMetrics, StepMetrics, WorkflowMetrics } from '../runtime/journey-metrics';

/** GET /api/overview */
export interface Overview {
  clock: { now: string; speed: number; startedAt: string };
  links: {
    /** The local SES server's mail viewer. */
    mailViewer: string;
    /** The EventBridge-compatible endpoint (PutEvents), for `--endpoint-url`. */
    eventsEndpoint: string;
  };
  totals: { customers: number; eventsApplied: number; emailsSent: number; rejected: number };
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
  kind: 'entered' | 'email' | 'stage' | 'converted' | 'finished' | 'opened' | 'clicked' | 'rejected' | 'suppressed' | 'lifecycle';
  customerId: string | null;
  workflowId: string | null;
  text: string;
}

/** GET /api/customers?query=… : the most recent customers (or those whose id or email contains the query), at most 20. */
export interface CustomerSummaryView {
  customerId: string;
  email: string | null;
  journeys: Array<{ workflowId: string; status: string; stage: string | null }>;
  lastSeen: string;
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
