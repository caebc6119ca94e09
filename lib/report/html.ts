/**
 * The report as one self-contained HTML document: inline CSS, inline SVG, a
 * few lines of inline script for the workflow tabs (allowed by hash in the
 * page's Content-Security-Policy, which forbids every fetch). Every string
 * from workflows and counters is escaped.
 */
import { createHash } from 'node:crypto';
import type { StepMetrics } from '../runtime/journey-metrics';
import type { Report, WorkflowReport } from './build';
import type { Experiment } from './experiments';
import { daysBetween, describeChannel, escapeHtml as esc, formatCount, formatDuration, formatInstant, formatMoney, formatRate, formatRatio, formatStay } from './format';
import { formatPoints } from './stats';
import { markup } from './svg-tree';
import { trendCharts } from './trend-chart';
import { seriesTotals, UNATTRIBUTED } from './trends';
import { graphSvg, printSlices, stageHue } from './graph-svg';
import { describeSimulation, engagementOf, type ReportSource } from './sources';
import { REPORT_CSS } from './styles';

/** Graph width (px) per printed slice: about 75% scale on an A4 page. */
const PRINT_SLICE_WIDTH = 940;

const TAB_SCRIPT = `(function(){var d=document,tabs=[].slice.call(d.querySelectorAll('.tab'));if(!tabs.length)return;d.documentElement.className+=' js';function show(id){tabs.forEach(function(t){var on=t.getAttribute('aria-controls')===id;t.setAttribute('aria-selected',String(on));t.tabIndex=on?0:-1;d.getElementById(t.getAttribute('aria-controls')).setAttribute('data-active',String(on));});}tabs.forEach(function(t,i){t.addEventListener('click',function(){show(t.getAttribute('aria-controls'));});t.addEventListener('keydown',function(e){var k=e.key==='ArrowRight'?1:e.key==='ArrowLeft'?-1:0;if(!k)return;var n=tabs[(i+k+tabs.length)%tabs.length];n.focus();show(n.getAttribute('aria-controls'));});});show(tabs[0].getAttribute('aria-controls'));})();`;

const LOGO = `<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="11" fill="#14b8a6"/><path d="M6.5 15.5 L10 9 L13 13.5 L15.5 10 L18 15.5" fill="none" stroke="#fff" stroke-width="1.7" stroke-linejoin="round" stroke-linecap="round"/></svg>`;

const EMAIL_COLUMNS: Array<{ key: keyof StepMetrics; label: string }> = [
  { key: 'bounced', label: 'Bounced' },
  { key: 'complained', label: 'Complained' },
  { key: 'unsubscribed', label: 'Unsub.' },
  { key: 'failed', label: 'Failed' },
  { key: 'deferred', label: 'Deferred' },
  { key: 'skipped', label: 'Skipped' },
];

const STATUSES = [
  { key: 'active', label: 'Active (waiting now)', color: '#2563eb' },
  { key: 'converted', label: 'Converted', color: '#15803d' },
  { key: 'completed', label: 'Completed', color: '#94a3b8' },
  { key: 'exited', label: 'Exited', color: '#d97706' },
  { key: 'holdout', label: 'Held out', color: '#7c3aed' },
  { key: 'suppressed', label: 'Suppressed', color: '#be123c' },
] as const;

const pct = (part: number, whole: number) => (whole > 0 ? Math.max(0, Math.min(100, (part / whole) * 100)) : 0);
const width = (part: number, whole: number) => `${pct(part, whole).toFixed(2)}%`;

function sourceMeta(source: ReportSource): string {
  switch (source.kind) {
    case 'simulation': {
      const lines = describeSimulation(source.parameters);
      return `Simulation <code>${esc(source.file)}</code>${lines.map((l) => `<small>${esc(l)}</small>`).join('')}`;
    }
    case 'local':
      return `Local stack, table <code>${esc(source.table)}</code><small>DynamoDB Local at ${esc(source.endpoint)}</small>`;
    case 'table':
      return `Table <code>${esc(source.table)}</code><small>${source.region ? `AWS region ${esc(source.region)}` : 'AWS region from the environment'}</small>`;
  }
}

function dataRange(report: Report): { first: string | null; last: string | null } {
  const firsts = report.workflows.map((w) => w.firstDay).filter((d): d is string => d !== null).sort();
  const lasts = report.workflows.map((w) => w.lastDay).filter((d): d is string => d !== null).sort();
  return { first: firsts[0] ?? null, last: lasts[lasts.length - 1] ?? null };
}

/** The period line and its note, for the header. */
export function periodText(report: Report): { text: string; note: string } {
  const { from, to } = report.period;
  const data = dataRange(report);
  const covered = data.first && data.last ? `counters recorded ${data.first} – ${data.last}` : 'no dated counters in the period';
  if (from !== null && to !== null) return { text: `${from} – ${to} (${daysBetween(from, to)} days)`, note: `UTC days; ${covered}` };
  if (from !== null) return { text: `Since ${from}`, note: `UTC days; ${covered}` };
  if (to !== null) return { text: `Until ${to}`, note: `UTC days; ${covered}` };
  if (data.first && data.last) return { text: `${data.first} – ${data.last} (${daysBetween(data.first, data.last)} days)`, note: 'every recorded day (UTC)' };
  return { text: 'All time', note: covered };
}

function kpi(label: string, value: string, note: string, tone = ''): string {
  return `<div class="kpi${tone ? ` ${tone}` : ''}"><div class="kpi-label">${esc(label)}</div><div class="kpi-value">${esc(value)}</div><div class="kpi-note">${esc(note)}</div></div>`;
}

const STEP_METRICS = ['entered', 'waiting', 'sent', 'opened', 'clicked', 'deferred', 'skipped', 'failed', 'bounced', 'complained', 'unsubscribed', 'converted', 'dropped'] as const satisfies ReadonlyArray<keyof StepMetrics>;

/** The email steps, in definition order, and their metrics added up. */
function emailTotals(report: WorkflowReport): { emailSteps: WorkflowReport['graph']['steps']; total: StepMetrics } {
  const emailSteps = report.graph.steps.filter((s) => s.type === 'email');
  const total = Object.fromEntries(STEP_METRICS.map((key) => [key, 0])) as Record<keyof StepMetrics, number>;
  for (const step of emailSteps) {
    const m = report.metrics.steps[step.id];
    if (m) for (const key of STEP_METRICS) total[key] += m[key];
  }
  return { emailSteps, total };
}

function kpis(report: WorkflowReport): string {
  const m = report.metrics;
  const { emailSteps, total } = emailTotals(report);
  return `<div class="kpis">${[
    kpi('Entered', formatCount(m.entered), 'customers who started'),
    kpi('Converted', formatCount(m.converted), `${formatRate(m.converted, m.entered)} of entered`, m.converted > 0 ? 'good' : ''),
    kpi('Time to convert', formatDuration(m.averageTimeToConvertMs), m.converted > 0 ? 'average, entry to goal' : 'no conversion yet'),
    kpi('Emails sent', formatCount(total.sent), `from ${emailSteps.length} email step${emailSteps.length === 1 ? '' : 's'}`),
    kpi('Open rate', formatRate(total.opened, total.sent), `${formatCount(total.opened)} opened`),
    kpi('Click rate', formatRate(total.clicked, total.sent), `${formatCount(total.clicked)} clicked`),
  ].join('')}</div>`;
}

/** True at the goal's stage when reaching the goal ends the journey: nobody spends time there, leaving it is converting. */
function goalStage(report: WorkflowReport, stage: string): boolean {
  const goal = report.workflow.goal;
  return goal !== undefined && goal.stage === stage && goal.then === 'exit';
}

function funnel(report: WorkflowReport): string {
  const stages = report.graph.stages;
  const max = Math.max(1, ...stages.map((s) => report.metrics.stages[s]?.entered ?? 0));
  const rows = stages.map((stage, i) => {
    const m = report.metrics.stages[stage] ?? { entered: 0, averageTimeMs: null, conversionToNext: null };
    const hue = stageHue(i);
    const next = stages[i + 1];
    let step = '';
    if (next !== undefined) {
      const nextEntered = report.metrics.stages[next]?.entered ?? 0;
      const dropped = Math.max(0, m.entered - nextEntered);
      // At the goal's stage, when reaching the goal ends the journey, leaving is converting, not dropping off.
      const goalEndsHere = goalStage(report, stage);
      step =
        m.entered === 0
          ? `<div class="funnel-step"><span class="arrow">↓</span><span>nobody entered ${esc(stage)}</span></div>`
          : goalEndsHere
            ? `<div class="funnel-step goal-ends"><span class="arrow">✓</span><span><span class="conv">${formatCount(m.entered)} converted</span>: reaching the goal ends the journey in ${esc(stage)}</span></div>`
            : `<div class="funnel-step" data-conversion="${m.conversionToNext ?? ''}"><span class="arrow">↓</span><span><span class="conv">${formatRatio(m.conversionToNext)}</span> went on to ${esc(next)}</span>` +
            `<span class="drop-bar" aria-hidden="true"><i style="width:${width(dropped, m.entered)}"></i></span><span><span class="drop">${formatCount(dropped)} dropped off</span> (${formatRate(dropped, m.entered)})</span></div>`;
    }
    return (
      `<div class="funnel-row" data-stage="${esc(stage)}" data-entered="${m.entered}">` +
      `<div class="stage-name"><span class="stage-index" style="background:hsl(${hue} 60% 92%);color:hsl(${hue} 50% 30%)">${i + 1}</span><span>${esc(stage)}</span></div>` +
      `<div class="bar-track"><div class="bar${m.entered === 0 ? ' zero' : ''}" style="width:${width(m.entered, max)};background:hsl(${hue} 55% 52%)"></div></div>` +
      `<div class="num entered">${formatCount(m.entered)}</div>` +
      `<div class="time">${esc(goalStage(report, stage) ? 'journey ends' : formatStay(m.averageTimeMs))}</div>` +
      `</div>${step}`
    );
  });
  return (
    `<section class="panel funnel-panel"><div class="panel-head"><h3>Funnel by stage</h3><span class="hint">entered, conversion to the next stage, drop-off, average time spent in the stage</span></div>` +
    `<div class="funnel"><div class="funnel-head">Stage</div><div class="funnel-head">Customers who entered</div><div class="funnel-head num">Entered</div><div class="funnel-head num">Avg. time</div>${rows.join('')}</div></section>`
  );
}

function rateCell(part: number, whole: number, metric: string): string {
  const text = formatRate(part, whole);
  return `<td class="num rate" data-metric="${metric}"><span class="rate-cell">${text}<span class="mini-bar" aria-hidden="true"><i style="width:${width(part, whole)}"></i></span></span></td>`;
}

function countCell(value: number, metric: string, extra = ''): string {
  return `<td class="num${value === 0 ? ' zero' : ''}${extra}" data-metric="${metric}">${formatCount(value)}</td>`;
}

function emailTable(report: WorkflowReport): string {
  const { emailSteps, total } = emailTotals(report);
  const head = `<div class="panel-head"><h3>Email performance by step</h3><span class="hint">rates are of emails sent</span></div>`;
  if (emailSteps.length === 0) return `<section class="panel">${head}<p class="empty">This journey sends no email.</p></section>`;
  const row = (m: StepMetrics) =>
    countCell(m.sent, 'sent') +
    countCell(m.opened, 'opened') +
    countCell(m.clicked, 'clicked') +
    rateCell(m.opened, m.sent, 'open-rate') +
    rateCell(m.clicked, m.sent, 'click-rate') +
    EMAIL_COLUMNS.map((c, i) => countCell(m[c.key], c.key, i === 0 ? ' group-start' : '')).join('');
  const body = emailSteps
    .map((step) => {
      const m = report.metrics.steps[step.id]!;
      const id = step.label === step.id ? '' : `<code class="id">${esc(step.id)}</code><span class="sep"> · </span>`;
      return `<tr data-step-id="${esc(step.id)}"><th scope="row">${esc(step.label)}<span class="detail">${id}<span class="summary">${esc(step.summary)}</span></span></th>${row(m)}</tr>`;
    })
    .join('');
  return (
    `<section class="panel">${head}<div class="table-scroll"><table class="email-table"><thead><tr><th scope="col">Email step</th><th scope="col">Sent</th><th scope="col">Opened</th><th scope="col">Clicked</th><th scope="col">Open rate</th><th scope="col">Click rate</th>` +
    EMAIL_COLUMNS.map((c, i) => `<th scope="col"${i === 0 ? ' class="group-start"' : ''}>${c.label}</th>`).join('') +
    `</tr></thead><tbody>${body}</tbody><tfoot><tr data-step-id=""><th scope="row">All email steps</th>${row(total)}</tr></tfoot></table></div></section>`
  );
}

function conversionPanel(report: WorkflowReport): string {
  const m = report.metrics;
  const goal = report.workflow.goal;
  return (
    `<section class="panel conversion"><div class="panel-head"><h3>Time to convert</h3></div>` +
    `<div class="big-number" data-metric="time-to-convert">${esc(formatDuration(m.averageTimeToConvertMs))}</div><div class="muted">${m.converted > 0 ? 'average from entry to the goal' : 'no conversion in this period'}</div>` +
    `<dl class="facts"><dt>Conversions</dt><dd data-metric="converted">${formatCount(m.converted)}</dd><dt>Conversion rate</dt><dd data-metric="conversion-rate">${formatRate(m.converted, m.entered)}</dd><dt>Customers entered</dt><dd>${formatCount(m.entered)}</dd>` +
    (goal ? `<dt>Goal</dt><dd>${esc(report.goal?.label.replace(/^Goal: /, '') ?? '')}</dd>` : `<dt>Goal</dt><dd class="muted">none defined</dd>`) +
    `</dl></section>`
  );
}

function statusPanel(report: WorkflowReport): string {
  const m = report.metrics;
  const total = STATUSES.reduce((sum, s) => sum + m[s.key], 0);
  const stack = STATUSES.filter((s) => m[s.key] > 0)
    .map((s) => `<i style="width:${width(m[s.key], total)};background:${s.color}" title="${esc(s.label)}"></i>`)
    .join('');
  const legend = STATUSES.map(
    (s) => `<li data-status="${s.key}"><span class="swatch" style="background:${s.color}"></span><span>${esc(s.label)}</span><span class="count">${formatCount(m[s.key])}</span><span class="share">${formatRate(m[s.key], total)}</span></li>`,
  ).join('');
  return `<section class="panel"><div class="panel-head"><h3>Status totals</h3><span class="hint">where journeys stand</span></div><div class="stack" aria-hidden="true">${stack}</div><ul class="legend">${legend}</ul></section>`;
}

function channelPanel(report: WorkflowReport): string {
  const channels = Object.entries(report.metrics.channels).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const total = channels.reduce((sum, [, n]) => sum + n, 0);
  const max = Math.max(1, ...channels.map(([, n]) => n));
  const body =
    channels.length === 0
      ? `<p class="empty">No entries in this period.</p>`
      : `<div class="hbars">${channels
          .map(
            ([channel, n]) =>
              `<div data-channel="${esc(channel)}"><div class="hbar-label"><span title="${esc(describeChannel(channel).source ?? channel)}">${esc(describeChannel(channel).name)}${describeChannel(channel).source ? '<small class="muted"> source</small>' : ''}</span><span class="count">${formatCount(n)}<span class="share">${formatRate(n, total)}</span></span></div><div class="hbar"><i style="width:${width(n, max)}"></i></div></div>`,
          )
          .join('')}</div>`;
  return `<section class="panel"><div class="panel-head"><h3>Channels</h3><span class="hint">entries by channel</span></div>${body}</section>`;
}

const ci = (interval: readonly [number, number] | null) => (interval ? `${formatRatio(interval[0])} – ${formatRatio(interval[1])}` : '–');

function pathLabel(experiment: Experiment, next: string): string {
  if (experiment.kind === 'holdout') return next === 'holdout' ? 'Held out (control)' : 'Went through the journey';
  return `→ ${next}`;
}

/** One experiment: its paths with rate, interval and revenue, and the verdict in words. */
function experimentBlock(experiment: Experiment, showRevenue: boolean): string {
  const maxHi = Math.max(0.0001, ...experiment.paths.map((p) => p.ci95?.[1] ?? 0));
  const rows = experiment.paths
    .map((p) => {
      const bar = p.ci95 && p.rate !== null
        ? `<span class="ci-bar" aria-hidden="true"><i class="ci" style="left:${pct(p.ci95[0], maxHi).toFixed(2)}%;width:${(pct(p.ci95[1], maxHi) - pct(p.ci95[0], maxHi)).toFixed(2)}%"></i><i class="point" style="left:${pct(p.rate, maxHi).toFixed(2)}%"></i></span>`
        : '';
      return (
        `<tr data-path="${esc(p.next)}"><th scope="row">${esc(pathLabel(experiment, p.next))}<span class="detail">planned ${formatRatio(p.plannedShare)}</span></th>` +
        `<td class="num" data-metric="entered">${formatCount(p.entered)}</td><td class="num" data-metric="converted">${formatCount(p.converted)}</td>` +
        `<td class="num" data-metric="rate">${formatRatio(p.rate)}</td><td class="num ci-text" data-metric="ci95">${ci(p.ci95)}</td><td class="ci-cell">${bar}</td>` +
        (showRevenue ? `<td class="num" data-metric="revenue">${formatMoney(p.revenue)}</td>` : '') +
        `</tr>`
      );
    })
    .join('');
  const verdicts =
    experiment.kind === 'holdout'
      ? [{ kind: experiment.liftVerdict?.kind ?? 'no-data', text: experiment.lift ? `Lift ${formatPoints(experiment.lift.value)} points (95% CI ${formatPoints(experiment.lift.ci95[0])} to ${formatPoints(experiment.lift.ci95[1])}): ${experiment.liftVerdict?.text ?? ''}` : (experiment.liftVerdict?.text ?? '') }]
      : (experiment.differences ?? []).map((d) => ({ kind: d.verdict.kind, text: d.verdict.text }));
  return (
    `<div class="experiment" data-step-id="${esc(experiment.stepId)}" data-kind="${experiment.kind}">` +
    `<div class="experiment-head"><strong>${esc(experiment.label)}</strong> <span class="muted">${experiment.kind === 'holdout' ? 'holdout: does the journey beat doing nothing?' : 'split: which path converts better?'}</span></div>` +
    `<div class="table-scroll"><table class="experiment-table"><thead><tr><th scope="col">${experiment.kind === 'holdout' ? 'Group' : 'Path'}</th><th scope="col">Entered</th><th scope="col">Converted</th><th scope="col">Rate</th><th scope="col">95% interval</th><th scope="col"><span class="visually-hidden">Interval</span></th>${showRevenue ? '<th scope="col">Revenue</th>' : ''}</tr></thead><tbody>${rows}</tbody></table></div>` +
    verdicts.map((v) => `<p class="verdict verdict-${v.kind}" data-verdict="${v.kind}">${esc(v.text)}</p>`).join('') +
    (experiment.truncated ? `<p class="muted small">Some conversions in this period belong to customers assigned before it: read the experiment over its whole run.</p>` : '') +
    `</div>`
  );
}

function experimentsPanel(report: WorkflowReport): string {
  if (report.experiments.length === 0) return '';
  const showRevenue = report.revenue.total > 0;
  return (
    `<section class="panel experiments" data-panel="experiments"><div class="panel-head"><h3>Experiments</h3><span class="hint">conversion by path with 95% Wilson intervals; differences with Newcombe's interval</span></div>` +
    report.experiments.map((e) => experimentBlock(e, showRevenue)).join('') +
    `</section>`
  );
}

function revenuePanel(report: WorkflowReport): string {
  const r = report.revenue;
  if (r.total === 0 && r.converted === 0) return '';
  const labelOf = (stepId: string) => (stepId === UNATTRIBUTED ? 'No email in the attribution window' : (report.graph.steps.find((s) => s.id === stepId)?.label ?? stepId));
  const rows = r.steps
    .map((s) => `<tr data-step-id="${esc(s.stepId)}"><th scope="row">${esc(labelOf(s.stepId))}</th><td class="num">${formatCount(s.converted)}</td><td class="num">${formatMoney(s.revenue)}</td><td class="num">${s.converted > 0 ? formatMoney(s.revenue / s.converted) : '–'}</td><td class="num">${formatRate(s.revenue, r.total)}</td></tr>`)
    .join('');
  return (
    `<section class="panel revenue" data-panel="revenue"><div class="panel-head"><h3>Conversions and revenue by email</h3><span class="hint">credited to the last email sent before the goal, within the attribution window</span></div>` +
    `<dl class="facts inline"><dt>Revenue</dt><dd data-metric="revenue">${formatMoney(r.total)}</dd><dt>Conversions</dt><dd>${formatCount(r.converted)}</dd><dt>Per conversion</dt><dd>${r.perConversion === null ? '–' : formatMoney(r.perConversion)}</dd></dl>` +
    `<div class="table-scroll"><table class="revenue-table"><thead><tr><th scope="col">Credited email</th><th scope="col">Conversions</th><th scope="col">Revenue</th><th scope="col">Per conversion</th><th scope="col">Share</th></tr></thead><tbody>${rows}</tbody></table></div></section>`
  );
}

function trendsPanel(report: WorkflowReport): string {
  if (report.daily.length === 0) return '';
  const totals = seriesTotals(report.daily);
  const metrics = totals.revenue > 0 ? undefined : (['entered', 'sent', 'opened', 'clicked', 'converted'] as const);
  return (
    `<section class="panel trends" data-panel="trends"><div class="panel-head"><h3>Per day</h3><span class="hint">${report.daily.length} UTC days, ${esc(report.daily[0]!.day)} – ${esc(report.daily[report.daily.length - 1]!.day)}; each chart on its own scale</span></div>` +
    `<div class="trend-grid">${trendCharts(report.daily, metrics ? { metrics } : {}).map(markup).join('')}</div></section>`
  );
}

function graphPanel(report: WorkflowReport, prefix: string): string {
  const svg = graphSvg({ prefix, title: report.workflow.name, graph: report.graph, layout: report.layout, metrics: report.metrics, goal: report.goal });
  return (
    `<section class="panel graph"><div class="panel-head"><h3>Journey map</h3><span class="hint">one column per stage; counts for the period${report.layout.width > 1100 ? '<span class="screen-only">; scroll sideways to follow it</span>' : ''}</span></div>` +
    `<div class="graph-scroll">${svg}</div><div class="graph-print">${printSlices({ prefix, layout: report.layout, maxWidth: PRINT_SLICE_WIDTH })}</div>` +
    `<div class="graph-legend"><span><i class="line"></i>next</span><span><i class="line event"></i>event arrived</span><span><i class="line timeout"></i>timeout</span>${report.goal ? '<span><i class="line goal"></i>goal reached</span>' : ''}</div></section>`
  );
}

/** What a simulation assumed: engagement by content kind, conversion, awaited events. */
function assumptionsPanel(source: ReportSource): string {
  if (source.kind !== 'simulation' || !source.parameters) return '';
  const p = source.parameters;
  const engagement = engagementOf(p);
  const facts: string[] = [];
  if (typeof p.conversionPerClick === 'number') facts.push(`<dt>Conversion per click</dt><dd>${formatRatio(p.conversionPerClick)}</dd>`);
  if (typeof p.baseConversion === 'number') facts.push(`<dt>Base conversion in the period</dt><dd>${formatRatio(p.baseConversion)}</dd>`);
  for (const [type, probability] of Object.entries(p.waitedEvents ?? {})) {
    if (typeof probability === 'number') facts.push(`<dt>${esc(type)} before the timeout</dt><dd>${formatRatio(probability)}</dd>`);
  }
  const rows = engagement.map((e) => `<li><span>${esc(e.kind)}</span><span class="num">${formatRatio(e.open)} open · ${formatRatio(e.click)} click</span></li>`).join('');
  if (facts.length === 0 && rows === '') return '';
  return (
    `<section class="panel assumptions"><div class="panel-head"><h3>Simulation assumptions</h3><span class="hint">the forecast is only as good as these</span></div><div class="assumptions-grid">` +
    `<dl class="facts">${facts.join('') || '<dt>Conversion</dt><dd class="muted">not given</dd>'}</dl>` +
    (rows ? `<div><div class="kinds-title">Engagement by content kind (of recipients)</div><ul class="kinds">${rows}</ul></div>` : '') +
    `</div></section>`
  );
}

function workflowSection(report: WorkflowReport, index: number, all: readonly WorkflowReport[]): string {
  const w = report.workflow;
  const days = report.firstDay && report.lastDay ? `${report.firstDay} – ${report.lastDay}` : 'no dated counters';
  return (
    `<section class="workflow" id="wf-${index}" data-workflow-id="${esc(w.id)}" data-active="true"${all.length > 1 ? ` role="tabpanel" aria-labelledby="tab-${index}"` : ''}>` +
    `<div class="workflow-head"><div><h2>${esc(w.name)}</h2><div class="sub"><code>${esc(w.id)}</code> · version ${w.version} · ${report.graph.steps.length} steps · stages ${esc(report.graph.stages.join(' → '))}</div></div><div class="days">${esc(days)}</div></div>` +
    (w.description ? `<p class="description">${esc(w.description)}</p>` : '') +
    kpis(report) +
    funnel(report) +
    trendsPanel(report) +
    experimentsPanel(report) +
    emailTable(report) +
    revenuePanel(report) +
    `<div class="grid-3">${conversionPanel(report)}${statusPanel(report)}${channelPanel(report)}</div>` +
    graphPanel(report, `wf${index}`) +
    `</section>`
  );
}

/** The whole report as one HTML document. */
export function renderReportHtml(report: Report): string {
  const period = periodText(report);
  const many = report.workflows.length > 1;
  const title = many ? `${report.workflows.length} journeys` : (report.workflows[0]?.workflow.name ?? 'Journey report');
  const lede = many ? report.workflows.map((w) => w.workflow.name).join(' · ') : `Customer-journey analytics for ${report.workflows[0]?.workflow.id ?? ''}`;
  const tabs = many
    ? `<nav class="tabs" aria-label="Journeys"><div class="wrap" role="tablist">${report.workflows
        .map((w, i) => `<button class="tab" type="button" role="tab" id="tab-${i}" aria-controls="wf-${i}" aria-selected="${i === 0}">${esc(w.workflow.name)}<span class="count">${formatCount(w.metrics.entered)}</span></button>`)
        .join('')}</div></nav>`
    : '';
  const scriptHash = createHash('sha256').update(TAB_SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${scriptHash}'; img-src data:; base-uri 'none'; form-action 'none'`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(csp)}">
<meta name="generator" content="waymark report">
<title>${esc(`Waymark report · ${title}`)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header class="report-header"><div class="wrap">
<div class="brand">${LOGO}<span>Waymark · Journey report</span></div>
<h1>${esc(title)}</h1>
<p class="lede">${esc(lede)}</p>
<dl class="meta">
<div><dt>Source</dt><dd>${sourceMeta(report.source)}</dd></div>
<div><dt>Period</dt><dd>${esc(period.text)}<small>${esc(period.note)}</small></dd></div>
<div><dt>Generated</dt><dd>${esc(formatInstant(report.generatedAt))}<small>by waymark report</small></dd></div>
</dl>
</div></header>
${tabs}
<main><div class="wrap">
${report.workflows.map(workflowSection).join('\n')}
${assumptionsPanel(report.source)}
</div></main>
<footer><div class="wrap">Counters are UTC-day totals of the Waymark counter rows; “waiting now” is the gauge at the time the counters were read. Rates are of emails sent; stage conversion is entered(next stage) ÷ entered(stage).</div></footer>
${many ? `<script>${TAB_SCRIPT}</script>` : ''}
</body>
</html>
`;
}
