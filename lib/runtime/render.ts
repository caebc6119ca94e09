/**
 * Email rendering with Liquid. Customer data is HTML-escaped in the html body
 * (every `{{ }}` output is escaped), subjects are single-line, templates cannot
 * read files, and every message gets an unsubscribe link even when the
 * template forgot one.
 *
 * Liquid itself (liquidjs, about 80 KB minified, its tags and filters registered as it loads) is
 * loaded on the first render, not with this module: the send function's cold start then loads only
 * what every invocation needs, and a batch with nothing to render (suppressed, held, stopped) never
 * loads it. Validation checks templates with the same engines, loaded at once (`template-check.ts`).
 */
import type { Template } from 'liquidjs';
import type { ContentItem } from '../engine/schema';
import type { LiquidEngines } from './liquid-engines';

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

const UNSUBSCRIBE_REFERENCE = /\{\{-?\s*unsubscribeUrl\b/;

export class EmailRenderer {
  private readonly parsed = new Map<string, { subject: Template[]; html: Template[]; text: Template[] }>();
  private engines: LiquidEngines | undefined;

  async render(item: ContentItem, scope: RenderScope, subjectOverride?: string): Promise<RenderedEmail> {
    this.engines ??= (await import('./liquid-engines')).liquidEngines;
    const { htmlLiquid, textLiquid } = this.engines;
    const templates = this.templatesFor(this.engines, item, subjectOverride);
    try {
      const subject = singleLine(String(textLiquid.renderSync(templates.subject, scope)));
      const html = String(htmlLiquid.renderSync(templates.html, scope));
      const text = String(textLiquid.renderSync(templates.text, scope));
      return { subject, html, text };
    } catch (error) {
      throw new RenderError(`content "${item.id}" could not be rendered: ${(error as Error).message}`, { cause: error });
    }
  }

  private templatesFor({ htmlLiquid, textLiquid }: LiquidEngines, item: ContentItem, subjectOverride: string | undefined) {
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
