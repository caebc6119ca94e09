/**
 * The journey graph as static SVG: stage columns, step cards with their
 * counts, ELK's routed edges with their labels. For print, the same drawing
 * is shown again in page-wide slices cut between layers (`<use>` of the
 * drawn group), so a long journey stays readable on A4.
 */
import type { GraphStep, JourneyGraph } from '../engine/graph';
import type { StepMetrics, WorkflowMetrics } from '../runtime/journey-metrics';
import { escapeHtml as esc, formatCompact, formatDuration } from './format';
import { BAND_HEADER, EDGE_LABEL_SIZE, GOAL_NODE_ID, type GraphLayout, type PlacedNode } from './layout';
import { ellipsize, textWidth } from './text-width';

export const SVG_FONT = 'Arial, "Liberation Sans", Helvetica, sans-serif';

export { STEP_TYPE_STYLE, stageHue } from './palette';
import { STEP_TYPE_STYLE, stageHue } from './palette';

const PAD = 12;
const round = (n: number) => Math.round(n * 10) / 10;

export interface GoalCard {
  label: string;
  summary: string;
  converted: number;
  averageTimeToConvertMs: number | null;
}

interface Stat {
  value: string;
  caption: string;
  tone?: 'good' | 'warn';
}

function statsOf(step: GraphStep, m: StepMetrics): Stat[] {
  const stats: Stat[] = [{ value: formatCompact(m.entered), caption: 'entered' }];
  if (step.type === 'email') {
    stats.push({ value: formatCompact(m.sent), caption: 'sent' }, { value: formatCompact(m.opened), caption: 'opened' }, { value: formatCompact(m.clicked), caption: 'clicked' });
  } else if (step.type === 'wait') {
    stats.push({ value: formatCompact(m.waiting), caption: 'waiting now' });
  } else if (step.type === 'holdout') {
    stats.push({ value: formatCompact(m.dropped), caption: 'held out' });
  }
  if (m.converted > 0) stats.push({ value: formatCompact(m.converted), caption: 'converted', tone: 'good' });
  if (m.dropped > 0 && step.type !== 'holdout') stats.push({ value: formatCompact(m.dropped), caption: step.type === 'exit' ? 'ended' : 'left here', tone: 'warn' });
  return stats.slice(0, step.type === 'email' ? 4 : 3);
}

interface CardContent {
  type: GraphStep['type'] | 'goal';
  label: string;
  summary: string;
  stats: Stat[];
  badges: string[];
  /** Extra attributes of the card's group (already escaped). */
  attributes: string;
  tooltip: string;
}

function card(node: PlacedNode, content: CardContent): string {
  const { width, height } = node;
  const { type } = content;
  const style = STEP_TYPE_STYLE[type];
  const parts: string[] = [];
  parts.push(`<title>${esc(content.tooltip)}</title>`);
  parts.push(`<rect class="card" width="${width}" height="${height}" rx="8" fill="#ffffff" stroke="${type === 'goal' ? '#86c79b' : '#cfd6df'}"${type === 'goal' ? ' stroke-dasharray="5 3"' : ''}/>`);
  parts.push(`<path fill="${style.color}" fill-opacity="0.09" d="M0.5,27 V8 A7.5,7.5 0 0 1 8,0.5 H${width - 8} A7.5,7.5 0 0 1 ${width - 0.5},8 V27 Z"/>`);
  const typeText = style.label.toUpperCase();
  parts.push(`<text class="node-type" x="${PAD}" y="18" fill="${style.color}" font-size="9.5" font-weight="700" letter-spacing="0.8">${esc(typeText)}</text>`);
  // Badges from the right, in the room the type label leaves.
  let right = width - PAD + 2;
  const leftLimit = PAD + textWidth(typeText, 9.5, true) + typeText.length * 0.8 + 10;
  for (const badge of content.badges) {
    const text = ellipsize(badge, 9.5, right - leftLimit - 12, true);
    if (text === '…' || text === '') break;
    const w = Math.ceil(textWidth(text, 9.5, true)) + 12;
    right -= w;
    parts.push(`<g class="badge" transform="translate(${round(right)},6)"><rect width="${w}" height="15" rx="7.5" fill="#ffffff" stroke="#cfd6df"/><text x="${w / 2}" y="11" text-anchor="middle" font-size="9.5" font-weight="700" fill="#475569">${esc(text)}</text></g>`);
    right -= 5;
  }
  parts.push(`<text class="node-label" x="${PAD}" y="46" font-size="13" font-weight="700" fill="#18212c">${esc(ellipsize(content.label, 13, width - 2 * PAD, true))}</text>`);
  parts.push(`<text class="node-summary" x="${PAD}" y="62" font-size="11" fill="#5b6573">${esc(ellipsize(content.summary, 11, width - 2 * PAD))}</text>`);
  parts.push(`<line class="node-divider" x1="${PAD}" x2="${width - PAD}" y1="72" y2="72" stroke="#edf0f4"/>`);
  const columnWidth = (width - 2 * PAD) / (type === 'email' ? 4 : type === 'goal' ? 2 : 3);
  content.stats.forEach((stat, i) => {
    const x = round(PAD + i * columnWidth);
    const fill = stat.tone === 'good' ? '#15803d' : stat.tone === 'warn' ? '#be123c' : '#18212c';
    parts.push(`<text class="stat-value" x="${x}" y="${height - 22}" font-size="14" font-weight="700" fill="${fill}">${esc(ellipsize(stat.value, 14, columnWidth - 4, true))}</text>`);
    parts.push(`<text class="stat-caption" x="${x}" y="${height - 9}" font-size="9.5" fill="#7b8593">${esc(ellipsize(stat.caption, 9.5, columnWidth - 4))}</text>`);
  });
  return `<g class="node node-${type}" transform="translate(${round(node.x)},${round(node.y)})" ${content.attributes}>${parts.join('')}</g>`;
}

/** An ELK polyline as a path with softened corners. */
function polylinePath(points: Array<{ x: number; y: number }>, radius = 7): string {
  const first = points[0]!;
  let d = `M${round(first.x)},${round(first.y)}`;
  for (let i = 1; i < points.length; i++) {
    const p = points[i]!;
    const next = points[i + 1];
    if (!next) {
      d += ` L${round(p.x)},${round(p.y)}`;
      break;
    }
    const prev = points[i - 1]!;
    const inLength = Math.hypot(p.x - prev.x, p.y - prev.y);
    const outLength = Math.hypot(next.x - p.x, next.y - p.y);
    const r = Math.min(radius, inLength / 2, outLength / 2);
    if (r < 0.5) {
      d += ` L${round(p.x)},${round(p.y)}`;
      continue;
    }
    const ax = p.x - ((p.x - prev.x) / inLength) * r;
    const ay = p.y - ((p.y - prev.y) / inLength) * r;
    const bx = p.x + ((next.x - p.x) / outLength) * r;
    const by = p.y + ((next.y - p.y) / outLength) * r;
    d += ` L${round(ax)},${round(ay)} Q${round(p.x)},${round(p.y)} ${round(bx)},${round(by)}`;
  }
  return d;
}

function edgeKind(label: string): 'timeout' | 'goal' | 'event' | 'plain' {
  if (label === 'timeout') return 'timeout';
  if (label === 'goal') return 'goal';
  if (label === 'event') return 'event';
  return 'plain';
}

const EDGE_COLORS = { plain: '#94a3b8', event: '#0f766e', timeout: '#d08a2c', goal: '#15803d' } as const;
const LABEL_COLORS = {
  plain: { fill: '#ffffff', stroke: '#cfd6df', text: '#4b5563' },
  event: { fill: '#eef8f6', stroke: '#9fd3cb', text: '#0f766e' },
  timeout: { fill: '#fffaf2', stroke: '#eec48a', text: '#9a5b0f' },
  goal: { fill: '#e8f6ed', stroke: '#a7d9b6', text: '#15803d' },
} as const;
const BAND_TITLE_FONT = 'font-size="11.5" font-weight="700" letter-spacing="0.9"';

/**
 * The drawing's group (id `${prefix}-graph`), inside an SVG sized to the
 * layout, with the arrowhead markers it refers to.
 */
export function graphSvg(options: { prefix: string; title: string; graph: JourneyGraph; layout: GraphLayout; metrics: WorkflowMetrics; goal?: GoalCard | undefined }): string {
  const { prefix, graph, layout, metrics } = options;
  const width = Math.ceil(layout.width);
  const height = Math.ceil(layout.height);
  const markers = (Object.keys(EDGE_COLORS) as Array<keyof typeof EDGE_COLORS>)
    .map((kind) => `<marker id="${prefix}-arrow-${kind}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" fill="${EDGE_COLORS[kind]}"/></marker>`)
    .join('');

  const bands = layout.bands
    .map((band) => {
      const hue = stageHue(band.index);
      const w = round(band.x1 - band.x0);
      return (
        `<g class="band" data-stage="${esc(band.stage)}">` +
        `<rect x="${round(band.x0)}" y="0" width="${w}" height="${height}" fill="hsl(${hue} 60% 97%)"/>` +
        `<rect x="${round(band.x0)}" y="0" width="${w}" height="${BAND_HEADER}" fill="hsl(${hue} 55% 92%)"/>` +
        `<line x1="${round(band.x1)}" x2="${round(band.x1)}" y1="0" y2="${height}" stroke="#d5dbe3" stroke-dasharray="4 5"/>` +
        `<text class="band-title" x="${round(band.x0 + 16)}" y="23" fill="hsl(${hue} 45% 30%)" ${BAND_TITLE_FONT}>${esc(ellipsize(`${band.index + 1}  ${band.stage.toUpperCase()}`, 11.5, Math.max(0, w - 24), true))}</text>` +
        `</g>`
      );
    })
    .join('');

  const edges: string[] = [];
  const labels: string[] = [];
  for (const placed of layout.edges) {
    const kind = edgeKind(placed.edge.label);
    const paths = placed.sections
      .map((points, i) => `<path d="${polylinePath(points)}"${i === placed.sections.length - 1 ? ` marker-end="url(#${prefix}-arrow-${kind})"` : ''}/>`)
      .join('');
    const dashed = kind === 'timeout' || kind === 'goal' ? ' stroke-dasharray="6 4"' : '';
    edges.push(`<g class="edge edge-${kind}" data-from="${esc(placed.edge.from)}" data-to="${esc(placed.edge.to)}" fill="none" stroke="${EDGE_COLORS[kind]}" stroke-width="1.6"${dashed}>${paths}</g>`);
    if (placed.label) {
      const { x, y, width: w, height: h, text } = placed.label;
      labels.push(
        `<g class="edge-label edge-label-${kind}" transform="translate(${round(x)},${round(y)})"><rect width="${round(w)}" height="${round(h)}" rx="9" fill="${LABEL_COLORS[kind].fill}" stroke="${LABEL_COLORS[kind].stroke}"/><text x="${round(w / 2)}" y="${round(h / 2 + EDGE_LABEL_SIZE * 0.36)}" text-anchor="middle" font-size="${EDGE_LABEL_SIZE}" font-weight="600" fill="${LABEL_COLORS[kind].text}">${esc(text)}</text></g>`,
      );
    }
  }

  const nodes: string[] = [];
  for (const step of graph.steps) {
    const node = layout.nodes.get(step.id);
    const m = metrics.steps[step.id];
    if (!node || !m) continue;
    const badges = [...(step.isStart ? ['START'] : []), ...(step.setsStage && step.stage !== null ? [`→ ${step.stage}`] : [])];
    const label = step.label;
    const tooltip = `${label}${label === step.id ? '' : ` (${step.id})`}: ${step.summary}`;
    nodes.push(card(node, { type: step.type, label, summary: step.summary, stats: statsOf(step, m), badges, attributes: `data-step-id="${esc(step.id)}" data-step-type="${step.type}"`, tooltip }));
  }
  const goalNode = layout.nodes.get(GOAL_NODE_ID);
  if (goalNode && options.goal) {
    const g = options.goal;
    const stats: Stat[] = [
      { value: formatCompact(g.converted), caption: 'converted', tone: 'good' },
      { value: formatDuration(g.averageTimeToConvertMs), caption: 'avg. time' },
    ];
    nodes.push(card(goalNode, { type: 'goal', label: g.label, summary: g.summary, stats, badges: [], attributes: 'data-goal="true"', tooltip: `${g.label}: ${g.summary}` }));
  }

  return (
    `<svg class="journey-graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(`Journey graph: ${options.title}`)}" font-family='${SVG_FONT}'>` +
    `<defs>${markers}</defs>` +
    `<g id="${prefix}-graph">${bands}<g class="edges">${edges.join('')}</g><g class="nodes">${nodes.join('')}</g><g class="edge-labels">${labels.join('')}</g></g>` +
    `</svg>`
  );
}

/**
 * Page-wide slices of the drawing for print, cut in the gaps between layers
 * (never through a card) and trimmed to what they show, each headed with the
 * stages it spans.
 */
export function printSlices(options: { prefix: string; layout: GraphLayout; maxWidth: number }): string {
  const { layout, prefix, maxWidth } = options;
  const width = Math.ceil(layout.width);
  const slices: Array<[number, number]> = [];
  if (width <= maxWidth) {
    slices.push([0, width]);
  } else {
    // Cut candidates: the middle of each gap between node columns.
    const spans = [...layout.nodes.values()].map((n) => [n.x, n.x + n.width] as const).sort((a, b) => a[0] - b[0]);
    const cuts: number[] = [];
    let reach = -Infinity;
    for (const [x0, x1] of spans) {
      if (reach !== -Infinity && x0 > reach) cuts.push((reach + x0) / 2);
      reach = Math.max(reach, x1);
    }
    let start = 0;
    while (start < width) {
      let end = width;
      if (width - start > maxWidth) {
        const fitting = cuts.filter((c) => c > start && c - start <= maxWidth);
        end = fitting.length > 0 ? fitting[fitting.length - 1]! : Math.min(width, start + maxWidth);
      }
      slices.push([start, end]);
      start = end;
    }
  }
  return slices
    .map(([x0, x1]) => {
      const { top, bottom } = extentWithin(layout, x0, x1);
      // Trim the empty space above and below; the stage headers are drawn again at the new top.
      const y0 = Math.max(0, Math.floor(top - BAND_HEADER - 16));
      const y1 = Math.min(Math.ceil(layout.height), Math.ceil(bottom + 20));
      const headers = layout.bands
        .filter((band) => band.x1 > x0 + 1 && band.x0 < x1 - 1)
        .map((band) => {
          const left = Math.max(band.x0, x0);
          const w = Math.min(band.x1, x1) - left;
          const hue = stageHue(band.index);
          const title = `${band.index + 1}  ${band.stage.toUpperCase()}${band.x0 < x0 - 1 ? ' (cont.)' : ''}`;
          return `<rect x="${round(left)}" y="${y0}" width="${round(w)}" height="${BAND_HEADER}" fill="hsl(${hue} 55% 92%)"/><text x="${round(left + 16)}" y="${y0 + 23}" fill="hsl(${hue} 45% 30%)" ${BAND_TITLE_FONT}>${esc(ellipsize(title, 11.5, w - 24, true))}</text>`;
        })
        .join('');
      const w = round(x1 - x0);
      return `<svg class="graph-slice" viewBox="${round(x0)} ${y0} ${w} ${y1 - y0}" style="width:${round(((x1 - x0) / maxWidth) * 100)}%;aspect-ratio:${w} / ${y1 - y0}" font-family='${SVG_FONT}' aria-hidden="true"><use href="#${prefix}-graph"/>${headers}</svg>`;
    })
    .join('');
}

/** The highest and lowest points drawn between x0 and x1 (nodes, edges, labels). */
function extentWithin(layout: GraphLayout, x0: number, x1: number): { top: number; bottom: number } {
  const overlaps = (a: number, b: number) => Math.max(a, b) >= x0 && Math.min(a, b) <= x1;
  let top = Infinity;
  let bottom = -Infinity;
  const cover = (...ys: number[]) => {
    top = Math.min(top, ...ys);
    bottom = Math.max(bottom, ...ys);
  };
  for (const node of layout.nodes.values()) if (overlaps(node.x, node.x + node.width)) cover(node.y, node.y + node.height);
  for (const edge of layout.edges) {
    for (const points of edge.sections) {
      for (let i = 1; i < points.length; i++) {
        const a = points[i - 1]!;
        const b = points[i]!;
        if (overlaps(a.x, b.x)) cover(a.y, b.y);
      }
    }
    const label = edge.label;
    if (label && overlaps(label.x, label.x + label.width)) cover(label.y, label.y + label.height);
  }
  return Number.isFinite(top) ? { top, bottom } : { top: BAND_HEADER, bottom: layout.height };
}
