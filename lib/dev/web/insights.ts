// Experiments and daily trends on the map: the same figures and the same chart code as the report
// (lib/report/experiments, stats, trend-chart), built as DOM nodes.
import type { Experiment, WorkflowView } from '../api-types';
import { formatMoney, formatRatio } from '../../report/format';
import { formatPoints } from '../../report/stats';
import { trendCharts } from '../../report/trend-chart';
import { seriesTotals } from '../../report/trends';
import { fill, fmtInt, h, svgNode } from './util';

const interval = (ci: readonly [number, number] | null) => (ci ? `${formatRatio(ci[0])} – ${formatRatio(ci[1])}` : '–');

function pathName(experiment: Experiment, next: string): string {
  if (experiment.kind === 'holdout') return next === 'holdout' ? 'Held out (control)' : 'Journey';
  return `→ ${next}`;
}

function verdicts(experiment: Experiment): Array<{ kind: string; text: string }> {
  if (experiment.kind === 'holdout') {
    const lift = experiment.lift;
    return [{ kind: experiment.liftVerdict?.kind ?? 'no-data', text: lift ? `Lift ${formatPoints(lift.value)} pts (95% CI ${formatPoints(lift.ci95[0])} to ${formatPoints(lift.ci95[1])}): ${experiment.liftVerdict?.text ?? ''}` : (experiment.liftVerdict?.text ?? '') }];
  }
  return (experiment.differences ?? []).map((d) => ({ kind: d.verdict.kind, text: d.verdict.text }));
}

export function renderExperiments(box: HTMLElement, w: WorkflowView): void {
  box.hidden = w.experiments.length === 0;
  const money = w.revenue.total > 0;
  fill(box,
    h('div', { class: 'card-title-row' }, h('h2', { text: 'Experiments' }), h('span', { class: 'muted small', text: 'conversion with 95% intervals' })),
    w.experiments.map((e) => {
      const max = Math.max(0.0001, ...e.paths.map((p) => p.ci95?.[1] ?? 0));
      const pct = (n: number) => `${Math.max(0, Math.min(100, (n / max) * 100)).toFixed(2)}%`;
      return h('article', { class: 'experiment', 'data-testid': 'experiment', 'data-step-id': e.stepId, 'data-kind': e.kind },
        h('h3', {}, e.label, h('span', { class: 'muted small', text: e.kind === 'holdout' ? ' holdout' : ' split' })),
        h('table', { class: `experiment-table${money ? ' with-revenue' : ''}` },
          h('thead', {}, h('tr', {}, h('th', { text: e.kind === 'holdout' ? 'Group' : 'Path' }), h('th', { text: 'In' }), h('th', { text: 'Conv.' }), h('th', { text: 'Rate (95% CI)' }), money ? h('th', { class: 'revenue', text: 'Revenue' }) : null)),
          h('tbody', {}, e.paths.map((p) => h('tr', { 'data-path': p.next },
            h('th', { scope: 'row', title: `planned ${formatRatio(p.plannedShare)}`, text: pathName(e, p.next) }),
            h('td', { class: 'num', text: fmtInt(p.entered) }),
            h('td', { class: 'num', text: fmtInt(p.converted) }),
            h('td', { class: 'rate-ci', title: interval(p.ci95) },
              h('span', { class: 'num', text: formatRatio(p.rate) }),
              p.ci95 && p.rate !== null
                ? h('span', { class: 'ci-bar', 'aria-label': `95% interval ${interval(p.ci95)}` },
                  h('i', { class: 'ci', style: { left: pct(p.ci95[0]), width: `${Math.max(0.5, (Math.min(p.ci95[1], max) - p.ci95[0]) / max * 100).toFixed(2)}%` } }),
                  h('i', { class: 'point', style: { left: pct(p.rate) } }))
                : null),
            money ? h('td', { class: 'num', text: formatMoney(p.revenue, true) }) : null)))),
        verdicts(e).map((v) => h('p', { class: `verdict verdict-${v.kind}`, 'data-testid': 'experiment-verdict', text: v.text })));
    }));
}

export function renderTrends(box: HTMLElement, w: WorkflowView): void {
  box.hidden = w.daily.length === 0;
  const withRevenue = seriesTotals(w.daily).revenue > 0;
  fill(box,
    h('div', { class: 'card-title-row' }, h('h2', { text: 'Per day' }), h('span', { class: 'muted small', text: w.daily.length ? `${w.daily[0]!.day} – ${w.daily[w.daily.length - 1]!.day} (UTC)` : '' })),
    h('div', { class: 'trend-grid', 'data-testid': 'trends' },
      trendCharts(w.daily, withRevenue ? { width: 240, height: 92 } : { width: 240, height: 92, metrics: ['entered', 'sent', 'opened', 'clicked', 'converted'] }).map(svgNode)));
}
