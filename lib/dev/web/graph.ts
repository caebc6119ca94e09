// The journey graph: laid out on the server by the report's layout code (lib/report/layout.ts,
// ELK layered, one column per stage, with this map's card sizes); drawn here as SVG cards, routed
// edges and stage bands, then only the counts are updated in place on each poll.
import type { LayoutJson, StepMetrics, StepView, WorkflowView } from '../api-types';
import { formatCompact } from '../../report/format';
import { CARD, PAD, SUMMARY_LINE, stepTooltip, summaryLines } from './cards';
import {
  s, h, fill, setText, fmtInt, rate, textWidth, ellipsize, FONT_STACK, stageHue, STEP_TYPES, TYPE_ICONS,
} from './util';

const FONTS = {
  type: `700 10px ${FONT_STACK}`,
  label: `600 13.5px ${FONT_STACK}`,
  summary: `12px ${FONT_STACK}`,
  number: `650 15px ${FONT_STACK}`,
  caption: `11px ${FONT_STACK}`,
  badge: `600 10.5px ${FONT_STACK}`,
  edge: `500 11px ${FONT_STACK}`,
  far: `650 22px ${FONT_STACK}`,
};
const BAND_HEADER = 34; // screen px reserved at the top of the viewport for the stage labels
/** The smallest zoom "Fit" goes to: below it cards cannot be read, so a long journey fits its height and scrolls sideways. */
export const READABLE_K = 0.5;
const MIN_K = 0.12;
const MAX_K = 2.5;

type Point = { x: number; y: number };
type Placed = LayoutJson['nodes'][number];
type Band = LayoutJson['bands'][number];

/** What makes the drawing change: everything but the counts. */
export function structureKey(workflow: WorkflowView): string {
  return JSON.stringify([
    workflow.id,
    workflow.stages,
    workflow.steps.map((st) => [st.id, st.type, st.label, st.stage, st.setsStage, st.summary, st.isStart]),
    workflow.edges.map((e) => [e.from, e.to, e.label]),
    workflow.layout.width,
    workflow.layout.height,
  ]);
}

/** The SVG path of a routed edge section, with softened corners at the bend points. */
function sectionPath(points: readonly Point[], radius = 8): string {
  let d = `M${points[0]!.x},${points[0]!.y}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    if (i === points.length - 1) {
      d += ` L${p.x},${p.y}`;
      break;
    }
    const prev = points[i - 1]!;
    const next = points[i + 1]!;
    const inLen = Math.hypot(p.x - prev.x, p.y - prev.y);
    const outLen = Math.hypot(next.x - p.x, next.y - p.y);
    const r = Math.min(radius, inLen / 2, outLen / 2);
    if (r < 0.5) {
      d += ` L${p.x},${p.y}`;
      continue;
    }
    const ax = p.x - ((p.x - prev.x) / inLen) * r;
    const ay = p.y - ((p.y - prev.y) / inLen) * r;
    const bx = p.x + ((next.x - p.x) / outLen) * r;
    const by = p.y + ((next.y - p.y) / outLen) * r;
    d += ` L${ax},${ay} Q${p.x},${p.y} ${bx},${by}`;
  }
  return d;
}

function edgeKind(label: string): 'timeout' | 'goal' | 'plain' {
  if (label === 'timeout') return 'timeout';
  if (label === 'goal') return 'goal';
  return 'plain';
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A count that fits `max` px at the card's number font: "12,345", else "12.3K". */
function fitCount(n: number, max: number): string {
  const full = fmtInt(n);
  if (textWidth(full, FONTS.number) <= max) return full;
  const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 }).format(n);
  return textWidth(compact, FONTS.number) <= max ? compact : formatCompact(n);
}

interface Stat {
  value: SVGTextElement;
  caption: SVGTextElement;
  rate?: SVGTSpanElement;
}

interface CardRefs {
  g: SVGGElement;
  tip: SVGTitleElement;
  step: StepView;
  width: number;
  height: number;
  /** Width of one stat column: a count must fit it. */
  column: number;
  entered: Stat;
  waiting: Stat;
  sent?: Stat;
  opened?: Stat;
  clicked?: Stat;
  badges: SVGGElement;
  badgeKey?: string;
  farEntered: SVGTSpanElement;
  farRates?: SVGTextElement;
  farWaiting: SVGTextElement;
  farOutcome: SVGTextElement;
  farKey?: string;
  here: SVGGElement;
}

interface DrawnEdge {
  from: string;
  to: string;
  kind: string;
  g: SVGGElement;
  labelEl: SVGGElement | null;
}

interface Drawn {
  key: string;
  workflow: WorkflowView;
  layout: LayoutJson;
  bands: Band[];
  bandEls: Map<string, SVGRectElement>;
  nodes: Map<string, CardRefs>;
  edges: DrawnEdge[];
}

interface View {
  k: number;
  tx: number;
  ty: number;
  touched: boolean;
}

type Highlight = Array<{ workflowId: string; status: string; stepId: string | null; path: Array<{ stepId: string }> }>;

export interface JourneyGraphOptions {
  onStageFocus?: (stage: string) => void;
  /** A step card was clicked (not dragged): list its customers. */
  onStepClick?: (stepId: string) => void;
}

export class JourneyGraph {
  private readonly views = new Map<string, View>();
  private current: Drawn | null = null;
  private highlighted: Highlight | null = null;
  private drawnOnce = false;
  private minimapScale: { sx: number; sy: number } | null = null;
  ready: Promise<void> = Promise.resolve();
  private readonly svg: SVGSVGElement;
  private readonly defs: SVGDefsElement;
  private readonly world: SVGGElement;
  private readonly bandHeaders: HTMLElement;
  private readonly zoomLabel: HTMLElement;
  private readonly toolbar: HTMLElement;
  private readonly minimap: SVGSVGElement;
  private readonly minimapWorld: SVGGElement;
  private readonly minimapView: SVGRectElement;
  private readonly message: HTMLElement;
  private readonly hint: HTMLElement;
  readonly viewport: HTMLElement;

  constructor(
    private readonly root: HTMLElement,
    private readonly options: JourneyGraphOptions = {},
  ) {

    this.svg = s('svg', { class: 'graph-svg', role: 'img', 'aria-label': 'Journey graph' });
    this.defs = s('defs');
    for (const kind of ['plain', 'timeout', 'goal', 'path']) {
      this.defs.append(
        s('marker', { id: `arrow-${kind}`, viewBox: '0 0 10 10', refX: '9', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' },
          s('path', { d: 'M0,1 L10,5 L0,9 z', class: `arrowhead arrowhead-${kind}` })),
      );
    }
    this.world = s('g', { class: 'graph-world' });
    this.svg.append(this.defs, this.world);

    this.bandHeaders = h('div', { class: 'band-headers', 'aria-hidden': 'true' });
    this.zoomLabel = h('span', { class: 'zoom-label', text: '100%' });
    this.toolbar = h('div', { class: 'graph-toolbar' },
      h('button', { type: 'button', title: 'Zoom out', 'aria-label': 'Zoom out', onclick: () => this.zoomBy(1 / 1.25) }, '−'),
      this.zoomLabel,
      h('button', { type: 'button', title: 'Zoom in', 'aria-label': 'Zoom in', onclick: () => this.zoomBy(1.25) }, '+'),
      h('button', { type: 'button', title: 'Fit the journey to the width (never below a readable size)', 'data-testid': 'fit', onclick: () => this.fit(true) }, 'Fit'),
      h('button', { type: 'button', title: 'Actual size, from the start', onclick: () => this.reset() }, '1:1'),
    );
    this.minimap = s('svg', { class: 'minimap', 'aria-hidden': 'true' });
    this.minimapWorld = s('g');
    this.minimapView = s('rect', { class: 'minimap-view' });
    this.minimap.append(this.minimapWorld, this.minimapView);
    this.message = h('div', { class: 'graph-message', hidden: true });
    this.hint = h('div', { class: 'graph-hint', text: 'Scroll to zoom · drag to pan · click a step to list its customers' });
    this.viewport = h('div', { class: 'graph-viewport', tabindex: '0' },
      this.svg, this.bandHeaders, this.toolbar, this.minimap, this.message, this.hint);
    fill(root, this.viewport);

    this.bindPanZoom();
    new ResizeObserver(() => this.onResize()).observe(this.viewport);
  }

  // ---- public API ------------------------------------------------------------------

  /** Shows a workflow: draws it when its structure is new, else just updates the counts. */
  show(workflow: WorkflowView): Promise<void> {
    const key = structureKey(workflow);
    if (this.current && this.current.key === key) {
      this.current.workflow = workflow;
      this.updateCounts(workflow);
    } else {
      this.showMessage(null);
      this.draw(workflow, key, workflow.layout);
      this.updateCounts(workflow);
      this.applyHighlight();
    }
    this.ready = Promise.resolve();
    return this.ready;
  }

  /** Highlights a customer's journeys (CustomerView.journeys, or null): the one in the shown workflow. */
  highlight(journeys: Highlight | null): void {
    this.highlighted = Array.isArray(journeys) ? journeys : null;
    this.applyHighlight();
  }

  /** Centres a step in the part of the graph not covered by the customer panel. */
  focusStep(stepId: string): void {
    const cur = this.current;
    const node = cur?.layout.nodes.find((n) => n.id === stepId);
    if (!node) return;
    const view = this.view();
    if (view.k < 0.62) view.k = 0.9;
    const rect = this.viewport.getBoundingClientRect();
    const drawer = document.querySelector('.drawer:not([hidden])')?.getBoundingClientRect();
    const visibleRight = drawer && drawer.left < rect.right && drawer.left > rect.left + 200 ? drawer.left - rect.left : rect.width;
    view.tx = visibleRight / 2 - (node.x + node.width / 2) * view.k;
    view.ty = BAND_HEADER + (rect.height - BAND_HEADER) / 2 - (node.y + node.height / 2) * view.k;
    view.touched = true;
    this.applyView(true);
  }

  /** Pans to a stage band (keeping the zoom) and flashes it. */
  focusStage(stage: string): void {
    const cur = this.current;
    if (!cur) return;
    const band = cur.bands.find((b) => b.stage === stage);
    if (!band) return;
    const view = this.view();
    const vw = this.viewport.clientWidth;
    const bandWidth = (band.x1 - band.x0) * view.k;
    view.tx = bandWidth < vw ? vw / 2 - ((band.x0 + band.x1) / 2) * view.k : 16 - band.x0 * view.k;
    view.touched = true;
    this.applyView(true);
    const rect = cur.bandEls.get(stage);
    if (rect) {
      rect.classList.remove('flash');
      void rect.getBoundingClientRect();
      rect.classList.add('flash');
    }
  }

  // ---- drawing -----------------------------------------------------------------------

  showMessage(text: string | null, soft = false): void {
    this.message.hidden = !text;
    this.message.classList.toggle('soft', soft);
    this.message.textContent = text ?? '';
  }

  draw(workflow: WorkflowView, key: string, layout: LayoutJson): void {
    const bands = layout.bands;
    const stepsById = new Map(workflow.steps.map((st) => [st.id, st]));
    const bandLayer = s('g', { class: 'bands' });
    const edgeLayer = s('g', { class: 'edges' });
    const nodeLayer = s('g', { class: 'nodes' });
    const labelLayer = s('g', { class: 'edge-labels' });
    const bandEls = new Map<string, SVGRectElement>();
    const height = layout.height;

    for (const [i, band] of bands.entries()) {
      const hue = stageHue(band.index);
      // the first and last bands run on past the graph, so panning never shows a bare edge
      const x0 = i === 0 ? band.x0 - 4000 : band.x0;
      const x1 = i === bands.length - 1 ? band.x1 + 4000 : band.x1;
      const rect = s('rect', {
        class: `band ${band.index % 2 ? 'band-odd' : 'band-even'}`,
        x: x0, y: -4000, width: Math.max(0, x1 - x0), height: height + 8000,
        style: { fill: `hsl(${hue} 70% 96%)` },
        'data-testid': 'stage-band', 'data-stage': band.stage,
      });
      bandLayer.append(rect);
      if (i < bands.length - 1) bandLayer.append(s('line', { class: 'band-divider', x1: band.x1, x2: band.x1, y1: -4000, y2: height + 4000 }));
      bandEls.set(band.stage, rect);
    }

    const nodes = new Map<string, CardRefs>();
    for (const node of layout.nodes) {
      const step = stepsById.get(node.id);
      if (!step) continue;
      const card = this.drawCard(step, node);
      nodeLayer.append(card.g);
      nodes.set(step.id, card);
    }

    const edges: DrawnEdge[] = [];
    for (const edge of layout.edges) {
      if (!edge.sections.length) continue;
      const kind = edgeKind(edge.label);
      const g = s('g', { class: `edge edge-${kind}`, 'data-from': edge.from, 'data-to': edge.to });
      edge.sections.forEach((section, j) => {
        const last = j === edge.sections.length - 1;
        g.append(s('path', { d: sectionPath(section), 'marker-end': last ? `url(#arrow-${kind})` : null }));
      });
      edgeLayer.append(g);
      let labelEl: SVGGElement | null = null;
      const box = edge.labelBox;
      if (box && edge.label) {
        labelEl = s('g', { class: `edge-label edge-label-${kind}`, transform: `translate(${box.x},${box.y})` },
          s('rect', { width: box.width, height: box.height, rx: 9 }),
          s('text', { x: box.width / 2, y: box.height / 2 + 4, 'text-anchor': 'middle', text: edge.label }));
        labelLayer.append(labelEl);
      }
      edges.push({ from: edge.from, to: edge.to, kind, g, labelEl });
    }

    fill(this.world, bandLayer, edgeLayer, nodeLayer, labelLayer);
    this.current = { key, workflow, layout, bands, bandEls, nodes, edges };
    this.drawBandHeaders(bands);
    this.drawMinimap(layout, bands);

    const saved = this.views.get(workflow.id);
    if (!saved || !saved.touched) this.fit(false);
    else this.applyView(false);
  }

  drawCard(step: StepView, node: Placed): CardRefs {
    const { width, height } = node;
    const type = STEP_TYPES[step.type] ?? { label: step.type, color: '#475569' };
    const tip = s('title');
    const g = s('g', {
      class: `step step-${step.type}${step.isStart ? ' step-start' : ''}`,
      role: 'button',
      tabindex: '-1',
      transform: `translate(${node.x},${node.y})`,
      'data-testid': 'step',
      'data-step-id': step.id,
      'data-step-type': step.type,
      style: { '--type-color': type.color },
    }, tip);
    g.append(
      s('rect', { class: 'card', width, height, rx: 10 }),
      s('path', { class: 'card-head', d: `M0,26 V10 A10,10 0 0 1 10,0 H${width - 10} A10,10 0 0 1 ${width},10 V26 Z` }),
      s('g', { class: 'type-icon', transform: 'translate(10,6) scale(0.875)' }, s('path', { d: TYPE_ICONS[step.type] ?? '' })),
      s('text', { class: 'type-text', x: 30, y: 17, text: type.label.toUpperCase() }),
    );
    if (step.setsStage && step.stage) {
      const text = `→ ${step.stage}`;
      const w = Math.min(textWidth(text, FONTS.badge) + 12, width - 100);
      const x = width - PAD + 4 - w - (step.isStart ? 50 : 0);
      g.append(s('g', { class: 'sets-stage', transform: `translate(${x},5)` },
        s('rect', { width: w, height: 16, rx: 8 }),
        s('text', { x: w / 2, y: 11.5, 'text-anchor': 'middle', text: ellipsize(text, FONTS.badge, w - 10) })));
    }
    if (step.isStart) {
      g.append(s('g', { class: 'start-pill', transform: `translate(${width - 54},5)` },
        s('rect', { width: 46, height: 16, rx: 8 }),
        s('text', { x: 23, y: 11.5, 'text-anchor': 'middle', text: 'START' })));
    }
    const summary = summaryLines(step, (text) => textWidth(text, FONTS.summary));
    const dy = (summary.length - 1) * SUMMARY_LINE;
    const detail = s('g', { class: 'detail' });
    detail.append(
      s('text', { class: 'step-label', x: PAD, y: 45, text: ellipsize(step.label, FONTS.label, width - 2 * PAD) }),
      ...summary.map((line, i) => s('text', { class: 'step-summary', x: PAD, y: 62 + i * SUMMARY_LINE, text: line })),
      s('line', { class: 'card-divider', x1: PAD, x2: width - PAD, y1: 72 + dy, y2: 72 + dy }),
    );

    const stat = (x: number, y: number, testid: string, caption: string): Stat => {
      const value = s('text', { class: 'stat-value', x, y, 'data-testid': testid, text: '0' });
      const captionEl = s('text', { class: 'stat-caption', x, y: y + 13, text: caption });
      detail.append(value, captionEl);
      return { value, caption: captionEl };
    };
    const colW = (width - 2 * PAD) / (step.type === 'email' ? 3 : 2);
    const entered = stat(PAD, 92 + dy, 'step-entered', 'entered');
    const waiting = stat(PAD + colW, 92 + dy, 'step-waiting', 'waiting now');
    let badgeY = 112 + dy;
    let email: Pick<CardRefs, 'sent' | 'opened' | 'clicked'> = {};
    if (step.type === 'email') {
      email = {
        sent: stat(PAD, 128 + dy, 'step-sent', 'sent'),
        opened: stat(PAD + colW, 128 + dy, 'step-opened', 'opened '),
        clicked: stat(PAD + 2 * colW, 128 + dy, 'step-clicked', 'clicked '),
      };
      for (const stat of [email.opened!, email.clicked!]) {
        stat.rate = s('tspan', { class: 'stat-rate', text: '–' });
        stat.caption.append(stat.rate);
      }
      badgeY = 148 + dy;
    }
    const badges = s('g', { class: 'badges', transform: `translate(${PAD},${badgeY})` });
    detail.append(badges);

    // Zoomed far out, a card shows only what reads at that size: the label and the counts, large.
    const far = s('g', { class: 'far', 'aria-hidden': 'true' });
    const farEntered = s('tspan', { class: 'far-number', text: '0' });
    far.append(
      s('text', { class: 'far-label', x: PAD, y: 54, text: ellipsize(step.label, FONTS.far, width - 2 * PAD) }),
      s('text', { x: PAD, y: 89 }, farEntered, s('tspan', { class: 'far-caption', text: ' entered' })));
    let farY = 110;
    let farRates: SVGTextElement | undefined;
    if (step.type === 'email') {
      farRates = s('text', { class: 'far-line', x: PAD, y: farY });
      far.append(farRates);
      farY += 20;
    }
    const farWaiting = s('text', { class: 'far-line far-waiting', x: PAD, y: farY });
    const farOutcome = s('text', { class: 'far-line', x: PAD, y: farY + 19 });
    far.append(farWaiting, farOutcome);
    const here = s('g', { class: 'here-pill', transform: `translate(${width / 2 - 44},-23)` },
      s('rect', { width: 88, height: 20, rx: 10 }),
      s('text', { x: 44, y: 14, 'text-anchor': 'middle', text: 'customer here' }));
    g.append(detail, far, here);
    return { g, tip, step, width, height, column: colW, entered, waiting, ...email, badges, farEntered, ...(farRates ? { farRates } : {}), farWaiting, farOutcome, here };
  }

  drawBandHeaders(bands: readonly Band[]): void {
    fill(this.bandHeaders, bands.map((band) => {
      const el = h('button', {
        type: 'button',
        class: 'band-header',
        style: { '--hue': String(stageHue(band.index)) },
        title: `Stage ${band.index + 1}: ${band.stage}`,
        onclick: () => {
          this.focusStage(band.stage);
          this.options.onStageFocus?.(band.stage);
        },
      }, h('span', { class: 'band-header-index', text: String(band.index + 1) }), h('span', { class: 'band-header-name', text: band.stage }));
      el.dataset.x0 = String(band.x0);
      el.dataset.x1 = String(band.x1);
      return el;
    }));
  }

  drawMinimap(layout: LayoutJson, bands: readonly Band[]): void {
    // x and y are scaled separately: journeys are long and flat, a true-aspect overview would be a sliver
    const sx = Math.min(260 / layout.width, 0.2);
    const sy = Math.min(Math.max(44 / layout.height, sx), 0.2);
    const w = layout.width * sx;
    const hgt = layout.height * sy;
    this.minimap.setAttribute('width', String(w + 4));
    this.minimap.setAttribute('height', String(hgt + 4));
    this.minimapScale = { sx, sy };
    this.minimapWorld.setAttribute('transform', `translate(2,2) scale(${sx},${sy})`);
    fill(this.minimapWorld,
      bands.map((b) => s('rect', { x: b.x0, y: 0, width: b.x1 - b.x0, height: layout.height, style: { fill: `hsl(${stageHue(b.index)} 60% 92%)` } })),
      layout.nodes.map((n) => s('rect', { class: 'minimap-node', x: n.x, y: n.y, width: n.width, height: n.height, rx: 12 })));
    this.minimap.removeAttribute('hidden');
  }

  // ---- live counts ---------------------------------------------------------------------

  updateCounts(workflow: WorkflowView): void {
    const cur = this.current;
    if (!cur) return;
    const all = workflow.metrics?.steps ?? {};
    for (const [id, refs] of cur.nodes) {
      const m: Partial<StepMetrics> = all[id] ?? {};
      const num = (key: keyof StepMetrics) => (typeof m[key] === 'number' ? m[key] : 0);
      // Each count fits its column: a 5- or 6-digit count switches to "12.3K" rather than run into the next.
      const fit = (n: number) => fitCount(n, refs.column - 8);
      const bump = (el: SVGTextElement, text: string) => {
        if (setText(el, text) && this.drawnOnce) {
          el.classList.remove('bump');
          void el.getBBox?.();
          el.classList.add('bump');
        }
      };
      bump(refs.entered.value, fit(num('entered')));
      bump(refs.waiting.value, fit(num('waiting')));
      refs.waiting.value.classList.toggle('is-active', num('waiting') > 0);
      if (refs.sent && refs.opened && refs.clicked) {
        bump(refs.sent.value, fit(num('sent')));
        bump(refs.opened.value, fit(num('opened')));
        bump(refs.clicked.value, fit(num('clicked')));
        setText(refs.opened.rate!, rate(num('opened'), num('sent')));
        setText(refs.clicked.rate!, rate(num('clicked'), num('sent')));
      }
      // A holdout's finished customers are its control group, not a drop-off.
      const holdout = refs.step.type === 'holdout';
      this.updateBadges(refs, holdout ? 0 : num('dropped'), num('converted'), holdout ? num('dropped') : 0, num('deferredByBudget') + num('skippedByBudget'));
      setText(refs.farEntered, fit(num('entered')));
      setText(refs.farWaiting, num('waiting') > 0 ? `${fmtInt(num('waiting'))} waiting` : '');
      const farParts: Array<[string, string]> = [];
      if (num('converted') > 0) farParts.push(['far-converted', `✓ ${fmtInt(num('converted'))}`]);
      if (num('dropped') > 0) farParts.push(holdout ? ['far-held', `${fmtInt(num('dropped'))} held out`] : ['far-dropped', `✕ ${fmtInt(num('dropped'))} dropped`]);
      const farKey = JSON.stringify(farParts);
      if (refs.farKey !== farKey) {
        refs.farKey = farKey;
        fill(refs.farOutcome, farParts.flatMap(([cls, text], i) => [i ? s('tspan', { class: 'far-sep', text: '  ' }) : null, s('tspan', { class: cls, text })]));
      }
      if (refs.farRates) setText(refs.farRates, `${rate(num('opened'), num('sent'))} open · ${rate(num('clicked'), num('sent'))} click`);
      setText(refs.tip, stepTooltip(refs.step, m).join('\n'));
    }
    this.drawnOnce = true;
  }

  /** `overBudget`: emails the send budget across journeys held or skipped here (the tooltip tells them apart). */
  updateBadges(refs: CardRefs, dropped: number, converted: number, heldOut: number, overBudget: number): void {
    const key = `${dropped}|${converted}|${heldOut}|${overBudget}`;
    if (refs.badgeKey === key) return;
    refs.badgeKey = key;
    const items: SVGGElement[] = [];
    let x = 0;
    const add = (cls: string, text: string, testid: string) => {
      const w = Math.min(Math.ceil(textWidth(text, FONTS.badge)) + 14, refs.width - 2 * PAD - x);
      if (w < 30) return;
      items.push(s('g', { class: `badge ${cls}`, transform: `translate(${x},0)`, 'data-testid': testid },
        s('rect', { width: w, height: 18, rx: 9 }),
        s('text', { x: w / 2, y: 12.5, 'text-anchor': 'middle', text: ellipsize(text, FONTS.badge, w - 8) })));
      x += w + 6;
    };
    if (converted > 0) add('badge-converted', `converted ${fmtInt(converted)}`, 'step-converted');
    if (dropped > 0) add('badge-dropped', `dropped ${fmtInt(dropped)}`, 'step-dropped');
    if (heldOut > 0) add('badge-held', `held out ${fmtInt(heldOut)} (control)`, 'step-held-out');
    if (overBudget > 0) add('badge-budget', `over budget ${fmtInt(overBudget)}`, 'step-over-budget');
    fill(refs.badges, items);
  }

  applyHighlight() {
    const cur = this.current;
    if (!cur) return;
    const journey = this.highlighted?.find((j) => j.workflowId === cur.workflow.id) ?? null;
    const visited = new Set((journey?.path ?? []).map((p) => p.stepId));
    const pairs = new Set<string>();
    (journey?.path ?? []).forEach((p, i, arr) => { if (i > 0) pairs.add(`${arr[i - 1]!.stepId}\u0000${p.stepId}`); });
    const here = journey && journey.status === 'active' ? journey.stepId : null;
    this.viewport.classList.toggle('has-highlight', Boolean(journey));
    for (const [id, refs] of cur.nodes) {
      refs.g.classList.toggle('on-path', visited.has(id));
      refs.g.classList.toggle('is-here', id === here);
    }
    for (const edge of cur.edges) {
      const on = pairs.has(`${edge.from}\u0000${edge.to}`);
      edge.g.classList.toggle('on-path', on);
      edge.labelEl?.classList.toggle('on-path', on);
      for (const path of edge.g.querySelectorAll('path')) {
        if (path.hasAttribute('marker-end')) path.setAttribute('marker-end', `url(#arrow-${on ? 'path' : edge.kind})`);
      }
    }
  }

  // ---- pan & zoom --------------------------------------------------------------------

  view(): View {
    const id = this.current?.workflow.id ?? '';
    let view = this.views.get(id);
    if (!view) {
      view = { k: 1, tx: 0, ty: BAND_HEADER, touched: false };
      this.views.set(id, view);
    }
    return view;
  }

  /**
   * Fits the journey to the width, never below READABLE_K: a long journey is shown at a readable
   * zoom from its start, and scrolls sideways. Automatic fits never zoom past 100%.
   */
  fit(asked: boolean): void {
    const cur = this.current;
    if (!cur) return;
    const view = this.view();
    const vw = Math.max(200, this.viewport.clientWidth);
    const vh = Math.max(160, this.viewport.clientHeight - BAND_HEADER);
    const { width, height } = cur.layout;
    const kWidth = Math.min(1, (vw - 16) / width);
    view.k = clamp(Math.max(kWidth, READABLE_K), MIN_K, MAX_K);
    view.tx = width * view.k <= vw ? (vw - width * view.k) / 2 : 8;
    view.ty = BAND_HEADER + Math.max(0, (vh - height * view.k) / 2);
    view.touched = asked;
    this.applyView(asked);
  }

  reset(): void {
    const view = this.view();
    view.k = 1;
    view.tx = 0;
    view.ty = BAND_HEADER;
    view.touched = true;
    this.applyView(true);
  }

  zoomBy(factor: number, cx?: number, cy?: number): void {
    const view = this.view();
    const x = cx ?? this.viewport.clientWidth / 2;
    const y = cy ?? this.viewport.clientHeight / 2;
    const k = clamp(view.k * factor, MIN_K, MAX_K);
    view.tx = x - ((x - view.tx) * k) / view.k;
    view.ty = y - ((y - view.ty) * k) / view.k;
    view.k = k;
    view.touched = true;
    this.applyView(false);
  }

  /** Keeps some of the graph on screen. */
  constrain(view: View): void {
    const cur = this.current;
    if (!cur) return;
    const vw = this.viewport.clientWidth;
    const vh = this.viewport.clientHeight;
    const w = cur.layout.width * view.k;
    const hh = cur.layout.height * view.k;
    const margin = 80;
    view.tx = clamp(view.tx, Math.min(margin - w, vw - w - margin), Math.max(vw - margin, margin));
    view.ty = clamp(view.ty, Math.min(margin - hh, BAND_HEADER), Math.max(vh - margin, BAND_HEADER));
  }

  applyView(animate: boolean): void {
    const cur = this.current;
    if (!cur) return;
    const view = this.view();
    this.constrain(view);
    this.world.classList.toggle('animate', Boolean(animate));
    this.world.style.transform = `translate(${view.tx}px, ${view.ty}px) scale(${view.k})`;
    setText(this.zoomLabel, `${Math.round(view.k * 100)}%`);
    this.viewport.classList.toggle('far', view.k < 0.62);
    for (const el of this.bandHeaders.querySelectorAll<HTMLElement>('.band-header')) {
      const left = view.tx + Number(el.dataset.x0) * view.k;
      const width = (Number(el.dataset.x1) - Number(el.dataset.x0)) * view.k;
      el.style.transform = `translateX(${left}px)`;
      el.style.width = `${Math.max(0, width)}px`;
      // keep the stage name in sight when its band starts off screen
      el.style.paddingLeft = left < 0 ? `${Math.max(0, Math.min(-left, width - 130)) + 12}px` : '';
      el.classList.toggle('animate', Boolean(animate));
      el.classList.toggle('narrow', width < 90);
    }
    // minimap viewport
    const { sx = 0, sy = 0 } = this.minimapScale ?? {};
    const mw = Number(this.minimap.getAttribute('width')) || 0;
    const mh = Number(this.minimap.getAttribute('height')) || 0;
    // the visible part of the graph, clipped to the minimap
    const x0 = clamp((-view.tx / view.k) * sx + 2, 0, mw);
    const y0 = clamp(((BAND_HEADER - view.ty) / view.k) * sy + 2, 0, mh);
    const x1 = clamp(((this.viewport.clientWidth - view.tx) / view.k) * sx + 2, 0, mw);
    const y1 = clamp(((this.viewport.clientHeight - view.ty) / view.k) * sy + 2, 0, mh);
    this.minimapView.setAttribute('x', String(x0));
    this.minimapView.setAttribute('y', String(y0));
    this.minimapView.setAttribute('width', String(Math.max(0, x1 - x0 - 1)));
    this.minimapView.setAttribute('height', String(Math.max(0, y1 - y0 - 1)));
  }

  onResize(): void {
    if (!this.current) return;
    const view = this.view();
    if (!view.touched) this.fit(false);
    else this.applyView(false);
  }

  bindPanZoom(): void {
    const vp = this.viewport;
    vp.addEventListener('wheel', (event) => {
      if (!this.current) return;
      event.preventDefault();
      const rect = vp.getBoundingClientRect();
      const unit = event.deltaMode === 1 ? 16 : event.deltaMode === 2 ? rect.height : 1;
      if (event.shiftKey && !event.ctrlKey) {
        const view = this.view();
        view.tx -= (event.deltaY || event.deltaX) * unit;
        view.touched = true;
        this.applyView(false);
        return;
      }
      const factor = Math.exp(-event.deltaY * unit * (event.ctrlKey ? 0.01 : 0.0015));
      this.zoomBy(factor, event.clientX - rect.left, event.clientY - rect.top);
    }, { passive: false });

    let drag: { id: number; x: number; y: number; tx: number; ty: number; moved: boolean; stepId: string | null } | null = null;
    vp.addEventListener('pointerdown', (event) => {
      if (!this.current || event.button !== 0) return;
      const target = event.target as Element;
      if (target.closest('.graph-toolbar, .band-header, .minimap')) return;
      const card = target.closest<SVGGElement>('[data-testid=step]');
      const view = this.view();
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false, stepId: card?.dataset.stepId ?? null };
    });
    vp.addEventListener('pointermove', (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      const dx = event.clientX - drag.x;
      const dy = event.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        vp.setPointerCapture(event.pointerId);
        vp.classList.add('dragging');
      }
      const view = this.view();
      view.tx = drag.tx + dx;
      view.ty = drag.ty + dy;
      view.touched = true;
      this.applyView(false);
    });
    const end = (event: PointerEvent) => {
      if (!drag || event.pointerId !== drag.id) return;
      vp.classList.remove('dragging');
      // A click on a card (no drag) lists its customers.
      if (!drag.moved && drag.stepId && event.type === 'pointerup') this.options.onStepClick?.(drag.stepId);
      drag = null;
    };
    vp.addEventListener('pointerup', end);
    vp.addEventListener('pointercancel', end);

    // minimap: click or drag to move the view
    const moveTo = (event: PointerEvent) => {
      if (!this.current || !this.minimapScale) return;
      const rect = this.minimap.getBoundingClientRect();
      const gx = (event.clientX - rect.left - 2) / this.minimapScale.sx;
      const gy = (event.clientY - rect.top - 2) / this.minimapScale.sy;
      const view = this.view();
      view.tx = vp.clientWidth / 2 - gx * view.k;
      view.ty = BAND_HEADER + (vp.clientHeight - BAND_HEADER) / 2 - gy * view.k;
      view.touched = true;
      this.applyView(false);
    };
    let miniDrag = false;
    this.minimap.addEventListener('pointerdown', (event) => {
      miniDrag = true;
      this.minimap.setPointerCapture(event.pointerId);
      moveTo(event);
    });
    this.minimap.addEventListener('pointermove', (event) => { if (miniDrag) moveTo(event); });
    this.minimap.addEventListener('pointerup', () => { miniDrag = false; });

    vp.addEventListener('keydown', (event) => {
      const view = this.view();
      const step = 60;
      const moves: Record<string, [number, number]> = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) {
        view.tx += moves[event.key]![0];
        view.ty += moves[event.key]![1];
        view.touched = true;
        this.applyView(false);
        event.preventDefault();
      } else if (event.key === '+' || event.key === '=') this.zoomBy(1.2);
      else if (event.key === '-') this.zoomBy(1 / 1.2);
      else if (event.key === '0') this.fit(true);
    });
  }
}
