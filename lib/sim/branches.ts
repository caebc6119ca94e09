/**
 * Paths through the journey's decisions: for each branch (its cases and else), split (its
 * variants) and holdout, how many customers went each way, how many emails they were sent
 * afterwards and how many of them converted. Read from the effects the interpreter produced, in
 * order: a decision's `step.entered` is followed by the `step.entered` of the step it chose (or,
 * for a holdout, by the customer's `holdout` exit).
 *
 * Two cases of a branch may lead to the same step (`trial?` sends trial customers and keen
 * clickers alike to `demo`): then the case is found by matching the cases, in order, against the
 * branch's context as it was (profile, event, journey counters), the way the interpreter did;
 * the step it led to always settles it.
 */
import type { CompiledStep, CompiledWorkflow } from '../engine/compile';
import { describePattern } from '../engine/graph';
import { unitInterval } from '../engine/hash';
import { branchContext } from '../engine/interpreter';
import type { CustomerEvent, Effect, JourneyState, Profile } from '../engine/model';

export interface DecisionOutcome {
  /** What a reader calls the path: a branch case's condition, "else", a split's weight, "held out". */
  label: string;
  /** The step it leads to (null: out of the journey). */
  next: string | null;
}

export interface DecisionPoint {
  stepId: string;
  type: 'branch' | 'split' | 'holdout';
  step: CompiledStep;
  outcomes: DecisionOutcome[];
  /** This point's first outcome in the flat tallies. */
  offset: number;
}

/** The branches, splits and holdouts of a workflow, in the order of its steps. */
export function decisionPoints(workflow: CompiledWorkflow): DecisionPoint[] {
  const points: DecisionPoint[] = [];
  let offset = 0;
  for (const [stepId, step] of workflow.steps) {
    let outcomes: DecisionOutcome[];
    let type: DecisionPoint['type'];
    if (step.type === 'branch') {
      type = 'branch';
      outcomes = [...step.step.cases.map((c) => ({ label: describePattern(c.if), next: c.next })), { label: 'else', next: step.step.else }];
    } else if (step.type === 'split') {
      type = 'split';
      outcomes = step.step.paths.map((p) => ({ label: `${formatShare(step.totalWeight > 0 ? p.weight / step.totalWeight : 0)} → ${p.next}`, next: p.next }));
    } else if (step.type === 'holdout') {
      type = 'holdout';
      outcomes = [
        { label: `held out (${step.step.percent}%)`, next: null },
        { label: 'in the journey', next: step.step.next },
      ];
    } else {
      continue;
    }
    points.push({ stepId, type, step, outcomes, offset });
    offset += outcomes.length;
  }
  return points;
}

function formatShare(share: number): string {
  const percent = share * 100;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

/** The flat tallies batches add up: per outcome (every point's outcomes one after the other). */
export interface PathTotals {
  /** Customers who took the outcome (a customer who passes a decision twice counts twice). */
  customers: Float64Array;
  /** Emails sent to them after they took it. */
  emails: Float64Array;
  /** Of them, conversions after they took it, and their value (goal.value). */
  converted: Float64Array;
  revenue: Float64Array;
}

export function emptyPathTotals(points: readonly DecisionPoint[]): PathTotals {
  const outcomes = points.reduce((sum, p) => sum + p.outcomes.length, 0);
  return { customers: new Float64Array(outcomes), emails: new Float64Array(outcomes), converted: new Float64Array(outcomes), revenue: new Float64Array(outcomes) };
}

export function addPathTotals(totals: PathTotals, part: PathTotals): void {
  for (let i = 0; i < totals.customers.length; i++) {
    totals.customers[i]! += part.customers[i]!;
    totals.emails[i]! += part.emails[i]!;
    totals.converted[i]! += part.converted[i]!;
    totals.revenue[i]! += part.revenue[i]!;
  }
}

const NONE = -1;

/** One batch's customers through the decisions: the outcome each took last at every point, and the tallies. */
export class PathTally {
  private readonly byStep = new Map<string, number>();
  /** Per customer and point: the flat index of the outcome taken last, or NONE. */
  private readonly last: Int32Array;

  constructor(
    private readonly workflow: CompiledWorkflow,
    private readonly points: readonly DecisionPoint[],
    private readonly ids: readonly string[],
    private readonly totals: PathTotals,
  ) {
    points.forEach((point, i) => this.byStep.set(point.stepId, i));
    this.last = new Int32Array(ids.length * points.length).fill(NONE);
  }

  /** Reads one applied input's effects, in order. `profile`: the customer's profile when it was decided. */
  observe(local: number, before: JourneyState | null, after: JourneyState, effects: readonly Effect[], event: CustomerEvent | undefined, profile: Profile): void {
    const count = this.points.length;
    if (count === 0) return;
    const base = local * count;
    const { last, totals } = this;
    // The journey counters as the input runs, for a branch whose cases share a step.
    const sameRun = before !== null && before.entries === after.entries;
    let stage = sameRun ? before.stage : null;
    let emailsSent = sameRun ? before.emailsSent : 0;
    let pending = NONE;
    for (let i = 0; i < effects.length; i++) {
      const effect = effects[i]!;
      if (effect.type === 'send-email') {
        for (let p = 0; p < count; p++) {
          const taken = last[base + p]!;
          if (taken !== NONE) totals.emails[taken]! += 1;
        }
        continue;
      }
      if (effect.type !== 'metric') continue;
      switch (effect.metric) {
        case 'stage.entered':
          stage = effect.stage ?? stage;
          break;
        case 'email.sent':
          emailsSent += 1;
          break;
        case 'converted':
          for (let p = 0; p < count; p++) {
            const taken = last[base + p]!;
            if (taken !== NONE) totals.converted[taken]! += 1;
          }
          break;
        case 'revenue':
          for (let p = 0; p < count; p++) {
            const taken = last[base + p]!;
            if (taken !== NONE) totals.revenue[taken]! += effect.value;
          }
          break;
        case 'holdout':
          if (pending !== NONE && this.points[pending]!.type === 'holdout') this.take(base, pending, this.points[pending]!.offset);
          pending = NONE;
          break;
        case 'step.entered': {
          const stepId = effect.stepId!;
          if (pending !== NONE) {
            const point = this.points[pending]!;
            const outcome = this.outcomeOf(point, stepId, local, () => ({ ...after, status: 'active', stage, emailsSent }), event, profile);
            if (outcome !== NONE) this.take(base, pending, point.offset + outcome);
          }
          pending = this.byStep.get(stepId) ?? NONE;
          break;
        }
      }
    }
  }

  private take(base: number, point: number, flat: number): void {
    this.last[base + point] = flat;
    this.totals.customers[flat]! += 1;
  }

  /** Which of the point's outcomes led to `target` (NONE: none did, which the interpreter never does). */
  private outcomeOf(point: DecisionPoint, target: string, local: number, stateThen: () => JourneyState, event: CustomerEvent | undefined, profile: Profile): number {
    const { outcomes } = point;
    let first = NONE;
    let leading = 0;
    for (let o = 0; o < outcomes.length; o++) {
      if (outcomes[o]!.next !== target) continue;
      if (first === NONE) first = o;
      leading += 1;
    }
    if (leading <= 1) return first;
    const step = point.step;
    if (step.type === 'branch') {
      const document = branchContext(stateThen(), profile, event);
      const matched = step.cases.findIndex((c) => c.match(document));
      const chosen = matched < 0 ? step.cases.length : matched;
      return outcomes[chosen]!.next === target ? chosen : first;
    }
    if (step.type === 'split') {
      // Two paths to one step: the one the customer's hash falls in, as the interpreter chooses.
      const at = unitInterval(`${this.workflow.id}:${point.stepId}:${this.ids[local]}`) * step.totalWeight;
      let cumulative = 0;
      for (let o = 0; o < step.step.paths.length; o++) {
        cumulative += step.step.paths[o]!.weight;
        if (at < cumulative) return outcomes[o]!.next === target ? o : first;
      }
    }
    return first;
  }
}
