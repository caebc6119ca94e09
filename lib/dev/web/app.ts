// Waymark journey map: polls GET /api/overview every 2 s and renders the header, the
// workflow tabs, the stage funnel, the ELK graph (graph.js), the customer lookup
// (customers.js) and the activity feed. Every string goes into the DOM as text.

import type { Activity, Overview, WorkflowView } from '../api-types';
import { describeChannel, formatMoney, formatStay } from '../../report/format';
import { CustomerLookup } from './customers';
import { renderExperiments, renderTrends } from './insights';
import { JourneyGraph } from './graph';
import { StepCustomers } from './step-customers';
import {
  $, h, fill, setText, fmtInt, fmtPct, fmtDuration, fmtDateTime, fmtSpeed, fmtShort, fmtAgo, safeUrl, getJSON,
  stageHue, STATUS_COLORS, type Child,
} from './util';

const POLL_MS = 2000;
const emptyHint = (): Child[] => {
  // A deployed table is read, not fed: there is no event to send from here (and no hint bar below).
  if (state.overview?.mode === 'table') return ['No customers in this journey yet: nobody has entered it on this table'];
  const type = state.overview?.workflows.find((w) => w.id === state.workflowId)?.entryExample?.DetailType;
  return type
    ? ['No customers yet: send a ', h('code', { text: type }), ' event (below), or run ', h('code', { text: 'npm start' }), ' for the demo']
    : ['No customers yet: send an event, or run ', h('code', { text: 'npm start' }), ' for the demo'];
};

interface MapState {
  overview: Overview | null;
  workflowId: string | null;
  /** null: never connected yet */
  connected: boolean | null;
  lastOkAt: number | null;
  /** The server's clock at the last poll, and performance.now() then. */
  clock: { now: number; speed: number; at: number } | null;
  signatures: Record<string, string>;
}

const state: MapState = {
  overview: null,
  workflowId: null,
  connected: null,
  lastOkAt: null,
  clock: null,
  signatures: {},
};

const stepCustomers = new StepCustomers({ open: (customerId) => customers.open(customerId), stepLabel: (workflowId, stepId) => state.overview?.workflows.find((w) => w.id === workflowId)?.steps.find((st) => st.id === stepId)?.label ?? stepId });
const graph = new JourneyGraph($('graph'), { onStepClick: (stepId) => state.workflowId && stepCustomers.show(state.workflowId, stepId) });
const customers = new CustomerLookup({
  getOverview: () => state.overview,
  devNow: () => devNow(),
  showJourney: async (workflowId, stepId) => {
    selectWorkflow(workflowId);
    await graph.ready;
    if (stepId) graph.focusStep(stepId);
  },
  onHighlight: (journey) => graph.highlight(journey),
});

// ---- routing (the selected workflow lives in the URL hash) ---------------------------------

function readHash(): { workflow: string | null; customer: string | null } {
  const params = new URLSearchParams(location.hash.slice(1));
  return { workflow: params.get('workflow'), customer: params.get('customer') };
}

export function writeHash(changes: Record<string, string | null>): void {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [key, value] of Object.entries(changes)) {
    if (value) params.set(key, value);
    else params.delete(key);
  }
  const text = params.toString();
  history.replaceState(null, '', text ? `#${text}` : location.pathname + location.search);
}
customers.writeHash = writeHash;

function selectWorkflow(id: string): void {
  if (!state.overview?.workflows.some((w) => w.id === id)) return;
  state.workflowId = id;
  writeHash({ workflow: id });
  state.signatures = {};
  render();
}

// ---- the dev clock: interpolated between polls ---------------------------------------------

function devNow(): number {
  const c = state.clock;
  if (!c) return Date.now();
  const elapsed = Math.min(performance.now() - c.at, 5000); // never run far ahead of the server
  return c.now + (state.connected === false ? 0 : elapsed * c.speed);
}

function tickClock() {
  if (!state.clock) return;
  setText($('clock-now'), fmtDateTime(devNow()));
}
setInterval(tickClock, 250);

// ---- polling -----------------------------------------------------------------------------------

async function poll() {
  try {
    const overview = await getJSON<Overview>('/api/overview');
    if (!overview || !Array.isArray(overview.workflows)) throw new Error('unexpected /api/overview answer');
    state.overview = overview;
    document.body.classList.toggle('read-only', overview.mode === 'table');
    const now = Date.parse(overview.clock?.now);
    if (Number.isFinite(now)) state.clock = { now, speed: Number(overview.clock.speed) || 0, at: performance.now() };
    state.lastOkAt = Date.now();
    setConnected(true);
    render();
    customers.refresh();
  } catch {
    setConnected(false);
  } finally {
    setTimeout(poll, POLL_MS);
  }
}

function setConnected(ok: boolean): void {
  const was = state.connected;
  state.connected = ok;
  const banner = $('banner');
  document.body.classList.toggle('offline', !ok);
  if (ok) {
    banner.hidden = true;
    return;
  }
  banner.hidden = false;
  if (was === null && !state.overview) {
    fill(banner, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Connecting to the map server…');
  } else {
    fill(banner, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Reconnecting… the map server is not answering',
      state.lastOkAt ? ` (showing data from ${new Date(state.lastOkAt).toLocaleTimeString()})` : '');
  }
}

// ---- rendering ---------------------------------------------------------------------------------

/** Runs fn only when sig changed since the last time for this key. */
function changed(key: string, value: unknown): boolean {
  const sig = JSON.stringify(value);
  if (state.signatures[key] === sig) return false;
  state.signatures[key] = sig;
  return true;
}

function render(): void {
  const ov = state.overview;
  if (!ov) return;
  renderHeader(ov);
  const workflows = ov.workflows;
  if (!workflows.some((w) => w.id === state.workflowId)) {
    const wanted = readHash().workflow;
    state.workflowId = (workflows.find((w) => w.id === wanted) ?? workflows[0])?.id ?? null;
  }
  renderTabs(workflows);
  const workflow = workflows.find((w) => w.id === state.workflowId) ?? null;
  document.body.classList.toggle('no-workflows', !workflow);
  if (!workflow) {
    if (changed('wf-head', 'none')) {
      fill($('wf-head'), h('div', { class: 'empty big' },
        h('strong', { text: 'No workflows loaded.' }),
        ' Put workflow files in ', h('code', { text: 'workflows/' }), ' and restart ', h('code', { text: 'waymark dev' }), '.'));
      fill($('funnel'));
      fill($('channels'));
    }
  } else {
    renderWorkflowHead(workflow);
    renderFunnel(workflow);
    renderChannels(workflow);
    renderLifecycle(ov, workflow);
    if (changed('insights', [workflow.id, workflow.experiments, workflow.revenue, workflow.daily])) {
      renderExperiments($('experiments'), workflow);
      renderTrends($('trends'), workflow);
    }
    void graph.show(workflow);
    $('graph').classList.toggle('is-empty', !(workflow.metrics?.entered > 0));
  }
  renderHint(ov, workflow);
  if (changed('empty-note', [ov.mode, workflow?.entryExample?.DetailType ?? null])) fill(emptyNote, ...emptyHint());
  renderActivity(ov);
}

function renderHeader(ov: Overview): void {
  setText($('source'), ov.source);
  const clockLabel = document.querySelector('.clock-label');
  if (clockLabel) setText(clockLabel, ov.mode === 'table' ? 'Now' : 'Dev clock');
  setText($('clock-speed'), ov.mode === 'table' ? 'real time' : fmtSpeed(ov.clock?.speed));
  $('clock-speed').title = ov.clock?.startedAt ? `Dev clock started ${fmtDateTime(ov.clock.startedAt)}` : '';
  tickClock();
  const totals = ov.totals;
  if (changed('totals', totals)) {
    const item = (label: string, value: number, cls = '') => h('div', { class: `total ${cls}` },
      h('dt', { text: label }), h('dd', { text: fmtInt(value) }));
    fill($('totals'), totals
      ? [item('customers', totals.customers),
        item('events applied', totals.eventsApplied),
        item('emails sent', totals.emailsSent),
        item('rejected', totals.rejected, totals.rejected > 0 ? 'warn' : '')]
      : null);
  }
  const links = ov.links;
  if (changed('links', links)) {
    const mail = safeUrl(links?.mailViewer);
    const mailLink = $<HTMLAnchorElement>('mail-link');
    mailLink.hidden = !links;
    if (mail) mailLink.href = mail;
    else mailLink.removeAttribute('href');
    mailLink.classList.toggle('disabled', !mail);
    const endpoint = typeof links?.eventsEndpoint === 'string' ? links.eventsEndpoint : '';
    const events = $<HTMLAnchorElement>('events-link');
    setText(events, endpoint || 'not available');
    const eventsHref = safeUrl(endpoint);
    if (eventsHref) events.href = eventsHref;
    else events.removeAttribute('href');
  }
}

// "Send an event": an entry event of the journey on display (from the server, which reads its entry pattern).
function renderHint(ov: Overview, workflow: WorkflowView | null): void {
  $('hintbar').hidden = ov.mode === 'table';
  const endpoint = typeof ov.links?.eventsEndpoint === 'string' ? ov.links.eventsEndpoint : '';
  const example = workflow?.entryExample;
  if (!changed('hint', [endpoint, example])) return;
  const entries = JSON.stringify([example ?? { Source: 'my.app', DetailType: 'my.event', Detail: JSON.stringify({ customerId: 'c-1', profile: { email: 'c1@example.com' } }) }]).replaceAll("'", "'\\''");
  setText($('cli-hint'), `aws events put-events --endpoint-url ${endpoint || '<eventsEndpoint>'} --region us-east-1 --entries '${entries}'`);
}

function renderTabs(workflows: WorkflowView[]): void {
  const tabs = $('tabs');
  tabs.hidden = workflows.length < 2;
  const structure = workflows.map((w) => [w.id, w.name]);
  if (changed('tabs', [structure, state.workflowId])) {
    fill(tabs, workflows.map((w) => h('button', {
      type: 'button',
      role: 'tab',
      class: 'tab',
      id: `tab-${w.id}`,
      'aria-selected': String(w.id === state.workflowId),
      tabindex: w.id === state.workflowId ? '0' : '-1',
      'data-testid': 'workflow-tab',
      'data-workflow-id': w.id,
      onclick: () => selectWorkflow(w.id),
      onkeydown: (event: KeyboardEvent) => {
        const i = workflows.findIndex((x) => x.id === w.id);
        const j = event.key === 'ArrowRight' ? i + 1 : event.key === 'ArrowLeft' ? i - 1 : null;
        if (j === null) return;
        const target = workflows[(j + workflows.length) % workflows.length]!;
        selectWorkflow(target.id);
        document.getElementById(`tab-${target.id}`)?.focus();
      },
    }, h('span', { class: 'tab-name', text: w.name || w.id }), h('span', { class: 'tab-count', 'data-role': 'count' }))));
  }
  for (const btn of tabs.querySelectorAll<HTMLElement>('[data-workflow-id]')) {
    const w = workflows.find((x) => x.id === btn.dataset.workflowId);
    const active = w?.metrics?.active ?? 0;
    const count = btn.querySelector('[data-role=count]');
    if (count) setText(count, `${fmtInt(active)} active`);
  }
}

const STATUSES = ['active', 'converted', 'completed', 'exited', 'holdout', 'suppressed'] as const;
const STATUS_HELP: Record<(typeof STATUSES)[number], string> = {
  active: 'in the journey now',
  converted: 'reached the goal',
  completed: 'reached the end of the journey',
  exited: 'left on an exit event or an exit step',
  holdout: 'held out to measure lift (no emails)',
  suppressed: 'stopped: bounced, complained or unsubscribed',
};

function renderWorkflowHead(w: WorkflowView): void {
  const m = w.metrics;
  const hasTimeToConvert = 'averageTimeToConvertMs' in m;
  const data = [w.id, w.name, w.version, w.description, STATUSES.map((k) => m[k]), m.entered, m.averageTimeToConvertMs];
  if (!changed('wf-head', data)) return;
  const total = m.entered ?? 0;
  const bar = h('div', { class: 'status-bar', 'aria-hidden': 'true' },
    STATUSES.map((k) => (m[k] > 0 ? h('span', { style: { flexGrow: String(m[k]), background: STATUS_COLORS[k] ?? '#64748b' }, title: `${k}: ${fmtInt(m[k])}` }) : null)));
  fill($('wf-head'),
    h('div', { class: 'wf-title' },
      h('h2', {}, w.name || w.id, h('span', { class: 'wf-version', text: `v${w.version}` }), w.control !== 'active' ? h('span', { class: `control-pill control-${w.control}`, 'data-testid': 'workflow-control', text: w.control }) : null),
      w.description ? h('p', { class: 'wf-description', text: w.description, title: w.description }) : null),
    h('div', { class: 'statuses' },
      w.revenue.total > 0 ? h('div', { class: 'status status-revenue', title: 'the goal value summed over conversions (goal.value)' },
        h('span', { class: 'status-value', 'data-testid': 'workflow-revenue', text: formatMoney(w.revenue.total, true) }),
        h('span', { class: 'status-label', text: 'revenue' }),
        h('span', { class: 'status-pct', text: w.revenue.perConversion === null ? '' : `${formatMoney(w.revenue.perConversion, true)} each` })) : null,
      h('div', { class: 'status status-entered', title: 'customers who entered this journey' },
        h('span', { class: 'status-value', 'data-testid': 'workflow-entered', text: fmtInt(total) }),
        h('span', { class: 'status-label', text: 'entered' })),
      STATUSES.map((k) => h('div', { class: `status status-${k}`, title: `${k}: ${STATUS_HELP[k]}`, 'data-testid': `status-${k}` },
        h('span', { class: 'status-value' }, h('i', { class: 'dot', style: { background: STATUS_COLORS[k] ?? '#64748b' } }), fmtInt(m[k] ?? 0)),
        h('span', { class: 'status-label', text: k }),
        h('span', { class: 'status-pct', text: total > 0 ? fmtPct((m[k] ?? 0) / total) : '' }))),
      hasTimeToConvert ? h('div', { class: 'status status-time', title: 'mean time from entering to converting' },
        h('span', { class: 'status-value', text: m.averageTimeToConvertMs === null ? '–' : fmtDuration(m.averageTimeToConvertMs) }),
        h('span', { class: 'status-label', text: 'to convert' }),
        h('span', { class: 'status-pct', text: 'on average' })) : null,
      bar));
  $('wf-head').querySelector<HTMLElement>('.statuses')?.style.setProperty('--cols', String(STATUSES.length + 1 + (hasTimeToConvert ? 1 : 0) + (w.revenue.total > 0 ? 1 : 0)));
}

function renderFunnel(w: WorkflowView): void {
  const m = w.metrics;
  const stages = w.stages ?? [];
  const data = [w.id, stages, stages.map((st) => m.stages?.[st])];
  if (!changed('funnel', data)) return;
  const maxEntered = Math.max(1, ...stages.map((st) => m.stages?.[st]?.entered ?? 0));
  fill($('funnel'), stages.length === 0
    ? h('div', { class: 'empty', text: 'This workflow has no stages.' })
    : stages.map((stage, i) => {
      const sm = m.stages?.[stage] ?? { entered: 0, averageTimeMs: null, conversionToNext: null };
      const hue = stageHue(i);
      const isLast = i === stages.length - 1;
      return h('button', {
        type: 'button',
        class: 'stage-col',
        'data-testid': 'stage-column',
        'data-stage': stage,
        style: { '--hue': String(hue) },
        title: `Show the ${stage} column in the graph`,
        onclick: () => void graph.focusStage(stage),
      },
      h('span', { class: 'stage-name' }, h('span', { class: 'stage-index', text: String(i + 1) }), h('span', { class: 'stage-label', text: stage })),
      h('span', { class: 'stage-entered' }, h('b', { 'data-testid': 'stage-entered', text: fmtInt(sm.entered) }), ' entered'),
      h('span', { class: 'stage-bar', 'aria-hidden': 'true' }, h('span', { style: { width: `${(100 * (sm.entered ?? 0)) / maxEntered}%` } })),
      h('span', { class: 'stage-time', 'data-testid': 'stage-time', title: 'mean time spent in this stage by those who left it' },
        goalEnds(w, stage) ? h('span', { class: 'muted', text: 'the goal ends the journey' })
          : sm.averageTimeMs === null || sm.averageTimeMs === undefined ? h('span', { class: 'muted', text: 'nobody left yet' }) : ['avg ', h('b', { text: formatStay(sm.averageTimeMs) })]),
      isLast ? null : h('span', {
        class: `stage-conv${sm.conversionToNext === null || sm.conversionToNext === undefined ? ' none' : ''}`,
        'data-testid': 'stage-conversion',
        title: sm.conversionToNext === null || sm.conversionToNext === undefined
          ? `Nobody entered ${stage} yet`
          : `${fmtPct(sm.conversionToNext)} of those who entered ${stage} went on to ${stages[i + 1]}`,
      }, h('span', { class: 'conv-value', text: fmtPct(sm.conversionToNext) }), h('span', { class: 'arrow', 'aria-hidden': 'true', text: '→' })));
    }));
}

/** At the goal's stage, when reaching the goal ends the journey, nobody spends time there: no "avg 0 s". */
function goalEnds(w: WorkflowView, stage: string): boolean {
  return w.goal?.stage === stage && w.goal.then === 'exit';
}

function renderChannels(w: WorkflowView): void {
  const channels = Object.entries(w.metrics?.channels ?? {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
  if (!changed('channels', [w.id, channels])) return;
  const max = Math.max(1, ...channels.map(([, n]) => n));
  const total = channels.reduce((a, [, n]) => a + n, 0);
  const shown = channels.slice(0, 5);
  const rest = channels.slice(5).reduce((a, [, n]) => a + n, 0);
  fill($('channels'),
    h('div', { class: 'card-title-row' }, h('h2', { text: 'Came from' }), h('span', { class: 'muted small channels-wf', text: w.name || w.id })),
    channels.length === 0
      ? h('p', { class: 'empty small', text: 'No entries yet.' })
      : h('ul', { class: 'bars' },
        shown.map(([name, n]) => h('li', { title: `${describeChannel(name).source ? `source ${name}` : name}: ${fmtInt(n)} (${fmtPct(n / total)})`, 'data-testid': 'channel', 'data-channel': name },
          h('span', { class: 'bar-name', text: describeChannel(name).name }),
          h('span', { class: 'bar-track' }, h('span', { class: 'bar-fill', style: { width: `${(100 * n) / max}%` } })),
          h('span', { class: 'bar-value', text: fmtInt(n) }))),
        rest > 0 ? h('li', { class: 'muted' }, h('span', { class: 'bar-name', text: `${channels.length - 5} more` }), h('span'), h('span', { class: 'bar-value', text: fmtInt(rest) })) : null));
}

const KIND_LABELS: Record<Activity['kind'], string> = {
  entered: 'entered', email: 'email', stage: 'stage', converted: 'converted', finished: 'finished',
  opened: 'opened', clicked: 'clicked', rejected: 'rejected', suppressed: 'suppressed', warning: 'data warning', lifecycle: 'journey',
};

function renderActivity(ov: Overview): void {
  // A deployed table keeps where customers are, not what happened to them: there is no feed to show.
  if (ov.mode === 'table') {
    if (changed('activity', 'read-only')) {
      fill($('activity'), h('li', { class: 'empty', 'data-testid': 'activity-read-only' },
        'The live activity feed is only in ', h('code', { text: 'waymark dev' }),
        ': a deployed table keeps where customers are, not what happened to them. Click a step, or look a customer up, to see who is where.'));
    }
    return;
  }
  const list = Array.isArray(ov.activity) ? ov.activity : [];
  const names = new Map(ov.workflows.map((w) => [w.id, w.name || w.id]));
  // relative times move with the clock, so re-render when the minute changes too
  if (!changed('activity', [list, Math.floor(devNow() / 60000)])) return;
  const now = devNow();
  const sorted = [...list].sort((a, b) => (Date.parse(b.at) || 0) - (Date.parse(a.at) || 0));
  fill($('activity'), sorted.length === 0
    ? h('li', { class: 'empty' }, 'Nothing has happened yet. ', ...emptyHint(), '.')
    : sorted.map((a) => h('li', { class: `feed-item kind-${KIND_LABELS[a.kind] ? a.kind : 'other'}`, 'data-testid': 'activity-item' },
      h('span', { class: 'feed-dot', 'aria-hidden': 'true' }),
      h('div', { class: 'feed-body' },
        h('div', { class: 'feed-text', text: a.text }),
        h('div', { class: 'feed-meta' },
          h('time', { datetime: a.at, title: fmtDateTime(a.at), text: fmtAgo(a.at, now) || fmtShort(a.at) }),
          h('span', { class: `feed-kind`, text: KIND_LABELS[a.kind] ?? String(a.kind) }),
          a.workflowId && ov.workflows.length > 1 ? h('span', { class: 'feed-wf', text: names.get(a.workflowId) ?? a.workflowId }) : null,
          a.customerId ? h('button', {
            type: 'button', class: 'link feed-customer', text: a.customerId,
            title: `Open customer ${a.customerId}`, onclick: () => customers.open(a.customerId ?? ''),
          }) : null)))));
}

// ---- wiring ------------------------------------------------------------------------------------

// Pause, resume and stop (waymark dev only: `waymark map` is read-only).
function renderLifecycle(ov: Overview, w: WorkflowView): void {
  if (!changed('lifecycle', [ov.mode, w.id, w.control])) return;
  const box = $('lifecycle');
  if (ov.mode !== 'dev') {
    fill(box);
    return;
  }
  const action = (name: 'pause' | 'resume' | 'stop', label: string, enabled: boolean) => h('button', {
    type: 'button', class: 'small-button', 'data-testid': `lifecycle-${name}`, disabled: !enabled,
    title: `${label} ${w.name} (waymark journeys ${name})`,
    onclick: async (event: MouseEvent) => {
      const button = event.currentTarget as HTMLButtonElement;
      if (name === 'stop' && !confirm(`Stop ${w.name}? Every active customer exits.`)) return;
      button.disabled = true;
      try {
        await fetch(`/api/journeys/${encodeURIComponent(w.id)}/${name}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      } finally {
        state.signatures.lifecycle = '';
      }
    },
  }, label);
  fill(box,
    action('pause', 'Pause', w.control === 'active'),
    action('resume', 'Resume', w.control === 'paused'),
    action('stop', 'Stop', w.control !== 'stopped'));
}

$('copy-cli').addEventListener('click', async () => {
  const text = $('cli-hint').textContent ?? '';
  try {
    await navigator.clipboard.writeText(text);
    setText($('copy-cli'), 'Copied');
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('cli-hint'));
    getSelection()?.removeAllRanges();
    getSelection()?.addRange(range);
    setText($('copy-cli'), 'Selected');
  }
  setTimeout(() => setText($('copy-cli'), 'Copy'), 1500);
});

window.addEventListener('hashchange', () => {
  const { workflow, customer } = readHash();
  if (workflow && workflow !== state.workflowId) selectWorkflow(workflow);
  if (customer && customer !== customers.customerId) customers.open(customer);
});

const initial = readHash();
if (initial.customer) customers.open(initial.customer);
const emptyNote = h('div', { class: 'graph-empty-note', 'data-testid': 'empty-state' }, ...emptyHint());
$('graph').append(emptyNote);
poll();
