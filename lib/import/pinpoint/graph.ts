/**
 * The shape of a journey as a graph: where each Pinpoint activity leads, which
 * steps the start reaches, and loops that never wait (time only passes in waits).
 */
import type { Step } from '../../engine/schema';
import { successors } from '../../engine/validate';
import type { ImportedStep } from './journey';
import type { Activity } from './model';

/** The activity ids an activity leads to, in every path. */
export function activityTargets(activity: Activity | undefined): string[] {
  if (!activity) return [];
  const targets = [
    activity.EMAIL?.NextActivity,
    activity.Wait?.NextActivity,
    activity.Holdout?.NextActivity,
    activity.SMS?.NextActivity,
    activity.PUSH?.NextActivity,
    activity.CUSTOM?.NextActivity,
    activity.ContactCenter?.NextActivity,
    activity.ConditionalSplit?.TrueActivity,
    activity.ConditionalSplit?.FalseActivity,
    activity.MultiCondition?.DefaultActivity,
    ...(activity.MultiCondition?.Branches ?? []).map((b) => b.NextActivity),
    ...(activity.RandomSplit?.Branches ?? []).map((b) => b.NextActivity),
  ];
  return targets.filter((t): t is string => t !== undefined);
}

function nextSteps(step: ImportedStep): string[] {
  return successors(step as Step).map((s) => s.target);
}

export function reachableFrom(steps: Record<string, ImportedStep>, start: string): Set<string> {
  const reachable = new Set<string>();
  const queue = [start];
  while (queue.length > 0) {
    const id = queue.pop()!;
    if (reachable.has(id) || steps[id] === undefined) continue;
    reachable.add(id);
    queue.push(...nextSteps(steps[id]!));
  }
  return reachable;
}

/** The first loop (as step ids) that can be followed without passing a wait, if any. */
export function loopWithoutWait(steps: Record<string, ImportedStep>, start: string): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    const step = steps[id];
    if (step === undefined || step.type === 'wait') return undefined;
    state.set(id, 'open');
    stack.push(id);
    for (const next of nextSteps(step)) {
      if (state.get(next) === 'open') return stack.slice(stack.indexOf(next));
      if (!state.has(next)) {
        const found = visit(next);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of [start, ...Object.keys(steps)]) {
    if (!state.has(id)) {
      const found = visit(id);
      if (found) return found;
    }
  }
  return undefined;
}
