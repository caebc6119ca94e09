/**
 * Email rendering with Liquid. Customer data is HTML-escaped in the html body
 * (every `{{ }}` output is escaped), subjects are single-line, templates cannot
 * read files, and every message gets an unsubscribe link even when the
 * template forgot one.
 */
import { Liquid, type Template } from 'liquidjs';
import type { ContentItem } from '../engine/schema';

export interface RenderScope {
  profile: Record<string, unknown>;
  event: Record<string, unknown>;
  journey: Record<string, unknown>;
  unsubscribeUrl: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export class RenderError extends Error {
  override readonly name = 'RenderError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Templates may not include files: content travels as data, and a template must never read the disk. */
const noFileSystem = {
  exists: async () => false,
  existsSync: () => false,
  readFile: async (file: string) => {
    throw new Error(`templates cannot include files ("${file}")`);
  },
  readFileSync: (file: string): string => {
    throw new Error(`templates cannot include files ("${file}")`);
  },
  resolve: (_dir: string, file: string) => file,
};

/**
 * Bounds on one render, so a template (or customer data) that runs away fails that email with a
 * reason instead of holding the send function: template text parsed, time spent rendering, and the
 * memory strings and arrays may take (a loop over a long list, a filter that repeats a string).
 */
export const RENDER_LIMITS = { parseLimit: 1_000_000, renderLimit: 1_000, memoryLimit: 10_000_000 } as const;

const common = { strictFilters: true, ownPropertyOnly: true, fs: noFileSystem, relativeReference: false, timezoneOffset: 0, ...RENDER_LIMITS } as const;
const htmlLiquid = new Liquid({ ...common, outputEscape: 'escape' });
const textLiquid = new Liquid({ ...common });

const FILE_TAGS = /\{%-?\s*(include|render|layout)\b/;

/** Syntax problems in one template (empty when it parses); file includes are refused here, not at send time. */
export function templateProblems(template: string): string[] {
  const problems: string[] = [];
  const fileTag = FILE_TAGS.exec(template);
  if (fileTag) problems.push(`templates cannot use {% ${fileTag[1]} %}: content travels as data, put the text in the item itself`);
  try {
    htmlLiquid.parse(template);
  } catch (error) {
    problems.push(`Liquid syntax error: ${(error as Error).message.split('\n')[0]}`);
  }
  return problems;
}

const UNSUBSCRIBE_REFERENCE = /\{\{-?\s*unsubscribeUrl\b/;

export class EmailRenderer {
  private readonly parsed = new Map<string, { subject: Template[]; html: Template[]; text: Template[] }>();

  render(item: ContentItem, scope: RenderScope, subjectOverride?: string): RenderedEmail {
    const templates = this.templatesFor(item, subjectOverride);
    try {
      const subject = singleLine(String(textLiquid.renderSync(templates.subject, scope)));
      const html = String(htmlLiquid.renderSync(templates.html, scope));
      const text = String(textLiquid.renderSync(templates.text, scope));
      return { subject, html, text };
    } catch (error) {
      throw new RenderError(`content "${item.id}" could not be rendered: ${(error as Error).message}`, { cause: error });
    }
  }

  private templatesFor(item: ContentItem, subjectOverride: string | undefined) {
    const key = subjectOverride === undefined ? item.id : `${item.id}\u0000${subjectOverride}`;
    let templates = this.parsed.get(key);
    if (!templates) {
      let html = item.html;
      if (!UNSUBSCRIBE_REFERENCE.test(html)) {
        html += '\n<p style="font-size:12px;color:#666">Don\'t want these emails? <a href="{{ unsubscribeUrl }}">Unsubscribe</a>.</p>';
      }
      let text = item.text ?? htmlToText(item.html);
      if (!UNSUBSCRIBE_REFERENCE.test(text)) text += '\n\nUnsubscribe: {{ unsubscribeUrl }}';
      try {
        templates = { subject: textLiquid.parse(subjectOverride ?? item.subject), html: htmlLiquid.parse(html), text: textLiquid.parse(text) };
      } catch (error) {
        throw new RenderError(`content "${item.id}" has a Liquid syntax error: ${(error as Error).message}`, { cause: error });
      }
      this.parsed.set(key, templates);
    }
    return templates;
  }
}

/** Header-safe: no CR/LF can reach a header from customer data. */
export function singleLine(text: string): string {
  return text.replace(/[\r\n\t]+/g, ' ').replace(/\s{2,}/g, ' ').trim().slice(0, 998);
}

/** A plain-text version of an html template for content items without `text` (keeps Liquid tags intact). */
export function htmlToText(html: string): string {
  return html
    .replace(/<a\b[^>]*href="([^"]*)"[^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<(br|\/p|\/h[1-6]|\/li|\/div)\b[^>]*>/gi, '\n')
    .replace(/<li\b[^>]*>/gi, '- ')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
