/**
 * Workflow controls (pause, resume, stop) as the handlers read them: one item per workflow, through
 * a short cache, so a pause reaches every warm function within the cache's life (30 seconds: no
 * email of a paused workflow is handed to SES a minute later) without a read per input.
 */
import type { JourneyControl } from '../engine/interpreter';
import type { JourneyStore, WorkflowControl } from './store';

export interface ControlSource {
  get(workflowId: string): Promise<WorkflowControl | undefined>;
}

/** How long a control read is trusted. */
export const CONTROL_CACHE_MS = 30_000;

export class CachedControls implements ControlSource {
  private readonly cache = new Map<string, { control: WorkflowControl | undefined; until: number }>();

  constructor(
    private readonly store: Pick<JourneyStore, 'loadControl'>,
    /** Real time (not a simulated clock): the cache bounds reads, not journey time. */
    private readonly clock: () => number = Date.now,
    private readonly ttlMs = CONTROL_CACHE_MS,
  ) {}

  async get(workflowId: string): Promise<WorkflowControl | undefined> {
    const now = this.clock();
    const cached = this.cache.get(workflowId);
    if (cached && cached.until > now) return cached.control;
    const control = await this.store.loadControl(workflowId);
    this.cache.set(workflowId, { control, until: now + this.ttlMs });
    return control;
  }

  /** Forgets what was read (`waymark dev` after its own pause, resume or stop, and tests). */
  clear(): void {
    this.cache.clear();
  }
}

/** What the engine needs of a control: a stop only holds until a newer version than the stopped one is deployed. */
export function engineControl(control: WorkflowControl | undefined, latestVersion: number): JourneyControl | undefined {
  if (!control || control.status === 'active') return control?.dropHeldBefore === undefined ? undefined : { paused: false, stopped: false, dropHeldBefore: control.dropHeldBefore };
  const stopped = control.status === 'stopped' && (control.stoppedVersion === undefined || latestVersion <= control.stoppedVersion);
  return { paused: control.status === 'paused', stopped, ...(control.dropHeldBefore === undefined ? {} : { dropHeldBefore: control.dropHeldBefore }) };
}
