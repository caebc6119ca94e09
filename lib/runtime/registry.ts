/**
 * The deployed workflows, every version, compiled once. New entries take the
 * latest version; a customer mid-journey stays on the version they entered.
 */
import { type CompiledWorkflow, compileWorkflow } from '../engine/compile';
import { type ContentCatalogue, createCatalogue } from '../engine/content';
import type { CustomerEvent, JourneyState } from '../engine/model';
import type { ContentItem, ProjectSettings, Workflow } from '../engine/schema';
import { durationMs } from '../engine/time';

export class UnknownWorkflowVersionError extends Error {
  override readonly name = 'UnknownWorkflowVersionError';
}

export class WorkflowRegistry {
  private readonly versions = new Map<string, Map<number, CompiledWorkflow>>();
  private readonly latestById = new Map<string, CompiledWorkflow>();
  readonly all: readonly CompiledWorkflow[];
  /** The send budget across workflows (workflows/settings.json), if any. */
  readonly budget: { max: number; perMs: number } | undefined;

  constructor(
    workflows: readonly Workflow[],
    readonly catalogue: ContentCatalogue,
    readonly settings: ProjectSettings = {},
  ) {
    this.budget = settings.budget ? { max: settings.budget.max, perMs: durationMs(settings.budget.per) } : undefined;
    const all: CompiledWorkflow[] = [];
    for (const definition of workflows) {
      const compiled = compileWorkflow(definition, catalogue);
      let byVersion = this.versions.get(compiled.id);
      if (!byVersion) this.versions.set(compiled.id, (byVersion = new Map()));
      byVersion.set(compiled.version, compiled);
      const latest = this.latestById.get(compiled.id);
      if (!latest || latest.version < compiled.version) this.latestById.set(compiled.id, compiled);
      all.push(compiled);
    }
    this.all = all;
  }

  /**
   * From a deployment bundle (workflows.json beside the function code), which
   * `cdk synth` validated before writing it. Only its outline is checked here,
   * so the workflow schema (zod) stays out of the Lambda bundles.
   */
  static fromBundle(bundle: { workflows: unknown[]; content: ContentItem[]; settings?: unknown }): WorkflowRegistry {
    if (!Array.isArray(bundle?.workflows) || !Array.isArray(bundle?.content)) throw new Error('the workflow bundle must have "workflows" and "content" arrays');
    return new WorkflowRegistry(bundle.workflows as Workflow[], createCatalogue(bundle.content), (bundle.settings ?? {}) as ProjectSettings);
  }

  /** From loaded workflow files (workflows, content and settings.json). */
  static fromLoaded(loaded: { workflows: readonly Workflow[]; catalogue: ContentCatalogue; settings: ProjectSettings }): WorkflowRegistry {
    return new WorkflowRegistry(loaded.workflows, loaded.catalogue, loaded.settings);
  }

  /**
   * This registry as it was before a workflow's newer versions were deployed: that workflow's versions
   * above `version` left out (scenarios that deploy a version part-way, `waymark test`).
   */
  upTo(workflowId: string, version: number): WorkflowRegistry {
    const kept = this.all.filter((c) => c.id !== workflowId || c.version <= version).map((c) => c.definition);
    return new WorkflowRegistry(kept, this.catalogue, this.settings);
  }

  latest(): CompiledWorkflow[] {
    return [...this.latestById.values()];
  }

  latestOf(workflowId: string): CompiledWorkflow | undefined {
    return this.latestById.get(workflowId);
  }

  get(workflowId: string, version: number): CompiledWorkflow | undefined {
    return this.versions.get(workflowId)?.get(version);
  }

  /**
   * The workflow a customer's input is stepped with: their own version while
   * they are in it, else the latest (a new run starts on the latest).
   */
  forState(workflowId: string, state: JourneyState | null): CompiledWorkflow {
    if (state && state.status === 'active') {
      const own = this.get(workflowId, state.version);
      if (own) return own;
      throw new UnknownWorkflowVersionError(
        `customer ${state.customerId} is on ${workflowId} version ${state.version}, which is not deployed: keep that version in workflows/archive/ until its customers have finished`,
      );
    }
    const latest = this.latestOf(workflowId);
    if (!latest) throw new UnknownWorkflowVersionError(`workflow ${workflowId} is not deployed`);
    return latest;
  }

  /** Ids of the workflows (any version) an event could concern. */
  concernedBy(event: CustomerEvent): string[] {
    const ids: string[] = [];
    for (const [id, byVersion] of this.versions) {
      for (const compiled of byVersion.values()) {
        if (compiled.concerns(event)) {
          ids.push(id);
          break;
        }
      }
    }
    return ids;
  }
}
