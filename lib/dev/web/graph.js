// The journey graph: ELK (layered, direction RIGHT, partitioned by stage) lays the steps
// out; we draw SVG cards, routed edges and stage bands, then only update counts in place
// on each poll. Layouts are cached per workflow structure, so polls never re-layout.

import {
  s, h, fill, setText, fmtInt, rate, textWidth, ellipsize, FONT_STACK, stageHue, STEP_TYPES, TYPE_ICONS,
} from './util.js';

const PAD = 12;
const CARD = {
  email: { width: 244, height: 172 },
  other: { width: 204, height: 136 },
  placeholder: { width: 170, height: 64 },
};
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
const MIN_K = 0.12;
const MAX_K = 2.5;
const PLACEHOLDER_PREFIX = '\u0000stage:'; // cannot clash with a step id (ids exclude control characters)

/** What makes the layout change: everything but the counts. */
export function structureKey(workflow) {
  return JSON.stringify([
    workflow.id,
    workflow.stages,
    workflow.steps.map((st) => [st.id, st.type, st.label, st.stage, st.setsStage, st.summary, st.isStart]),
    workflow.edges.map((e) => [e.from, e.to, e.label]),
  ]);
}

function partitionOf(step, stages) {
  const index = step.stage === null || step.stage === undefined ? 0 : stages.indexOf(step.stage);
  return index < 0 ? 0 : index;
}

/** The summary in at most two lines that fit the card (the second cut with an ellipsis). */
function summaryLines(step) {
  const base = step.type === 'email' ? CARD.email : CARD.other;
  const max = base.width - 2 * PAD;
  const text = String(step.summary ?? '');
  if (textWidth(text, FONTS.summary) <= max) return [text];
  const words = text.split(/\s+/);
  let first = '';
  let i = 0;
  for (; i < words.length; i++) {
    const candidate = first ? `${first} ${words[i]}` : words[i];
    if (textWidth(candidate, FONTS.summary) > max) break;
    first = candidate;
  }
  if (!first) return [ellipsize(text, FONTS.summary, max)];
  return [first, ellipsize(words.slice(i).join(' '), FONTS.summary, max)];
}

const SUMMARY_LINE = 15;

function cardSize(step) {
  const base = step.type === 'email' ? CARD.email : CARD.other;
  return { width: base.width, height: base.height + (summaryLines(step).length - 1) * SUMMARY_LINE };
}

/** The ELK graph for a workflow. */
export function elkGraph(workflow) {
  const stepIds = new Set(workflow.steps.map((st) => st.id));
  const children = workflow.steps.map((st) => ({
    id: st.id,
    ...cardSize(st),
    layoutOptions: { 'elk.partitioning.partition': String(partitionOf(st, workflow.stages)) },
  }));
  // A stage no step belongs to still gets its column: an unconnected placeholder in that partition.
  workflow.stages.forEach((stage, index) => {
    if (!workflow.steps.some((st) => partitionOf(st, workflow.stages) === index)) {
      children.push({
        id: PLACEHOLDER_PREFIX + stage,
        ...CARD.placeholder,
        layoutOptions: { 'elk.partitioning.partition': String(index) },
      });
    }
  });
  const edges = workflow.edges
    .filter((e) => stepIds.has(e.from) && stepIds.has(e.to))
    .map((e, i) => ({
      id: `e${i}`,
      sources: [e.from],
      targets: [e.to],
      labels: e.label
        ? [{ id: `e${i}-label`, text: e.label, width: Math.ceil(textWidth(e.label, FONTS.edge)) + 12, height: 18 }]
        : [],
    }));
  return {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.partitioning.activate': 'true',
      'elk.separateConnectedComponents': 'false',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.layered.spacing.nodeNodeBetweenLayers': '56',
      'elk.layered.spacing.edgeNodeBetweenLayers': '18',
      'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
      'elk.spacing.nodeNode': '34',
      'elk.spacing.edgeNode': '16',
      'elk.spacing.edgeEdge': '10',
      'elk.spacing.edgeLabel': '3',
      'elk.edgeLabels.placement': 'CENTER',
      'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
      'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
      'elk.layered.crossingMinimization.forceNodeModelOrder': 'false',
      'elk.padding': '[top=24,left=28,bottom=28,right=28]',
    },
    children,
    edges,
  };
}

/** Stage bands from the laid-out nodes: each partition spans from the middle of the gap before it to the middle of the gap after it. */
function computeBands(layout, workflow) {
  const extents = workflow.stages.map(() => ({ min: Infinity, max: -Infinity }));
  for (const node of layout.children) {
    const stageName = node.id.startsWith(PLACEHOLDER_PREFIX) ? node.id.slice(PLACEHOLDER_PREFIX.length) : null;
    const step = stageName === null ? workflow.steps.find((st) => st.id === node.id) : null;
    const index = stageName !== null ? workflow.stages.indexOf(stageName) : partitionOf(step, workflow.stages);
    if (index < 0 || !extents[index]) continue;
    extents[index].min = Math.min(extents[index].min, node.x);
    extents[index].max = Math.max(extents[index].max, node.x + node.width);
  }
  const width = layout.width;
  const bands = [];
  let left = 0;
  extents.forEach((ext, i) => {
    if (!Number.isFinite(ext.min)) return;
    const nextIndex = extents.findIndex((e, j) => j > i && Number.isFinite(e.min));
    const right = nextIndex === -1 ? width : (ext.max + extents[nextIndex].min) / 2;
    bands.push({ index: i, stage: workflow.stages[i], x0: left, x1: right });
    left = right;
  });
  return bands;
}

/** The SVG path of an ELK edge section, with softened corners at the bend points. */
function sectionPath(section, radius = 8) {
  const points = [section.startPoint, ...(section.bendPoints ?? []), section.endPoint];
  let d = `M${points[0].x},${points[0].y}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i];
    if (i === points.length - 1) {
      d += ` L${p.x},${p.y}`;
      break;
    }
    const prev = points[i - 1];
    const next = points[i + 1];
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

function edgeKind(label) {
  if (label === 'timeout') return 'timeout';
  if (label === 'goal') return 'goal';
  return 'plain';
}

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export class JourneyGraph {
  /**
   * @param {HTMLElement} root the element to draw into
   * @param {{ onStageFocus?: (stage: string) => void }} [options]
   */
  constructor(root, options = {}) {
    this.options = options;
    this.root = root;
    this.layouts = new Map(); // structure key -> Promise<layout>
    this.views = new Map(); // workflow id -> { k, tx, ty, touched }
    this.current = null; // { key, workflow, layout, bands, nodes: Map, edges: [] }
    this.token = 0;
    this.highlighted = null;
    this.ready = Promise.resolve();
    this.elk = typeof window.ELK === 'function' ? new window.ELK() : null;

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
      h('button', { type: 'button', title: 'Show the whole journey', onclick: () => this.fit(true) }, 'Fit'),
      h('button', { type: 'button', title: 'Actual size, from the start', onclick: () => this.reset() }, '1:1'),
    );
    this.minimap = s('svg', { class: 'minimap', 'aria-hidden': 'true' });
    this.minimapWorld = s('g');
    this.minimapView = s('rect', { class: 'minimap-view' });
    this.minimap.append(this.minimapWorld, this.minimapView);
    this.message = h('div', { class: 'graph-message', hidden: true });
    this.hint = h('div', { class: 'graph-hint', text: 'Scroll to zoom · drag to pan' });
    this.viewport = h('div', { class: 'graph-viewport', tabindex: '0' },
      this.svg, this.bandHeaders, this.toolbar, this.minimap, this.message, this.hint);
    fill(root, this.viewport);

    this.bindPanZoom();
    new ResizeObserver(() => this.onResize()).observe(this.viewport);
  }

  // ---- public API ------------------------------------------------------------------

  /** Shows a workflow: lays it out when its structure is new, else just updates the counts. `ready` settles when it is drawn. */
  show(workflow) {
    this.ready = this.showNow(workflow);
    return this.ready;
  }

  async showNow(workflow) {
    const key = structureKey(workflow);
    if (this.current && this.current.key === key) {
      this.current.workflow = workflow;
      this.updateCounts(workflow);
      return;
    }
    if (!this.elk) {
      this.showMessage('The graph layout engine (/vendor/elk.bundled.js) did not load.');
      return;
    }
    const token = ++this.token;
    let promise = this.layouts.get(key);
    if (!promise) {
      promise = this.elk.layout(elkGraph(workflow));
      this.layouts.set(key, promise);
      promise.catch(() => this.layouts.delete(key));
    }
    if (!this.current || this.current.workflow.id !== workflow.id) this.showMessage('Laying out the journey…', true);
    let layout;
    try {
      layout = await promise;
    } catch (error) {
      if (token === this.token) this.showMessage(`Could not lay out this journey: ${error?.message ?? error}`);
      return;
    }
    if (token !== this.token) return; // a newer show() won
    this.showMessage(null);
    this.draw(workflow, key, layout);
    this.updateCounts(workflow);
    this.applyHighlight();
  }

  /** Highlights a customer's journeys (CustomerView.journeys, or null): the one in the shown workflow. */
  highlight(journeys) {
    this.highlighted = Array.isArray(journeys) ? journeys : null;
    this.applyHighlight();
  }

  /** Centres a step in the part of the graph not covered by the customer panel. */
  focusStep(stepId) {
    const cur = this.current;
    const node = cur?.layout.children.find((n) => n.id === stepId);
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
  focusStage(stage) {
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

  showMessage(text, soft = false) {
    this.message.hidden = !text;
    this.message.classList.toggle('soft', soft);
    this.message.textContent = text ?? '';
  }

  draw(workflow, key, layout) {
    const bands = computeBands(layout, workflow);
    const stepsById = new Map(workflow.steps.map((st) => [st.id, st]));
    const bandLayer = s('g', { class: 'bands' });
    const edgeLayer = s('g', { class: 'edges' });
    const nodeLayer = s('g', { class: 'nodes' });
    const labelLayer = s('g', { class: 'edge-labels' });
    const bandEls = new Map();
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

    const nodes = new Map();
    for (const node of layout.children) {
      if (node.id.startsWith(PLACEHOLDER_PREFIX)) {
        nodeLayer.append(s('g', { class: 'placeholder', transform: `translate(${node.x},${node.y})` },
          s('rect', { width: node.width, height: node.height, rx: 10 }),
          s('text', { x: node.width / 2, y: node.height / 2 - 3, 'text-anchor': 'middle', text: 'No steps in this stage' }),
          s('text', { class: 'placeholder-sub', x: node.width / 2, y: node.height / 2 + 13, 'text-anchor': 'middle', text: 'customers may still reach it' })));
        continue;
      }
      const step = stepsById.get(node.id);
      if (!step) continue;
      const card = this.drawCard(step, node);
      nodeLayer.append(card.g);
      nodes.set(step.id, card);
    }

    const edges = [];
    const drawable = workflow.edges.filter((e) => stepsById.has(e.from) && stepsById.has(e.to));
    for (const edge of layout.edges) {
      const source = drawable[Number(edge.id.slice(1))];
      if (!source || !edge.sections?.length) continue;
      const kind = edgeKind(source.label);
      const g = s('g', { class: `edge edge-${kind}`, 'data-from': source.from, 'data-to': source.to });
      edge.sections.forEach((section, j) => {
        const last = j === edge.sections.length - 1;
        g.append(s('path', { d: sectionPath(section), 'marker-end': last ? `url(#arrow-${kind})` : null }));
      });
      edgeLayer.append(g);
      let labelEl = null;
      for (const label of edge.labels ?? []) {
        labelEl = s('g', { class: `edge-label edge-label-${kind}`, transform: `translate(${label.x},${label.y})` },
          s('rect', { width: label.width, height: label.height, rx: 9 }),
          s('text', { x: label.width / 2, y: label.height / 2 + 4, 'text-anchor': 'middle', text: label.text }));
        labelLayer.append(labelEl);
      }
      edges.push({ from: source.from, to: source.to, kind, g, labelEl });
    }

    fill(this.world, bandLayer, edgeLayer, nodeLayer, labelLayer);
    this.current = { key, workflow, layout, bands, bandEls, nodes, edges };
    this.drawBandHeaders(workflow, bands);
    this.drawMinimap(layout, bands, workflow);

    const saved = this.views.get(workflow.id);
    if (!saved || !saved.touched) this.fit(false);
    else this.applyView(false);
  }

  drawCard(step, node) {
    const { width, height } = node;
    const type = STEP_TYPES[step.type] ?? { label: step.type, color: '#475569' };
    const tip = s('title');
    const g = s('g', {
      class: `step step-${step.type}${step.isStart ? ' step-start' : ''}`,
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
    const summary = summaryLines(step);
    const dy = (summary.length - 1) * SUMMARY_LINE;
    const detail = s('g', { class: 'detail' });
    detail.append(
      s('text', { class: 'step-label', x: PAD, y: 45, text: ellipsize(step.label, FONTS.label, width - 2 * PAD) }),
      ...summary.map((line, i) => s('text', { class: 'step-summary', x: PAD, y: 62 + i * SUMMARY_LINE, text: line })),
      s('line', { class: 'card-divider', x1: PAD, x2: width - PAD, y1: 72 + dy, y2: 72 + dy }),
    );

    const stat = (x, y, testid, caption) => {
      const value = s('text', { class: 'stat-value', x, y, 'data-testid': testid, text: '0' });
      const captionEl = s('text', { class: 'stat-caption', x, y: y + 13, text: caption });
      detail.append(value, captionEl);
      return { value, caption: captionEl };
    };
    const colW = (width - 2 * PAD) / (step.type === 'email' ? 3 : 2);
    const refs = { g, tip, step, width, height };
    refs.entered = stat(PAD, 92 + dy, 'step-entered', 'entered');
    refs.waiting = stat(PAD + colW, 92 + dy, 'step-waiting', 'waiting now');
    let badgeY = 112 + dy;
    if (step.type === 'email') {
      refs.sent = stat(PAD, 128 + dy, 'step-sent', 'sent');
      refs.opened = stat(PAD + colW, 128 + dy, 'step-opened', 'opened ');
      refs.clicked = stat(PAD + 2 * colW, 128 + dy, 'step-clicked', 'clicked ');
      for (const key of ['opened', 'clicked']) {
        refs[key].rate = s('tspan', { class: 'stat-rate', text: '–' });
        refs[key].caption.append(refs[key].rate);
      }
      badgeY = 148 + dy;
    }
    refs.badges = s('g', { class: 'badges', transform: `translate(${PAD},${badgeY})` });
    detail.append(refs.badges);

    // Zoomed far out, a card shows only what reads at that size: the label and the counts, large.
    const far = s('g', { class: 'far', 'aria-hidden': 'true' });
    refs.farEntered = s('tspan', { class: 'far-number', text: '0' });
    far.append(
      s('text', { class: 'far-label', x: PAD, y: 54, text: ellipsize(step.label, FONTS.far, width - 2 * PAD) }),
      s('text', { x: PAD, y: 89 }, refs.farEntered, s('tspan', { class: 'far-caption', text: ' entered' })));
    let farY = 110;
    if (step.type === 'email') {
      refs.farRates = s('text', { class: 'far-line', x: PAD, y: farY });
      far.append(refs.farRates);
      farY += 20;
    }
    refs.farWaiting = s('text', { class: 'far-line far-waiting', x: PAD, y: farY });
    refs.farOutcome = s('text', { class: 'far-line', x: PAD, y: farY + 19 });
    far.append(refs.farWaiting, refs.farOutcome);
    refs.here = s('g', { class: 'here-pill', transform: `translate(${width / 2 - 44},-23)` },
      s('rect', { width: 88, height: 20, rx: 10 }),
      s('text', { x: 44, y: 14, 'text-anchor': 'middle', text: 'customer here' }));
    g.append(detail, far, refs.here);
    return refs;
  }

  drawBandHeaders(workflow, bands) {
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

  drawMinimap(layout, bands) {
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
      layout.children.filter((n) => !n.id.startsWith(PLACEHOLDER_PREFIX)).map((n) => s('rect', { class: 'minimap-node', x: n.x, y: n.y, width: n.width, height: n.height, rx: 12 })));
    this.minimap.hidden = false;
  }

  // ---- live counts ---------------------------------------------------------------------

  updateCounts(workflow) {
    const cur = this.current;
    if (!cur) return;
    const all = workflow.metrics?.steps ?? {};
    for (const [id, refs] of cur.nodes) {
      const m = all[id] ?? {};
      const num = (key) => (typeof m[key] === 'number' ? m[key] : 0);
      const bump = (el, text) => {
        if (setText(el, text) && this.drawnOnce) {
          el.classList.remove('bump');
          void el.getBBox?.();
          el.classList.add('bump');
        }
      };
      bump(refs.entered.value, fmtInt(num('entered')));
      bump(refs.waiting.value, fmtInt(num('waiting')));
      refs.waiting.value.classList.toggle('is-active', num('waiting') > 0);
      if (refs.sent) {
        bump(refs.sent.value, fmtInt(num('sent')));
        bump(refs.opened.value, fmtInt(num('opened')));
        bump(refs.clicked.value, fmtInt(num('clicked')));
        setText(refs.opened.rate, rate(num('opened'), num('sent')));
        setText(refs.clicked.rate, rate(num('clicked'), num('sent')));
      }
      this.updateBadges(refs, num('dropped'), num('converted'));
      setText(refs.farEntered, fmtInt(num('entered')));
      setText(refs.farWaiting, num('waiting') > 0 ? `${fmtInt(num('waiting'))} waiting` : '');
      const farParts = [];
      if (num('converted') > 0) farParts.push(['far-converted', `✓ ${fmtInt(num('converted'))}`]);
      if (num('dropped') > 0) farParts.push(['far-dropped', `✕ ${fmtInt(num('dropped'))} dropped`]);
      const farKey = JSON.stringify(farParts);
      if (refs.farKey !== farKey) {
        refs.farKey = farKey;
        fill(refs.farOutcome, farParts.flatMap(([cls, text], i) => [i ? s('tspan', { class: 'far-sep', text: '  ' }) : null, s('tspan', { class: cls, text })]));
      }
      if (refs.farRates) setText(refs.farRates, `${rate(num('opened'), num('sent'))} open · ${rate(num('clicked'), num('sent'))} click`);
      const lines = [`${refs.step.label} (${refs.step.type}) · ${refs.step.summary}`, `stage: ${refs.step.stage ?? '–'}`];
      for (const key of ['entered', 'waiting', 'sent', 'opened', 'clicked', 'deferred', 'skipped', 'failed', 'bounced', 'complained', 'unsubscribed', 'converted', 'dropped']) {
        if (refs.step.type !== 'email' && ['sent', 'opened', 'clicked', 'deferred', 'skipped', 'failed', 'bounced', 'complained', 'unsubscribed'].includes(key) && !num(key)) continue;
        lines.push(`${key}: ${fmtInt(num(key))}`);
      }
      setText(refs.tip, lines.join('\n'));
    }
    this.drawnOnce = true;
  }

  updateBadges(refs, dropped, converted) {
    const key = `${dropped}|${converted}`;
    if (refs.badgeKey === key) return;
    refs.badgeKey = key;
    const items = [];
    let x = 0;
    const add = (cls, text, testid) => {
      const w = Math.ceil(textWidth(text, FONTS.badge)) + 14;
      items.push(s('g', { class: `badge ${cls}`, transform: `translate(${x},0)`, 'data-testid': testid },
        s('rect', { width: w, height: 18, rx: 9 }),
        s('text', { x: w / 2, y: 12.5, 'text-anchor': 'middle', text })));
      x += w + 6;
    };
    if (converted > 0) add('badge-converted', `converted ${fmtInt(converted)}`, 'step-converted');
    if (dropped > 0) add('badge-dropped', `dropped ${fmtInt(dropped)}`, 'step-dropped');
    fill(refs.badges, items);
  }

  applyHighlight() {
    const cur = this.current;
    if (!cur) return;
    const journey = this.highlighted?.find((j) => j.workflowId === cur.workflow.id) ?? null;
    const visited = new Set((journey?.path ?? []).map((p) => p.stepId));
    const pairs = new Set();
    (journey?.path ?? []).forEach((p, i, arr) => { if (i > 0) pairs.add(`${arr[i - 1].stepId}\u0000${p.stepId}`); });
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

  view() {
    const id = this.current?.workflow.id ?? '';
    let view = this.views.get(id);
    if (!view) {
      view = { k: 1, tx: 0, ty: BAND_HEADER, touched: false };
      this.views.set(id, view);
    }
    return view;
  }

  /** Fits the journey: whole when it is readable that way (or when asked), else full height from the start. */
  fit(all) {
    const cur = this.current;
    if (!cur) return;
    const view = this.view();
    const vw = Math.max(200, this.viewport.clientWidth);
    const vh = Math.max(160, this.viewport.clientHeight - BAND_HEADER);
    const { width, height } = cur.layout;
    const kAll = Math.min(vw / width, vh / height);
    if (all || kAll >= 0.6) {
      view.k = clamp(Math.min(kAll, 1), MIN_K, MAX_K);
      view.tx = (vw - width * view.k) / 2;
    } else {
      view.k = clamp(Math.min(0.9, vh / height), 0.6, 1);
      view.tx = 0;
    }
    view.ty = BAND_HEADER + Math.max(0, (vh - height * view.k) / 2);
    view.touched = Boolean(all);
    this.applyView(Boolean(all));
  }

  reset() {
    const view = this.view();
    view.k = 1;
    view.tx = 0;
    view.ty = BAND_HEADER;
    view.touched = true;
    this.applyView(true);
  }

  zoomBy(factor, cx, cy) {
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
  constrain(view) {
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

  applyView(animate) {
    const cur = this.current;
    if (!cur) return;
    const view = this.view();
    this.constrain(view);
    this.world.classList.toggle('animate', Boolean(animate));
    this.world.style.transform = `translate(${view.tx}px, ${view.ty}px) scale(${view.k})`;
    setText(this.zoomLabel, `${Math.round(view.k * 100)}%`);
    this.viewport.classList.toggle('far', view.k < 0.62);
    for (const el of this.bandHeaders.children) {
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

  onResize() {
    if (!this.current) return;
    const view = this.view();
    if (!view.touched) this.fit(false);
    else this.applyView(false);
  }

  bindPanZoom() {
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

    let drag = null;
    vp.addEventListener('pointerdown', (event) => {
      if (!this.current || event.button !== 0) return;
      if (event.target.closest('.graph-toolbar, .band-header, .minimap')) return;
      const view = this.view();
      drag = { id: event.pointerId, x: event.clientX, y: event.clientY, tx: view.tx, ty: view.ty, moved: false };
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
    const end = (event) => {
      if (!drag || event.pointerId !== drag.id) return;
      vp.classList.remove('dragging');
      drag = null;
    };
    vp.addEventListener('pointerup', end);
    vp.addEventListener('pointercancel', end);

    // minimap: click or drag to move the view
    const moveTo = (event) => {
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
      const moves = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
      if (moves[event.key]) {
        view.tx += moves[event.key][0];
        view.ty += moves[event.key][1];
        view.touched = true;
        this.applyView(false);
        event.preventDefault();
      } else if (event.key === '+' || event.key === '=') this.zoomBy(1.2);
      else if (event.key === '-') this.zoomBy(1 / 1.2);
      else if (event.key === '0') this.fit(true);
    });
  }
}
