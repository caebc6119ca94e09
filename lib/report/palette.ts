/**
 * Colours shared by the report and the journey map: one per step type, one
 * hue per stage position. Pure data: the map's browser bundle imports it.
 */
import type { GraphStep } from '../engine/graph';

/** Colour per step type (the journey map's palette). */
export const STEP_TYPE_STYLE: Record<GraphStep['type'] | 'goal', { label: string; color: string }> = {
  email: { label: 'Email', color: '#2563eb' },
  wait: { label: 'Wait', color: '#b45309' },
  branch: { label: 'Branch', color: '#7c3aed' },
  split: { label: 'Split', color: '#c026d3' },
  holdout: { label: 'Holdout', color: '#475569' },
  stage: { label: 'Stage', color: '#0f766e' },
  exit: { label: 'Exit', color: '#be123c' },
  goal: { label: 'Goal', color: '#15803d' },
};

const STAGE_HUES = [205, 262, 35, 145, 180, 330, 20, 95];
/** A stable hue per stage position: the funnel and the graph's columns share it. */
export const stageHue = (index: number) => STAGE_HUES[((index % STAGE_HUES.length) + STAGE_HUES.length) % STAGE_HUES.length]!;
