/**
 * The forecast a person reads, from the counters and the figures the batches added up.
 */
import type { Workflow } from '../engine/schema';
import { metricsFrom } from '../runtime/journey-metrics';
import type { CounterRow } from '../runtime/store';
import { DAY, MINUTE } from './defaults';
import type { Plan, Totals } from './batch';
import { hasPath } from './synthetic-events';
import type { SimulationForecast } from './types';

export function forecastFrom(plan: Plan, counters: readonly CounterRow[], totals: Totals): SimulationForecast {
  const { workflow, parameters } = plan;
  const metrics = metricsFrom(workflow.definition, counters);

  const firstDay = Math.floor(Date.parse(parameters.start) / DAY);
  const firstMinute = Math.floor(Date.parse(parameters.start) / MINUTE);
  const perDay = [...totals.perDay].map((count, i) => ({ day: new Date((firstDay + i) * DAY).toISOString().slice(0, 10), count }));
  let peakDay: { day: string; count: number } | null = null;
  for (const day of perDay) if (day.count > 0 && (peakDay === null || day.count > peakDay.count)) peakDay = day;
  let peakIndex = -1;
  let peakCount = 0;
  const minutes = totals.perMinute;
  for (let i = 0; i < minutes.length; i++) {
    if (minutes[i]! > peakCount) {
      peakCount = minutes[i]!;
      peakIndex = i;
    }
  }
  const peakMinute = peakIndex < 0 ? null : { at: new Date((firstMinute + peakIndex) * MINUTE).toISOString(), count: peakCount };

  const steps: SimulationForecast['steps'] = {};
  for (const [id, step] of Object.entries(metrics.steps)) steps[id] = { reached: step.entered, sent: step.sent, opened: step.opened, clicked: step.clicked };
  const stages: SimulationForecast['stages'] = {};
  for (const [name, stage] of Object.entries(metrics.stages)) stages[name] = { reached: stage.entered, conversionToNext: stage.conversionToNext };

  const deferrals = { window: 0, cap: 0, budget: 0 };
  const skipped = { contentExhausted: 0, noAddress: 0, budget: 0 };
  for (const row of counters) {
    if (row.name === 'email.deferred:window') deferrals.window += row.value;
    else if (row.name === 'email.deferred:cap') deferrals.cap += row.value;
    else if (row.name === 'email.deferred:budget') deferrals.budget += row.value;
    else if (row.name === 'email.skipped:no-content') skipped.contentExhausted += row.value;
    else if (row.name === 'email.skipped:no-address') skipped.noAddress += row.value;
    else if (row.name === 'email.skipped:budget') skipped.budget += row.value;
  }

  return {
    emails: {
      total: totals.emails,
      perDay,
      peakDay,
      peakMinute,
      peakMinuteSendSeconds: peakCount / parameters.sesMaxSendRate,
    },
    steps,
    stages,
    conversion: {
      converted: metrics.converted,
      rate: metrics.entered > 0 ? metrics.converted / metrics.entered : 0,
      averageDaysToConvert: metrics.averageTimeToConvertMs === null ? null : metrics.averageTimeToConvertMs / DAY,
      revenue: counters.reduce((sum, row) => (row.name === 'revenue' ? sum + row.value : sum), 0),
    },
    deferrals,
    skipped,
    statuses: totals.statuses,
    paths: pathsFrom(plan, totals),
    engagement: engagementFrom(plan, totals),
    audience: plan.parameters.audience.map((group, g) => {
      const customers = totals.groups.customers[g]!;
      const converted = totals.groups.converted[g]!;
      return { name: group.name, customers, emails: totals.groups.emails[g]!, opened: totals.groups.opened[g]!, clicked: totals.groups.clicked[g]!, converted, conversionRate: customers > 0 ? converted / customers : 0, revenue: totals.groups.revenue[g]! };
    }),
    notes: notesFor(workflow.definition, plan),
  };
}

function pathsFrom(plan: Plan, totals: Totals): SimulationForecast['paths'] {
  const paths: SimulationForecast['paths'] = {};
  const { customers, emails, converted } = totals.paths;
  for (const point of plan.points) {
    let reached = 0;
    for (let o = 0; o < point.outcomes.length; o++) reached += customers[point.offset + o]!;
    paths[point.stepId] = {
      type: point.type,
      reached,
      paths: point.outcomes.map((outcome, o) => {
        const i = point.offset + o;
        const took = customers[i]!;
        return { label: outcome.label, next: outcome.next, customers: took, share: reached > 0 ? took / reached : 0, emails: emails[i]!, converted: converted[i]!, conversionRate: took > 0 ? converted[i]! / took : 0, revenue: totals.paths.revenue[i]! };
      }),
    };
  }
  return paths;
}

/** By content kind, the kinds that were sent (in the engagement table's order). */
function engagementFrom(plan: Plan, totals: Totals): SimulationForecast['engagement'] {
  const engagement: SimulationForecast['engagement'] = {};
  plan.kinds.forEach((kind, k) => {
    const sent = totals.kinds.sent[k]!;
    if (sent === 0) return;
    const opened = totals.kinds.opened[k]!;
    const clicked = totals.kinds.clicked[k]!;
    engagement[kind] = { sent, opened, clicked, openRate: opened / sent, clickRate: clicked / sent };
  });
  return engagement;
}

/** Profile attributes a branch reads that no simulated customer has: every customer then takes the path for those without it. */
function notesFor(definition: Workflow, plan: Plan): string[] {
  const notes: string[] = [];
  const audience = plan.parameters.audience;
  const generated = { ...plan.entry.profile, email: '', firstName: '', timezone: '' };
  for (const [stepId, step] of Object.entries(definition.steps)) {
    if (step.type !== 'branch') continue;
    const read = new Set<string>();
    for (const branchCase of step.cases) profilePathsOf(branchCase.if, read);
    for (const path of read) {
      const segments = path.split('.');
      if (hasPath(generated, segments) || audience.some((group) => hasPath(group.profile, segments))) continue;
      notes.push(`step "${stepId}" reads profile.${path}, which no simulated customer has: all of them take the path for customers without it. Describe your audience with "profiles" in --config, e.g. {"profiles": [{"weight": 1, "profile": {"${segments[0]}": "..."}}]}.`);
    }
  }
  return notes;
}

/** The profile attributes (dotted paths) a branch condition reads, through `$or` too. */
function profilePathsOf(condition: unknown, into: Set<string>): void {
  if (!condition || typeof condition !== 'object') return;
  const record = condition as Record<string, unknown>;
  const alternatives = record.$or;
  if (Array.isArray(alternatives)) for (const alternative of alternatives) profilePathsOf(alternative, into);
  const profile = record.profile;
  if (profile && typeof profile === 'object') collectLeaves(profile as Record<string, unknown>, [], into);
}

function collectLeaves(pattern: Record<string, unknown>, path: string[], into: Set<string>): void {
  for (const [key, value] of Object.entries(pattern)) {
    if (key === '$or' && Array.isArray(value)) {
      for (const alternative of value) if (alternative && typeof alternative === 'object') collectLeaves(alternative as Record<string, unknown>, path, into);
    } else if (Array.isArray(value)) {
      into.add([...path, key].join('.'));
    } else if (value && typeof value === 'object') {
      collectLeaves(value as Record<string, unknown>, [...path, key], into);
    }
  }
}

/** Content-exhausted skips per step, from the counters (for the forecast's reader). */
export function contentExhaustedBySteps(counters: readonly CounterRow[]): Array<{ stepId: string; count: number }> {
  const bySteps = new Map<string, number>();
  for (const row of counters) if (row.name === 'email.skipped:no-content') bySteps.set(row.stepId, (bySteps.get(row.stepId) ?? 0) + row.value);
  return [...bySteps].map(([stepId, count]) => ({ stepId, count }));
}

