/**
 * The journey graph laid out by ELK, in Node, when the report is generated:
 * layered, left to right, partitioned into one column per stage (each step's
 * stage from `journeyGraph`). The report draws the result as a static SVG.
 */
import ELK from 'elkjs/lib/elk.bundled.js';
import type { ElkExtendedEdge, ElkNode, ElkPoint } from 'elkjs/lib/elk-api';
import type { GraphEdge, GraphStep, JourneyGraph } from '../engine/graph';
import { textWidth } from './text-width';

/** Sizes of the cards the SVG draws, in px. */
export const CARD = {
  email: { width: 228, height: 114 },
  other: { width: 196, height: 114 },
} as const;

export const EDGE_LABEL_SIZE = 10.5;
/** Room above the nodes for the stage column headers. */
export const BAND_HEADER = 36;

/** A synthetic node for the goal: where conversions land (its stage's column). */
export const GOAL_NODE_ID = '\u0000goal';

export interface PlacedNode {
  id: string;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Index of the stage column (ELK partition). */
  partition: number;
}

export interface PlacedEdge {
  edge: GraphEdge;
  /** Routed polylines, one per ELK section. */
  sections: ElkPoint[][];
  label: { text: string; x: number; y: number; width: number; height: number } | null;
}

export interface StageBand {
  stage: string;
  /** Position of the stage in the workflow's stages (0-based). */
  index: number;
  x0: number;
  x1: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: Map<string, PlacedNode>;
  edges: PlacedEdge[];
  bands: StageBand[];
}

/** The graph to lay out: the steps, plus the goal node when the workflow has a goal stage. */
export interface LayoutInput {
  graph: JourneyGraph;
  /** The stage the goal sets, and the step it jumps to (when `then` is not "exit"). */
  goal?: { stage: string | null; then: string | null } | undefined;
  /** The size of each step's card (default: the report's CARD sizes); the journey map's cards are larger. */
  cardOf?: (step: GraphStep) => { width: number; height: number };
}

export function cardSize(type: GraphStep['type'] | 'goal'): { width: number; height: number } {
  return type === 'email' ? CARD.email : CARD.other;
}

function partitionOf(stage: string | null, stages: readonly string[]): number {
  const index = stage === null ? 0 : stages.indexOf(stage);
  return index < 0 ? 0 : index;
}

const LAYOUT_OPTIONS = {
  'elk.algorithm': 'layered',
  'elk.direction': 'RIGHT',
  'elk.partitioning.activate': 'true',
  'elk.separateConnectedComponents': 'false',
  'elk.edgeRouting': 'ORTHOGONAL',
  'elk.layered.spacing.nodeNodeBetweenLayers': '52',
  'elk.layered.spacing.edgeNodeBetweenLayers': '16',
  'elk.layered.spacing.edgeEdgeBetweenLayers': '10',
  'elk.spacing.nodeNode': '28',
  'elk.spacing.edgeNode': '16',
  'elk.spacing.edgeEdge': '10',
  'elk.spacing.edgeLabel': '3',
  'elk.edgeLabels.placement': 'CENTER',
  'elk.layered.nodePlacement.strategy': 'BRANDES_KOEPF',
  'elk.layered.nodePlacement.bk.fixedAlignment': 'BALANCED',
  'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
  'elk.padding': `[top=${BAND_HEADER + 14},left=24,bottom=24,right=24]`,
};

/** Lays the journey out with ELK. Deterministic: the same workflow gives the same picture. */
export async function layoutJourney(input: LayoutInput): Promise<GraphLayout> {
  const { graph } = input;
  const stepIds = new Set(graph.steps.map((s) => s.id));
  const partitions = new Map<string, number>();
  const children: ElkNode[] = graph.steps.map((step) => {
    const partition = partitionOf(step.stage, graph.stages);
    partitions.set(step.id, partition);
    return { id: step.id, ...(input.cardOf ? input.cardOf(step) : cardSize(step.type)), layoutOptions: { 'elk.partitioning.partition': String(partition) } };
  });
  const drawn: GraphEdge[] = graph.edges.filter((e) => stepIds.has(e.from) && stepIds.has(e.to));
  if (input.goal) {
    // A goal without a stage sits in the last column that has steps.
    const partition = input.goal.stage === null ? Math.max(0, ...partitions.values()) : partitionOf(input.goal.stage, graph.stages);
    partitions.set(GOAL_NODE_ID, partition);
    children.push({ id: GOAL_NODE_ID, ...cardSize('goal'), layoutOptions: { 'elk.partitioning.partition': String(partition) } });
    if (input.goal.then !== null && stepIds.has(input.goal.then)) drawn.push({ from: GOAL_NODE_ID, to: input.goal.then, label: 'goal' });
  }
  const edges: ElkExtendedEdge[] = drawn.map((edge, i) => ({
    id: `e${i}`,
    sources: [edge.from],
    targets: [edge.to],
    labels: edge.label === '' ? [] : [{ id: `e${i}l`, text: edge.label, width: Math.ceil(textWidth(edge.label, EDGE_LABEL_SIZE)) + 14, height: 18 }],
  }));

  const elk = new ELK();
  const root: ElkNode = { id: 'root', layoutOptions: LAYOUT_OPTIONS, children, edges };
  const result = await elk.layout(root);

  const nodes = new Map<string, PlacedNode>();
  for (const child of result.children ?? []) {
    nodes.set(child.id, { id: child.id, x: child.x ?? 0, y: child.y ?? 0, width: child.width ?? 0, height: child.height ?? 0, partition: partitions.get(child.id) ?? 0 });
  }
  const placedEdges: PlacedEdge[] = (result.edges ?? []).flatMap((laid) => {
    const edge = drawn[Number(laid.id.slice(1))];
    if (!edge) return [];
    const sections = (laid.sections ?? []).map((s) => [s.startPoint, ...(s.bendPoints ?? []), s.endPoint]);
    const label = laid.labels?.[0];
    return [{
      edge,
      sections,
      label: label ? { text: edge.label, x: label.x ?? 0, y: label.y ?? 0, width: label.width ?? 0, height: label.height ?? 0 } : null,
    }];
  });
  const width = result.width ?? 0;
  return { width, height: result.height ?? 0, nodes, edges: placedEdges, bands: bandsOf(nodes, graph.stages, width) };
}

/** One band per stage that has nodes: from the middle of the gap before its first node to the middle of the gap after its last. */
function bandsOf(nodes: Map<string, PlacedNode>, stages: readonly string[], width: number): StageBand[] {
  const extents = stages.map(() => ({ min: Infinity, max: -Infinity }));
  for (const node of nodes.values()) {
    const extent = extents[node.partition];
    if (!extent) continue;
    extent.min = Math.min(extent.min, node.x);
    extent.max = Math.max(extent.max, node.x + node.width);
  }
  const bands: StageBand[] = [];
  let left = 0;
  extents.forEach((extent, index) => {
    if (!Number.isFinite(extent.min)) return;
    const next = extents.findIndex((e, j) => j > index && Number.isFinite(e.min));
    const right = next === -1 ? width : (extent.max + extents[next]!.min) / 2;
    bands.push({ stage: stages[index]!, index, x0: left, x1: right });
    left = right;
  });
  return bands;
}

/** A layout as JSON (the journey map's API): nodes as a list instead of a Map. */
export interface LayoutJson {
  width: number;
  height: number;
  nodes: PlacedNode[];
  edges: Array<{ from: string; to: string; label: string; sections: ElkPoint[][]; labelBox: { x: number; y: number; width: number; height: number } | null }>;
  bands: StageBand[];
}

export function layoutJson(layout: GraphLayout): LayoutJson {
  return {
    width: layout.width,
    height: layout.height,
    nodes: [...layout.nodes.values()],
    edges: layout.edges.map((e) => ({ from: e.edge.from, to: e.edge.to, label: e.edge.label, sections: e.sections, labelBox: e.label ? { x: e.label.x, y: e.label.y, width: e.label.width, height: e.label.height } : null })),
    bands: layout.bands,
  };
}
