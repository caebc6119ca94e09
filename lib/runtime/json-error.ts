/**
 * Where JSON text stops being JSON, and why, in words a marketer can act on.
 *
 * `JSON.parse`'s messages differ between Node versions and some give no
 * position at all (Node 20: `Unexpected token '}', "{"a": tru}" is not valid
 * JSON`, `Unexpected end of JSON input`), so the text is scanned again here,
 * the same grammar (ECMA-404) without building anything, iteratively (no
 * recursion: a file nested 100,000 deep is reported, not a stack overflow).
 *
 * @example
 * locateJsonError('{\n  "a": 1\n  "b": 2\n}');
 * // { offset: 13, line: 3, column: 3, message: 'missing "," before "b"' }
 */

export interface JsonErrorLocation {
  /** Offset of the problem in the text (UTF-16 code units). */
  offset: number;
  /** 1-based. */
  line: number;
  /** 1-based, in characters from the start of the line. */
  column: number;
  message: string;
}

/** Line and column (both from 1) of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}

type Container = { kind: 'object' | 'array'; at: number };

/** The first syntax error in `text`, or undefined when `JSON.parse` would accept it. */
export function locateJsonError(text: string): JsonErrorLocation | undefined {
  const fail = (offset: number, message: string): JsonErrorLocation => ({ offset, ...lineAndColumn(text, offset), message });
  const where = (offset: number) => {
    const { line, column } = lineAndColumn(text, offset);
    return `line ${line}, column ${column}`;
  };
  let i = 0;
  const n = text.length;
  const skipSpace = () => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else break;
    }
  };
  const stack: Container[] = [];
  const endMessage = () => {
    const open = stack[stack.length - 1];
    return open ? `the JSON ends before the ${open.kind} opened at ${where(open.at)} is closed (a missing "${open.kind === 'object' ? '}' : ']'}"?)` : 'the JSON ends where a value was expected';
  };

  if (text.charCodeAt(0) === 0xfeff) return fail(0, 'the file starts with a byte order mark (U+FEFF): save it as UTF-8 without BOM');
  skipSpace();
  if (i >= n) return fail(i, text.length === 0 ? 'empty: expected a JSON value' : 'only spaces: expected a JSON value');

  // expecting: what may come next. 'value' | 'key' (after "{" or ",") | 'colon' | 'after' (after a value inside a container)
  let expecting: 'value' | 'first-key' | 'key' | 'colon' | 'after' | 'first-value' = 'value';
  let lastComma = -1;
  for (;;) {
    skipSpace();
    if (i >= n) {
      if (stack.length === 0 && expecting === 'after') return undefined;
      return fail(n, endMessage());
    }
    const ch = text[i]!;
    if (ch === '/' && (text[i + 1] === '/' || text[i + 1] === '*')) return fail(i, 'comments are not allowed in JSON');

    if (expecting === 'first-key' || expecting === 'key') {
      if (ch === '}' && expecting === 'first-key') {
        stack.pop();
        i++;
        expecting = 'after';
      } else if (ch === '}') {
        return fail(lastComma, 'a "," before "}": JSON allows no comma after the last property');
      } else if (ch === '"') {
        const end = scanString(text, i);
        if (typeof end !== 'number') return fail(end.offset, end.message);
        i = end;
        expecting = 'colon';
      } else {
        const token = tokenAt(text, i);
        return fail(i, ch === "'" ? `property names must be in double quotes, not single: ${token}` : `expected a property name in double quotes, found ${token}`);
      }
      if (expecting === 'after' && stack.length === 0) return rest();
      continue;
    }
    if (expecting === 'colon') {
      if (ch !== ':') return fail(i, `expected ":" after the property name, found ${tokenAt(text, i)}`);
      i++;
      expecting = 'value';
      continue;
    }
    if (expecting === 'after') {
      const open = stack[stack.length - 1]!;
      const close = open.kind === 'object' ? '}' : ']';
      if (ch === ',') {
        lastComma = i;
        i++;
        expecting = open.kind === 'object' ? 'key' : 'value';
      } else if (ch === close) {
        stack.pop();
        i++;
        if (stack.length === 0) return rest();
      } else if (ch === '}' || ch === ']') {
        return fail(i, `"${ch}" closes nothing here: the ${open.kind} opened at ${where(open.at)} is closed by "${close}"`);
      } else if (open.kind === 'object' && ch === '"') {
        return fail(i, `missing "," before ${tokenAt(text, i)}`);
      } else if (open.kind === 'array' && isValueStart(ch)) {
        return fail(i, `missing "," before ${tokenAt(text, i)}`);
      } else {
        return fail(i, `expected "," or "${close}" after ${open.kind === 'object' ? 'a property value' : 'an array element'}, found ${tokenAt(text, i)}`);
      }
      continue;
    }

    // A value ('value', or 'first-value' right after "[").
    if (ch === ']' && expecting === 'first-value') {
      stack.pop();
      i++;
      expecting = 'after';
      if (stack.length === 0) return rest();
      continue;
    }
    if (ch === ']' || ch === '}') {
      if (lastComma >= 0 && lastComma === previousNonSpace(text, i)) return fail(lastComma, `a "," before "${ch}": JSON allows no comma after the last ${ch === ']' ? 'element' : 'property'}`);
      return fail(i, `expected a value, found "${ch}"`);
    }
    if (ch === '{' || ch === '[') {
      stack.push({ kind: ch === '{' ? 'object' : 'array', at: i });
      i++;
      expecting = ch === '{' ? 'first-key' : 'first-value';
      continue;
    }
    if (ch === '"') {
      const end = scanString(text, i);
      if (typeof end !== 'number') return fail(end.offset, end.message);
      i = end;
    } else if (ch === '-' || (ch >= '0' && ch <= '9')) {
      const end = scanNumber(text, i);
      if (typeof end !== 'number') return fail(end.offset, end.message);
      i = end;
    } else if (KEYWORD.test(text.slice(i, i + 6))) {
      i += text.startsWith('false', i) ? 5 : 4;
    } else if (ch === "'") {
      return fail(i, `text must be in double quotes, not single: ${tokenAt(text, i)}`);
    } else {
      return fail(i, `expected a value ("text" in double quotes, a number, true, false, null, an object or an array), found ${tokenAt(text, i)}`);
    }
    expecting = 'after';
    if (stack.length === 0) return rest();
  }

  /** After the top-level value: only spaces may follow. */
  function rest(): JsonErrorLocation | undefined {
    skipSpace();
    if (i >= n) return undefined;
    return fail(i, `more after the end of the JSON value: ${tokenAt(text, i)}`);
  }
}

const KEYWORD = /^(?:true|false|null)(?![\w$])/;

function isValueStart(ch: string): boolean {
  return ch === '{' || ch === '[' || ch === '"' || ch === '-' || (ch >= '0' && ch <= '9') || ch === 't' || ch === 'f' || ch === 'n';
}

function previousNonSpace(text: string, offset: number): number {
  let j = offset - 1;
  while (j >= 0 && ' \t\n\r'.includes(text[j]!)) j--;
  return j;
}

/** What is found at an offset, for a message: `"b"` for text, `tru` for a word, `"}"` for a sign. */
function tokenAt(text: string, offset: number): string {
  const ch = text[offset]!;
  if (ch === '"' || ch === "'") {
    const close = text.indexOf(ch, offset + 1);
    const end = close < 0 || close - offset > 40 ? Math.min(text.length, offset + 40) : close + 1;
    const token = text.slice(offset, end).split(/[\r\n]/)[0]!;
    return `${token}${end < text.length && close - offset > 40 ? '…' : ''}`;
  }
  const word = /^[A-Za-z0-9_$.+-]+/.exec(text.slice(offset, offset + 40))?.[0];
  if (word) return `"${word}"`;
  const code = ch.codePointAt(0)!;
  if (code < 0x20 || code === 0x7f) return `the control character U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return `"${ch}"`;
}

/** The offset just past a string starting at `start` (a `"`), or why it is not one. */
function scanString(text: string, start: number): number | { offset: number; message: string } {
  let i = start + 1;
  for (;;) {
    if (i >= text.length) return { offset: start, message: 'a text value is never closed (a missing closing quote?)' };
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      const next = text[i + 1];
      if (next === undefined) return { offset: start, message: 'a text value is never closed (a missing closing quote?)' };
      if (next === 'u') {
        if (!/^[0-9A-Fa-f]{4}$/.test(text.slice(i + 2, i + 6))) return { offset: i, message: `"\\u" must be followed by four hexadecimal digits, found "${text.slice(i, i + 6)}"` };
        i += 6;
        continue;
      }
      if (!'"\\/bfnrt'.includes(next)) return { offset: i, message: `"\\${next}" is not an escape JSON knows (write "\\\\" for a backslash)` };
      i += 2;
      continue;
    }
    if (c === 0x0a || c === 0x0d) return { offset: i, message: 'a line break inside a text value: close the text with a quote before the end of the line, or write \\n for a line break' };
    if (c < 0x20) return { offset: i, message: `the control character U+${c.toString(16).toUpperCase().padStart(4, '0')} inside a text value (write it as \\u${c.toString(16).padStart(4, '0')})` };
    i++;
  }
}

const NUMBER = /-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;

/** The offset just past a number starting at `start`, or why it is not one. */
function scanNumber(text: string, start: number): number | { offset: number; message: string } {
  NUMBER.lastIndex = start;
  const match = NUMBER.exec(text);
  const word = /^[-+\w.]+/.exec(text.slice(start, start + 40))?.[0] ?? text[start]!;
  if (!match) return { offset: start, message: `"${word}" is not a number` };
  const end = start + match[0].length;
  const next = text[end];
  if (next !== undefined && /[\w.]/.test(next)) {
    if (match[1] === '0' && /\d/.test(next)) return { offset: start, message: `"${word}": a number cannot start with 0 (write it without leading zeros, or as "text")` };
    return { offset: start, message: `"${word}" is not a number` };
  }
  return end;
}
