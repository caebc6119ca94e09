// Small helpers shared by the journey map modules: DOM building (text only, never HTML
// strings, since customer data is untrusted), number / time formatting (lib/report's), fetching.
import { formatCount, formatDuration } from '../../report/format';
import { STEP_TYPE_STYLE, stageHue } from '../../report/palette';
import type { SvgNode } from '../../report/svg-tree';

export { stageHue };

const SVG_NS = 'http://www.w3.org/2000/svg';

type PropValue = string | number | boolean | null | undefined | Record<string, string> | ((event: never) => void);
export type Props = Record<string, PropValue>;
export type Child = Node | string | number | null | undefined | false | readonly Child[];

function applyProps(el: HTMLElement | SVGElement, props: Props | undefined): void {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', String(value));
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset' && typeof value === 'object') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, v);
        else el.style.setProperty(prop.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v);
      }
    } else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value as EventListener);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el: Element, children: readonly Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('div', { class: 'x', text: 'hello' }, ...children): strings become text nodes. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, props?: Props, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag) as SVGElementTagNameMap[K];
  applyProps(el, props);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill<E extends Element>(el: E, ...children: Child[]): E {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed; returns whether it did. */
export function setText(el: Element, text: unknown): boolean {
  const value = String(text);
  if (el.textContent === value) return false;
  el.textContent = value;
  return true;
}

/** 12345 → "12,345" (0 for anything that is not a number). */
export const fmtInt = (n: unknown): string => (typeof n === 'number' && Number.isFinite(n) ? formatCount(n) : '0');

/** A ratio (0..1) as a percentage: "45%", "4.5%", "0%". */
export function fmtPct(ratio: number | null | undefined): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 10) return `${(Math.round(pct * 10) / 10).toString()}%`;
  return `${Math.round(pct)}%`;
}

/** part / whole as a percentage, '–' when whole is 0. */
export const rate = (part: number, whole: number): string => (whole > 0 ? fmtPct(part / whole) : '–');

/** Milliseconds, humanised (the report's format): "40 s", "12 min", "5 h", "2.3 days", "3 weeks". */
export const fmtDuration = (ms: number | null | undefined): string => formatDuration(ms);

/** "3 h ago" / "in 2 days", relative to the dev clock. */
export function fmtRelative(iso: string, nowMs: number): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !Number.isFinite(nowMs)) return '';
  const diff = nowMs - t;
  if (Math.abs(diff) < 45_000) return 'just now';
  return diff > 0 ? `${fmtDuration(diff)} ago` : `in ${fmtDuration(-diff)}`;
}

/** "3 h ago" for things that happened (a moment in the future, from clock jitter, is "just now"). */
export function fmtAgo(iso: string | null, nowMs: number): string {
  if (iso === null) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !Number.isFinite(nowMs)) return '';
  return nowMs - t < 45_000 ? 'just now' : `${fmtDuration(nowMs - t)} ago`;
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const shortFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

export function fmtDateTime(isoOrMs: string | number): string {
  const t = typeof isoOrMs === 'number' ? isoOrMs : Date.parse(isoOrMs);
  return Number.isFinite(t) ? dateTimeFormat.format(t) : '–';
}
export function fmtShort(isoOrMs: string | number): string {
  const t = typeof isoOrMs === 'number' ? isoOrMs : Date.parse(isoOrMs);
  return Number.isFinite(t) ? shortFormat.format(t) : '–';
}

/** The clock speed in words: "×3,600: one hour per second". */
export function fmtSpeed(speed: number): string {
  if (!Number.isFinite(speed) || speed <= 0) return 'paused';
  if (speed === 1) return 'real time';
  const named: Record<number, string> = { 60: 'one minute', 3600: 'one hour', 86400: 'one day', 604800: 'one week' };
  const per = named[speed] ?? fmtDuration(speed * 1000);
  return `×${fmtInt(speed)}: ${per} per second`;
}

/** Only http(s) URLs (or same-origin paths) become hrefs: no javascript: from the API. */
export function safeUrl(url: unknown): string | null {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    url: string,
  ) {
    super(`${url}: HTTP ${status}`);
  }
}

/** GET JSON with a timeout. */
export async function getJSON<T>(url: string, { timeoutMs = 6000, signal }: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    const res = await fetch(url, { signal: controller.signal, cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new HttpError(res.status, url);
    return (await res.json()) as T;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

let measureCtx: CanvasRenderingContext2D | null = null;
/** Text width in px for a CSS font shorthand (used to size SVG labels). */
export function textWidth(text: string, font: string): number {
  measureCtx ??= document.createElement('canvas').getContext('2d')!;
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

/** Cuts text with an ellipsis so it fits maxWidth px. */
export function ellipsize(text: unknown, font: string, maxWidth: number): string {
  const value = String(text ?? '');
  if (textWidth(value, font) <= maxWidth) return value;
  let lo = 0;
  let hi = value.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (textWidth(`${value.slice(0, mid)}…`, font) <= maxWidth) lo = mid;
    else hi = mid - 1;
  }
  return `${value.slice(0, lo).trimEnd()}…`;
}

/** The font stack, also used for canvas measurements. */
export const FONT_STACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", "Liberation Sans", sans-serif';

export const STEP_TYPES: Record<string, { label: string; color: string }> = STEP_TYPE_STYLE;

/** 16×16 icon paths per step type (stroke-only, drawn with currentColor). */
export const TYPE_ICONS: Record<string, string> = {
  email: 'M2 4h12v8H2z M2 4l6 5 6-5',
  wait: 'M8 2a6 6 0 1 0 0 12A6 6 0 1 0 8 2z M8 5v3.5l2.5 1.5',
  branch: 'M8 1.5l6.5 6.5L8 14.5 1.5 8z M5.5 8h5',
  split: 'M2 8h4 M6 8l6-4.5 M6 8l6 4.5 M10 3h2.5v2.5 M10 13h2.5v-2.5',
  holdout: 'M8 1.8l5.5 2v4c0 3.3-2.4 5.4-5.5 6.4-3.1-1-5.5-3.1-5.5-6.4v-4z M6.2 6v4.2 M9.8 6v4.2',
  stage: 'M3.5 14.5V2 M3.5 2.5h9l-2 3 2 3h-9',
  exit: 'M6.5 2.5h-4v11h4 M7 8h7 M11 5l3 3-3 3',
};

export const STATUS_COLORS: Record<string, string> = {
  active: '#2563eb',
  converted: '#15803d',
  completed: '#64748b',
  exited: '#b45309',
  holdout: '#7c3aed',
  suppressed: '#be123c',
};

/** A drawing of lib/report (svg-tree) as DOM nodes: attributes and text set as such, never parsed. */
export function svgNode(node: SvgNode | string): Node {
  if (typeof node === 'string') return document.createTextNode(node);
  const el = document.createElementNS(SVG_NS, node.tag);
  for (const [name, value] of Object.entries(node.attrs)) el.setAttribute(name, String(value));
  for (const child of node.children) el.append(svgNode(child));
  return el;
}

export const $ = <E extends HTMLElement = HTMLElement>(id: string): E => document.getElementById(id) as E;
