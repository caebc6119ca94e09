/**
 * SVG drawings as plain data: the report serialises them to markup (every
 * attribute and text escaped), the journey map turns them into DOM nodes
 * (attributes and text set as such, never parsed as HTML). One drawing code
 * for both, and no string of customer data is ever read as markup.
 */
import { escapeHtml } from './format';

export interface SvgNode {
  readonly tag: string;
  readonly attrs: Readonly<Record<string, string | number>>;
  readonly children: ReadonlyArray<SvgNode | string>;
}

export type SvgChild = SvgNode | string | number | null | undefined | false | ReadonlyArray<SvgChild>;

function flatten(children: readonly SvgChild[], into: Array<SvgNode | string>): Array<SvgNode | string> {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) flatten(child, into);
    else if (typeof child === 'number') into.push(String(child));
    else into.push(child as SvgNode | string);
  }
  return into;
}

/**
 * An element: `svg('text', { x: 12, y: 18 }, 'Hello')`. Attributes with an undefined value are left
 * out; attribute order is kept (the markup is stable, so tests can read it).
 */
export function svg(tag: string, attrs: Record<string, string | number | undefined> = {}, ...children: SvgChild[]): SvgNode {
  const kept: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(attrs)) if (value !== undefined) kept[name] = value;
  return { tag, attrs: kept, children: flatten(children, []) };
}

/** The node as markup: `<text x="12" y="18">Hello &amp; bye</text>`. */
export function markup(node: SvgNode | string): string {
  if (typeof node === 'string') return escapeHtml(node);
  const attrs = Object.entries(node.attrs)
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return `<${node.tag}${attrs}>${node.children.map(markup).join('')}</${node.tag}>`;
}

/** One decimal at most: coordinates stay short in the markup. */
export const round1 = (n: number) => Math.round(n * 10) / 10;
