/**
 * The forecast a person reads, from the counters and the figures the batches added up.
 */
import type { CompiledWorkflow } from '../engine/compile';
import { metricsFrom } from '../runtime/journey-metrics';
import type { CounterRow } from '../runtime/store';
import { DAY, MINUTE } from './defaults';
import type { Totals } from './batch';
import type { SimulationForecast, SimulationParameters } from './types';

export function forecastFrom(
  workflow: CompiledWorkflow,
  parameters: SimulationParameters,
  counters: readonly CounterRow[],
  totals: Totals,
): SimulationForecast {
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

  const deferrals = { window: 0, cap: 0 };
  const skipped = { contentExhausted: 0, noAddress: 0 };
  for (const row of counters) {
    if (row.name === 'email.deferred:window') deferrals.window += row.value;
    else if (row.name === 'email.deferred:cap') deferrals.cap += row.value;
    else if (row.name === 'email.skipped:no-content') skipped.contentExhausted += row.value;
    else if (row.name === 'email.skipped:no-address') skipped.noAddress += row.value;
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
    },
    deferrals,
    skipped,
    statuses: totals.statuses,
  };
}

/** Content-exhausted skips per step, from the counters (for the forecast's reader). */
export function contentExhaustedBySteps(counters: readonly CounterRow[]): Array<{ stepId: string; count: number }> {
  const bySteps = new Map<string, number>();
  for (const row of counters) if (row.name === 'email.skipped:no-content') bySteps.set(row.stepId, (bySteps.get(row.stepId) ?? 0) + row.value);
  return [...bySteps].map(([stepId, count]) => ({ stepId, count }));
}

