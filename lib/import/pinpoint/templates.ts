/**
 * Pinpoint email templates (Handlebars) as Waymark content items (Liquid).
 *
 * Variables: `{{User.UserAttributes.FirstName}}` (and `.[0]`, its first
 * element: Pinpoint attributes are arrays) and `{{Attributes.X}}` become
 * `{{ profile.FirstName }}` and `{{ profile.X }}`; `DefaultSubstitutions`
 * become `| default:` values. Blocks: `{{#if}}`, `{{#unless}}`, `{{#eq a b}}`,
 * `{{else}}`, `{{else if}}` become Liquid tags, with Handlebars' idea of
 * truth (empty text and empty lists are false: `!= blank`). Anything else
 * (`{{#each}}`, formatting helpers, recommendations) is kept as a Liquid
 * comment and reported with its line, so the item still validates and the
 * text is there to rewrite by hand.
 */
import type { ContentItem } from '../../engine/schema';
import { templateProblems } from '../../runtime/template-check';
import type { EmailTemplateResponse } from './model';
import type { ImportReport } from './report';

export type CustomerIdentity = 'user' | 'endpoint';

export interface TemplateNote {
  line: number;
  /** The Handlebars expression, as written. */
  source: string;
  message: string;
  /** True when the expression was converted, only not exactly; false when it was commented out. */
  converted: boolean;
}

export interface ConvertedTemplate {
  liquid: string;
  notes: TemplateNote[];
}

const MUSTACHE = /\\\{\{|\{\{\{([\s\S]*?)\}\}\}|\{\{([\s\S]*?)\}\}/g;
const FILTER_HELPERS: Readonly<Record<string, string>> = { toUpper: 'upcase', toLower: 'downcase', trim: 'strip' };

type Block = 'if' | 'unless' | 'dropped';

/**
 * Handlebars text as Liquid.
 *
 * @example
 *   handlebarsToLiquid('Hi {{User.UserAttributes.FirstName}}', { 'User.UserAttributes.FirstName': 'there' }).liquid
 *   // 'Hi {{ profile.FirstName | default: "there" }}'
 */
export function handlebarsToLiquid(source: string, defaults: Readonly<Record<string, string>> = {}, identity: CustomerIdentity = 'user'): ConvertedTemplate {
  const notes: TemplateNote[] = [];
  const stack: Block[] = [];
  let liquid = '';
  let last = 0;
  const defaultsByPath = new Map(Object.entries(defaults).map(([key, value]) => [normalisePath(key), value]));

  for (const match of source.matchAll(MUSTACHE)) {
    const index = match.index;
    liquid += escapeText(source.slice(last, index));
    last = index + match[0].length;
    const line = source.slice(0, index).split('\n').length;
    const note = (message: string, converted: boolean) => notes.push({ line, source: match[0], message, converted });
    const dropped = (message: string) => {
      note(message, false);
      return `{% comment %}pinpoint, not converted: ${match[0].replace(/[{}%]/g, '')}{% endcomment %}`;
    };

    if (match[0] === '\\{{') {
      liquid += '{% raw %}{{{% endraw %}';
      continue;
    }
    const triple = match[1] !== undefined;
    let body = (match[1] ?? match[2] ?? '').trim();
    let trimLeft = '';
    let trimRight = '';
    if (body.startsWith('~')) {
      trimLeft = '-';
      body = body.slice(1).trim();
    }
    if (body.endsWith('~')) {
      trimRight = '-';
      body = body.slice(0, -1).trim();
    }
    const tag = (inner: string) => `{%${trimLeft} ${inner} ${trimRight}%}`;
    const output = (inner: string) => `{{${trimLeft} ${inner} ${trimRight}}}`;

    if (body.startsWith('!')) {
      const text = body.replace(/^!(--)?/, '').replace(/--$/, '').trim().replace(/[{}%]/g, '');
      liquid += `{% comment %}${text}{% endcomment %}`;
      continue;
    }
    if (body.startsWith('#')) {
      const [helper = '', ...args] = splitArguments(body.slice(1));
      if ((helper === 'if' || helper === 'unless') && args.length === 1) {
        const variable = liquidPath(args[0]!, identity);
        if (variable !== undefined) {
          stack.push(helper);
          liquid += tag(`${helper} ${variable} != blank`);
          continue;
        }
      }
      if (helper === 'eq' && args.length === 2) {
        const [left, right] = args.map((a) => liquidValue(a, identity));
        if (left !== undefined && right !== undefined) {
          stack.push('if');
          liquid += tag(`if ${left} == ${right}`);
          continue;
        }
      }
      stack.push('dropped');
      liquid += dropped(`the block helper "${helper}" has no Liquid conversion here; its opening and closing tags are commented out and its content is kept`);
      continue;
    }
    if (body.startsWith('/')) {
      const open = stack.pop();
      if (open === undefined) liquid += dropped('a closing tag without an opening one');
      else if (open === 'dropped') liquid += `{% comment %}pinpoint, not converted: ${match[0].replace(/[{}%]/g, '')}{% endcomment %}`;
      else liquid += tag(open === 'if' ? 'endif' : 'endunless');
      continue;
    }
    if (body === 'else' || body.startsWith('else ')) {
      const top = stack.at(-1);
      const rest = splitArguments(body.slice(4));
      if (top === 'dropped' || top === undefined) {
        liquid += dropped(top === undefined ? '"else" outside a block' : '"else" of a block that was not converted');
      } else if (rest.length === 0) {
        liquid += tag('else');
      } else if (top === 'if' && rest[0] === 'if' && rest.length === 2 && liquidPath(rest[1]!, identity) !== undefined) {
        liquid += tag(`elsif ${liquidPath(rest[1]!, identity)} != blank`);
      } else {
        liquid += dropped('this "else …" form has no Liquid conversion here');
      }
      continue;
    }

    const [first = '', ...args] = splitArguments(body);
    if (args.length === 0) {
      const variable = liquidPath(first, identity);
      if (variable === undefined && stack.includes('dropped') && /^(this|@|\.\.\/)/.test(first)) {
        // Part of the block that was reported already ({{this}} in {{#each}}).
        liquid += `{% comment %}pinpoint, not converted: ${match[0].replace(/[{}%]/g, '')}{% endcomment %}`;
        continue;
      }
      if (variable === undefined) {
        liquid += dropped(`"${first}" is not a Pinpoint variable Waymark has (profile attributes come from User.UserAttributes.*, Attributes.* and Metrics.*)`);
        continue;
      }
      const fallback = defaultsByPath.get(normalisePath(first));
      const quoted = fallback === undefined ? undefined : liquidString(fallback);
      if (fallback !== undefined && quoted === undefined) note(`the default ${JSON.stringify(fallback)} cannot be written as a Liquid string; left out`, true);
      if (triple) note('{{{ }}} printed HTML unescaped; Waymark escapes every value in html', true);
      liquid += output(`${variable}${quoted === undefined ? '' : ` | default: ${quoted}`}`);
      continue;
    }
    const filter = FILTER_HELPERS[first];
    const argument = args.length === 1 ? liquidPath(args[0]!, identity) : undefined;
    if (filter !== undefined && argument !== undefined) {
      const fallback = defaultsByPath.get(normalisePath(args[0]!));
      const quoted = fallback === undefined ? undefined : liquidString(fallback);
      liquid += output(`${argument}${quoted === undefined ? '' : ` | default: ${quoted}`} | ${filter}`);
      continue;
    }
    liquid += dropped(`the helper "${first}" has no Liquid conversion here`);
  }
  liquid += escapeText(source.slice(last));
  for (const open of stack.reverse()) {
    notes.push({ line: source.split('\n').length, source: '', message: `a {{#${open === 'dropped' ? '…' : open}}} block is never closed; closed at the end`, converted: true });
    if (open !== 'dropped') liquid += `{% ${open === 'if' ? 'endif' : 'endunless'} %}`;
  }
  return { liquid, notes };
}

/** Literal text: anything Liquid would read as a tag is printed as is. */
function escapeText(text: string): string {
  return text.replace(/\{[{%]/g, (m) => `{% raw %}${m}{% endraw %}`);
}

/** Arguments of a helper call: paths, "strings", 'strings' and numbers, split on spaces. */
function splitArguments(text: string): string[] {
  return [...text.matchAll(/"[^"]*"|'[^']*'|\[[^\]]*\]|[^\s]+/g)].map((m) => m[0]);
}

/** "User.UserAttributes.FirstName.[0]" → "User.UserAttributes.FirstName" (Waymark profiles hold the value itself). */
function normalisePath(path: string): string {
  return path.trim().replace(/\.\[0\]$/, '').replace(/\.0$/, '');
}

function segments(path: string): string[] {
  return [...normalisePath(path).matchAll(/\[([^\]]*)\]|([^.[\]]+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function member(name: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `.${name}` : `[${JSON.stringify(name)}]`;
}

/** The Liquid variable for a Pinpoint message variable, or undefined when Waymark has no such value. */
export function liquidPath(path: string, identity: CustomerIdentity = 'user'): string | undefined {
  const parts = segments(path);
  const [head, second, third] = parts;
  if (parts.length === 3 && head === 'User' && second === 'UserAttributes' && third) return `profile${member(third)}`;
  if (parts.length === 2 && (head === 'Attributes' || head === 'Metrics') && second) return `profile${member(second)}`;
  if (parts.length === 2 && head === 'User' && second === 'UserId') return identity === 'user' ? 'profile.customerId' : undefined;
  if (parts.length === 1 && (head === 'Id' || head === 'EndpointId')) return identity === 'endpoint' ? 'profile.customerId' : undefined;
  if (parts.length === 1 && head === 'Address') return 'profile.email';
  if (parts.length === 2 && head === 'Demographic' && second === 'Timezone') return 'profile.timezone';
  if (parts.length === 2 && head === 'Demographic' && second === 'Locale') return 'profile.locale';
  return undefined;
}

function liquidValue(argument: string, identity: CustomerIdentity): string | undefined {
  if (/^"[^"]*"$|^'[^']*'$/.test(argument)) return argument;
  if (/^-?\d+(\.\d+)?$/.test(argument)) return argument;
  return liquidPath(argument, identity);
}

/** A Liquid string literal for the text, or undefined when it cannot be one (both quotes, or tag delimiters). */
function liquidString(text: string): string | undefined {
  if (/\}\}|%\}/.test(text)) return undefined;
  if (!text.includes('"')) return `"${text}"`;
  if (!text.includes("'")) return `'${text}'`;
  return undefined;
}

export interface TemplateContext {
  report: ImportReport;
  /** The file the template came from, for the report. */
  file: string;
  /** "EmailTemplateResponse" for get-email-template output, "" for a bare template. */
  base: string;
  identity: CustomerIdentity;
}

/**
 * The content item for a Pinpoint email template. Content kind "pinpoint":
 * the item is only ever sent by id, and a kind of its own keeps it out of
 * other workflows' `{"content": {"kind": "article"}}` selections.
 */
export function contentItemFromTemplate(template: EmailTemplateResponse, context: TemplateContext, where: string): Omit<ContentItem, 'id'> | undefined {
  const { report, file, base } = context;
  const at = (...path: string[]) => `${file}: ${[base, ...path].filter(Boolean).join('.')}`;
  let defaults: Record<string, string> = {};
  if (template.DefaultSubstitutions !== undefined) {
    try {
      const parsed: unknown = JSON.parse(template.DefaultSubstitutions);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      defaults = Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
      report.carried(at('DefaultSubstitutions'), where, `${Object.keys(defaults).length === 1 ? '1 default value becomes a' : `${Object.keys(defaults).length} default values become`} "| default:" filter${Object.keys(defaults).length === 1 ? '' : 's'}`);
    } catch {
      report.leftOut(at('DefaultSubstitutions'), 'is not a JSON object of texts; no default values carried', 'add "| default: ..." to the variables by hand');
    }
  }

  const parts: Partial<Record<'subject' | 'html' | 'text', string>> = {};
  const fields = [
    ['Subject', 'subject', template.Subject],
    ['HtmlPart', 'html', template.HtmlPart],
    ['TextPart', 'text', template.TextPart],
  ] as const;
  for (const [member, field, text] of fields) {
    if (text === undefined || text === '') continue;
    const converted = handlebarsToLiquid(text, defaults, context.identity);
    for (const n of converted.notes) {
      const message = `line ${n.line}: ${n.source ? `${n.source}: ` : ''}${n.message}`;
      if (n.converted) report.approximated(at(member), `${where}: ${field}`, message, 'check the converted text');
      else report.leftOut(at(member), message, `rewrite it in Liquid in ${where}: ${field}`);
    }
    const problems = templateProblems(converted.liquid);
    if (problems.length > 0) {
      report.error(at(member), `the converted Liquid does not parse: ${problems.join('; ')}`, 'fix the template in Pinpoint or the converted text by hand');
      return undefined;
    }
    parts[field] = converted.liquid;
    if (converted.notes.length === 0) report.carried(at(member), `${where}: ${field}`, 'converted to Liquid');
  }
  if (parts.subject === undefined) {
    parts.subject = template.TemplateName;
    report.approximated(at('Subject'), `${where}: subject`, `the template has no subject; the template name "${template.TemplateName}" is used`, 'write a subject');
  }
  if (parts.html === undefined) {
    if (parts.text === undefined) {
      report.error(at(), 'the template has neither HtmlPart nor TextPart: there is nothing to send');
      return undefined;
    }
    parts.html = `<pre>${parts.text.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!)}</pre>`;
    report.approximated(at('TextPart'), `${where}: html`, 'the template has only a text part; the html part shows it as preformatted text', 'write an html part');
  }
  if (template.Headers !== undefined && template.Headers.length > 0) {
    report.leftOut(at('Headers'), `${template.Headers.length} custom header${template.Headers.length === 1 ? '' : 's'}: Waymark sets its own headers (List-Unsubscribe, tags)`);
  }
  if (template.RecommenderId !== undefined) {
    report.leftOut(at('RecommenderId'), `recommender model "${template.RecommenderId}": Waymark has no recommendations`, 'send recommended items as profile attributes');
  }
  return { kind: 'pinpoint', subject: parts.subject, html: parts.html, ...(parts.text === undefined ? {} : { text: parts.text }) };
}
