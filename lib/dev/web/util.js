// Small helpers shared by the journey map modules: DOM building (text only, never HTML
// strings, since customer data is untrusted), number / time formatting, fetching.

const SVG_NS = 'http://www.w3.org/2000/svg';

function applyProps(el, props) {
  if (!props) return;
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.setAttribute('class', value);
    else if (key === 'text') el.textContent = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'style' && typeof value === 'object') {
      for (const [prop, v] of Object.entries(value)) {
        if (prop.startsWith('--')) el.style.setProperty(prop, v);
        else el.style[prop] = v;
      }
    }
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** h('div', { class: 'x', text: 'hello' }, ...children): strings become text nodes. */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** The same for SVG elements. */
export function s(tag, props, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  applyProps(el, props);
  append(el, children);
  return el;
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets text only when it changed; returns whether it did. */
export function setText(el, text) {
  const value = String(text);
  if (el.textContent === value) return false;
  el.textContent = value;
  return true;
}

const intFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export const fmtInt = (n) => (typeof n === 'number' && Number.isFinite(n) ? intFormat.format(n) : '0');

/** A ratio (0..1) as a percentage: "45%", "4.5%", "0%". */
export function fmtPct(ratio) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  if (pct < 10) return `${(Math.round(pct * 10) / 10).toString()}%`;
  return `${Math.round(pct)}%`;
}

/** part / whole as a percentage, '–' when whole is 0. */
export const rate = (part, whole) => (whole > 0 ? fmtPct(part / whole) : '–');

function trim1(n) {
  const r = Math.round(n * 10) / 10;
  return Number.isInteger(r) ? String(r) : r.toFixed(1);
}

/** Milliseconds, humanised: "40 s", "12 min", "5 h", "2.3 days", "3 weeks". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const abs = Math.abs(ms);
  const sec = abs / 1000;
  if (sec < 60) return `${Math.round(sec)} s`;
  const min = sec / 60;
  if (min < 60) return `${Math.round(min)} min`;
  const hours = min / 60;
  if (hours < 24) return `${trim1(hours)} h`;
  const days = hours / 24;
  if (days < 14) return `${trim1(days)} ${trim1(days) === '1' ? 'day' : 'days'}`;
  if (days < 60) return `${trim1(days / 7)} weeks`;
  return `${trim1(days / 30.44)} months`;
}

/** "3 h ago" / "in 2 days", relative to the dev clock. */
export function fmtRelative(iso, nowMs) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !Number.isFinite(nowMs)) return '';
  const diff = nowMs - t;
  if (Math.abs(diff) < 45_000) return 'just now';
  return diff > 0 ? `${fmtDuration(diff)} ago` : `in ${fmtDuration(-diff)}`;
}

/** "3 h ago" for things that happened (a moment in the future, from clock jitter, is "just now"). */
export function fmtAgo(iso, nowMs) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t) || !Number.isFinite(nowMs)) return '';
  return nowMs - t < 45_000 ? 'just now' : `${fmtDuration(nowMs - t)} ago`;
}

const dateTimeFormat = new Intl.DateTimeFormat('en-GB', {
  weekday: 'short', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});
const shortFormat = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });

export function fmtDateTime(isoOrMs) {
  const t = typeof isoOrMs === 'number' ? isoOrMs : Date.parse(isoOrMs);
  return Number.isFinite(t) ? dateTimeFormat.format(t) : '–';
}
export function fmtShort(isoOrMs) {
  const t = typeof isoOrMs === 'number' ? isoOrMs : Date.parse(isoOrMs);
  return Number.isFinite(t) ? shortFormat.format(t) : '–';
}

/** The clock speed in words: "×3,600: one hour per second". */
export function fmtSpeed(speed) {
  if (!Number.isFinite(speed) || speed <= 0) return 'paused';
  if (speed === 1) return 'real time';
  const named = { 60: 'one minute', 3600: 'one hour', 86400: 'one day', 604800: 'one week' };
  const per = named[speed] ?? fmtDuration(speed * 1000);
  return `×${fmtInt(speed)}: ${per} per second`;
}

/** Only http(s) URLs (or same-origin paths) become hrefs: no javascript: from the API. */
export function safeUrl(url) {
  if (typeof url !== 'string' || url === '') return null;
  try {
    const parsed = new URL(url, location.href);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : null;
  } catch {
    return null;
  }
}

export class HttpError extends Error {
  constructor(status, url) {
    super(`${url}: HTTP ${status}`);
    this.status = status;
  }
}

/** GET JSON with a timeout. */
export async function getJSON(url, { timeoutMs = 6000, signal } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onAbort = () => controller.abort();
  signal?.addEventListener('abort', onAbort);
  try {
    const res = await fetch(url, { signal: controller.signal, cache: 'no-store', headers: { accept: 'application/json' } });
    if (!res.ok) throw new HttpError(res.status, url);
    return await res.json();
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

let measureCtx;
/** Text width in px for a CSS font shorthand (used to size SVG labels and ELK edge labels). */
export function textWidth(text, font) {
  measureCtx ??= document.createElement('canvas').getContext('2d');
  measureCtx.font = font;
  return measureCtx.measureText(text).width;
}

/** Cuts text with an ellipsis so it fits maxWidth px. */
export function ellipsize(text, font, maxWidth) {
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

/** A stable hue per stage index: the funnel column and its graph band share it. */
const STAGE_HUES = [205, 262, 35, 145, 180, 330, 20, 95];
export const stageHue = (index) => STAGE_HUES[((index % STAGE_HUES.length) + STAGE_HUES.length) % STAGE_HUES.length];

export const STEP_TYPES = {
  email: { label: 'Email', color: '#2563eb' },
  wait: { label: 'Wait', color: '#b45309' },
  branch: { label: 'Branch', color: '#7c3aed' },
  split: { label: 'Split', color: '#c026d3' },
  holdout: { label: 'Holdout', color: '#475569' },
  stage: { label: 'Stage', color: '#0f766e' },
  exit: { label: 'Exit', color: '#be123c' },
};

/** 16×16 icon paths per step type (stroke-only, drawn with currentColor). */
export const TYPE_ICONS = {
  email: 'M2 4h12v8H2z M2 4l6 5 6-5',
  wait: 'M8 2a6 6 0 1 0 0 12A6 6 0 1 0 8 2z M8 5v3.5l2.5 1.5',
  branch: 'M8 1.5l6.5 6.5L8 14.5 1.5 8z M5.5 8h5',
  split: 'M2 8h4 M6 8l6-4.5 M6 8l6 4.5 M10 3h2.5v2.5 M10 13h2.5v-2.5',
  holdout: 'M8 1.8l5.5 2v4c0 3.3-2.4 5.4-5.5 6.4-3.1-1-5.5-3.1-5.5-6.4v-4z M6.2 6v4.2 M9.8 6v4.2',
  stage: 'M3.5 14.5V2 M3.5 2.5h9l-2 3 2 3h-9',
  exit: 'M6.5 2.5h-4v11h4 M7 8h7 M11 5l3 3-3 3',
};

export const STATUS_COLORS = {
  active: '#2563eb',
  converted: '#15803d',
  completed: '#64748b',
  exited: '#b45309',
  holdout: '#7c3aed',
  suppressed: '#be123c',
};
