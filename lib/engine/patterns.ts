/**
 * Amazon EventBridge event patterns: validation with marketer-friendly messages, and a compiled
 * matcher with EventBridge's semantics, so a journey trigger behaves the same in local
 * simulation as on a real event bus.
 *
 * Sources: the EventBridge User Guide ("Event patterns", "Comparison operators for use in event
 * patterns", "Arrays in event patterns", "Matching null values and empty strings") and, where the
 * guide is silent, aws/event-ruler, the open-source engine EventBridge runs.
 *
 * Pure: no imports, no I/O, no clock, no randomness.
 */

/** An EventBridge event pattern, e.g. {"detail-type": ["order.placed"], "detail": {"amount": [{"numeric": [">", 100]}]}} */
export type EventPattern = { [field: string]: unknown };

export interface PatternProblem {
  /** JSON path inside the pattern, starting at "$", e.g. "$.detail.amount[0].numeric" */
  path: string;
  /** what is wrong, phrased for a marketer */
  message: string;
}

/** Every problem in the pattern (empty array = valid). Never throws, whatever the input. */
export function validatePattern(pattern: unknown): PatternProblem[] {
  try {
    return compile(pattern).problems;
  } catch {
    // Only reachable for inputs no JSON parser produces (throwing getters, proxies, absurd depth).
    return [{ path: '$', message: 'this pattern could not be read; it must be plain JSON' }];
  }
}

/** Compile once, match many times. Throws an Error listing the problems if the pattern is invalid. */
export function compilePattern(pattern: EventPattern): (document: unknown) => boolean {
  const { problems, test } = compile(pattern);
  if (problems.length > 0) {
    throw new Error(`Invalid event pattern:\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`);
  }
  return test;
}

/** Convenience: compilePattern(pattern)(document). */
export function matchesPattern(pattern: EventPattern, document: unknown): boolean {
  return compilePattern(pattern)(document);
}

// ---------------------------------------------------------------------------------------------
// Compilation: one walk over the pattern both reports problems and builds the matcher closures.

type Leaf = string | number | boolean | null;
type LeafTest = (value: Leaf) => boolean;
type NodeTest = (value: unknown) => boolean;
type FieldsTest = (object: Record<string, unknown> | undefined) => boolean;
type Matcher = LeafTest | 'exists' | 'absent';

interface Context {
  problems: PatternProblem[];
  /** Objects on the current path: a JS (never JSON) pattern could contain itself. */
  ancestors: Set<object>;
  /** Inside $or, EventBridge rejects field names that are matcher keywords (a misplaced matcher). */
  insideOr: boolean;
}

const OPERATORS = ['<', '<=', '=', '>=', '>'];
const MATCHER_NAMES = ['prefix', 'suffix', 'equals-ignore-case', 'wildcard', 'anything-but', 'numeric', 'exists', 'cidr'];
const NUMERIC_HINT = 'numeric expects pairs of an operator ("<", "<=", "=", ">=", ">") and a number, e.g. [">", 0, "<=", 5]';
const CIDR_HINT = 'cidr expects an IP range such as "10.0.0.0/24" or "2001:db8::/32"';
// "limited to values between -5.0e9 and +5.0e9 inclusive, with 15 digits of precision, or six
// digits to the right of the decimal point" (Comparison operators, Numeric matching).
const NUMERIC_LIMIT = 5e9;
const NUMERIC_DECIMALS = 6;

const never: FieldsTest = () => false;

function compile(pattern: unknown): { problems: PatternProblem[]; test: NodeTest } {
  const ctx: Context = { problems: [], ancestors: new Set(), insideOr: false };
  if (!isRecord(pattern)) {
    ctx.problems.push({
      path: '$',
      message: `an event pattern must be a JSON object such as {"detail-type": ["order.placed"]}, not ${describe(pattern)}`,
    });
    return { problems: ctx.problems, test: () => false };
  }
  return { problems: ctx.problems, test: nodeTest(compileObject(pattern, '$', ctx)) };
}

function compileObject(node: Record<string, unknown>, path: string, ctx: Context): FieldsTest {
  if (ctx.ancestors.has(node)) {
    ctx.problems.push({ path, message: 'this object contains itself; a pattern must be plain JSON' });
    return never;
  }
  const keys = Object.keys(node);
  if (keys.length === 0) {
    ctx.problems.push({ path, message: 'this object is empty; name at least one field to match' });
  }
  ctx.ancestors.add(node);
  const names: string[] = [];
  const tests: NodeTest[] = [];
  const ors: FieldsTest[][] = [];
  for (const key of keys) {
    const value = node[key];
    const at = childPath(path, key);
    if (key === '$or') {
      ors.push(compileOr(value, at, ctx));
      continue;
    }
    if (ctx.insideOr && MATCHER_NAMES.includes(key)) {
      ctx.problems.push({
        path: at,
        message: `"${key}" is a matcher, not a field name; inside $or each alternative is a pattern such as {"field": [{"${key}": ...}]}`,
      });
      continue;
    }
    if (Array.isArray(value)) {
      names.push(key);
      tests.push(compileLeaf(value, at, ctx));
    } else if (isRecord(value)) {
      names.push(key);
      tests.push(nodeTest(compileObject(value, at, ctx)));
    } else {
      ctx.problems.push({
        path: at,
        message: `list the values to match in an array, e.g. "${key}": [${exampleOf(value)}], or use an object to match nested fields; got ${describe(value)}`,
      });
    }
  }
  ctx.ancestors.delete(node);

  return (object) => {
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (!tests[i]!(object !== undefined && Object.hasOwn(object, name) ? object[name] : undefined)) return false;
    }
    for (let i = 0; i < ors.length; i++) {
      const alternatives = ors[i]!;
      let any = false;
      for (let j = 0; j < alternatives.length && !any; j++) any = alternatives[j]!(object);
      if (!any) return false;
    }
    return true;
  };
}

function compileOr(value: unknown, path: string, ctx: Context): FieldsTest[] {
  if (!Array.isArray(value)) {
    ctx.problems.push({
      path,
      message: `$or expects a list of at least two alternative patterns, e.g. "$or": [{"a": ["x"]}, {"b": ["y"]}]; got ${describe(value)}`,
    });
    return [never];
  }
  if (value.length < 2) {
    ctx.problems.push({
      path,
      message: `$or needs at least two alternatives, got ${value.length}; with a single alternative, write its fields directly`,
    });
  }
  const inner: Context = { ...ctx, insideOr: true };
  return value.map((alternative: unknown, i) => {
    if (isRecord(alternative)) return compileObject(alternative, `${path}[${i}]`, inner);
    ctx.problems.push({
      path: `${path}[${i}]`,
      message: `each $or alternative must be a pattern object such as {"field": ["value"]}, not ${describe(alternative)}`,
    });
    return never;
  });
}

/**
 * Nested patterns descend into the document's object. An array of objects matches when one
 * element matches the whole nested pattern: EventBridge refuses matches assembled from different
 * elements of the same array (event-ruler "JSON Array Matching", array-consistent matching).
 * Where there is no object, the nested fields are all absent, which {"exists": false} matches.
 */
function nodeTest(fields: FieldsTest): NodeTest {
  const test = (value: unknown): boolean => {
    if (!Array.isArray(value)) return fields(isRecord(value) ? value : undefined);
    let sawObject = false;
    for (let i = 0; i < value.length; i++) {
      const element: unknown = value[i];
      if (isRecord(element) || Array.isArray(element)) {
        sawObject = true;
        if (test(element)) return true;
      }
    }
    return !sawObject && fields(undefined);
  };
  return test;
}

/**
 * A leaf field: the pattern lists values and matchers, any of which may match (OR). The document
 * may hold one value or an array of them (any element may match). Objects are not leaves, so a
 * field holding only an object counts as absent ("Exists matching only works on leaf nodes").
 */
function compileLeaf(values: unknown[], path: string, ctx: Context): NodeTest {
  if (values.length === 0) {
    ctx.problems.push({ path, message: 'this list is empty, so nothing could ever match; add at least one value' });
  }
  const exact = new Set<Leaf>();
  const tests: LeafTest[] = [];
  let exists = false;
  let absent = false;
  values.forEach((value: unknown, i) => {
    const at = `${path}[${i}]`;
    if (isRecord(value)) {
      const matcher = compileMatcher(value, at, ctx);
      if (matcher === 'exists') exists = true;
      else if (matcher === 'absent') absent = true;
      else if (matcher) tests.push(matcher);
    } else if (isLeaf(value) && (typeof value !== 'number' || Number.isFinite(value))) {
      // A Set compares by SameValueZero: numbers numerically (300 is 300.0), never "300" with 300.
      exact.add(value);
    } else {
      ctx.problems.push({
        path: at,
        message: `values must be text, a number, true, false, null or a matcher such as {"prefix": "abc"}; got ${describe(value)}`,
      });
    }
  });

  const matchesLeaf: LeafTest = (value) => {
    if (exact.has(value)) return true;
    for (let i = 0; i < tests.length; i++) if (tests[i]!(value)) return true;
    return false;
  };
  return (value) => {
    if (!hasLeaf(value)) return absent;
    return exists || someLeaf(value, matchesLeaf);
  };
}

function compileMatcher(matcher: Record<string, unknown>, path: string, ctx: Context): Matcher | undefined {
  const keys = Object.keys(matcher);
  const problem = (at: string, message: string): undefined => {
    ctx.problems.push({ path: at, message });
    return undefined;
  };
  if (keys.length !== 1) {
    return problem(
      path,
      keys.length === 0
        ? `this matcher is empty; use one of ${MATCHER_NAMES.join(', ')}, e.g. {"prefix": "abc"}`
        : `a matcher takes exactly one key, but this one has ${keys.length} (${keys.join(', ')}); put each matcher in its own {} in the list`,
    );
  }
  const name = keys[0]!;
  const spec = matcher[name];
  const at = childPath(path, name);

  switch (name) {
    case 'prefix':
    case 'suffix': {
      const text = typeof spec === 'string' ? spec : ignoreCaseText(spec);
      if (text === undefined) {
        return problem(at, `${name} expects text, e.g. {"${name}": "abc"} or {"${name}": {"equals-ignore-case": "abc"}}; got ${describe(spec)}`);
      }
      if (typeof spec !== 'string') return regexTest(name === 'prefix' ? `^${escapeRegex(text)}` : `${escapeRegex(text)}$`, 'iu');
      return name === 'prefix' ? (v) => typeof v === 'string' && v.startsWith(text) : (v) => typeof v === 'string' && v.endsWith(text);
    }
    case 'equals-ignore-case':
      if (typeof spec !== 'string') return problem(at, `equals-ignore-case expects text, e.g. {"equals-ignore-case": "alice"}; got ${describe(spec)}`);
      return regexTest(`^${escapeRegex(spec)}$`, 'iu');
    case 'wildcard': {
      if (typeof spec !== 'string') return problem(at, `wildcard expects text such as "dir/*.png"; got ${describe(spec)}`);
      const source = wildcardSource(spec);
      return 'error' in source ? problem(at, source.error) : regexTest(source.regex, 'u');
    }
    case 'numeric':
      return compileNumeric(spec, at, ctx);
    case 'exists':
      if (typeof spec !== 'boolean') return problem(at, `exists expects true or false; got ${describe(spec)}`);
      return spec ? 'exists' : 'absent';
    case 'cidr': {
      const range = typeof spec === 'string' ? parseCidr(spec) : CIDR_HINT;
      return typeof range === 'string' ? problem(at, range) : cidrTest(range);
    }
    case 'anything-but': {
      const excluded = compileExclusion(spec, at, ctx);
      // Unlike exists:false, anything-but needs the field to be present; null and values of
      // other types count as "anything but" (AWS-verified in LocalStack's event pattern fixtures).
      return excluded && ((v) => !excluded(v));
    }
    default:
      return problem(at, `unknown matcher "${name}"; use one of ${MATCHER_NAMES.join(', ')}`);
  }
}

/** The values an anything-but excludes, or undefined (after reporting) if the spec is invalid. */
function compileExclusion(spec: unknown, path: string, ctx: Context): LeafTest | undefined {
  const problem = (at: string, message: string): undefined => {
    ctx.problems.push({ path: at, message });
    return undefined;
  };
  const hint = 'anything-but expects text, a number, a list of texts or of numbers, or one of {"prefix": ...}, {"suffix": ...}, {"equals-ignore-case": ...}, {"wildcard": ...}';

  if (typeof spec === 'string') return (v) => v === spec;
  if (typeof spec === 'number') {
    const error = numberLimitError(spec);
    return error ? problem(path, error) : (v) => v === spec;
  }
  if (Array.isArray(spec)) {
    if (spec.length === 0) return problem(path, 'anything-but needs at least one value to exclude');
    const kind = typeof spec[0];
    const before = ctx.problems.length;
    spec.forEach((value: unknown, i) => {
      const error =
        (typeof value === 'string' || typeof value === 'number') && typeof value === kind
          ? typeof value === 'number' ? numberLimitError(value) : undefined
          : `an anything-but list holds only texts or only numbers; got ${describe(value)}`;
      if (error) ctx.problems.push({ path: `${path}[${i}]`, message: error });
    });
    if (ctx.problems.length > before) return undefined;
    const values = new Set<unknown>(spec);
    return (v) => values.has(v);
  }
  if (!isRecord(spec)) return problem(path, `${hint}; got ${describe(spec)}`);

  const keys = Object.keys(spec);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined) return problem(path, `${hint}; this object has ${keys.length} keys`);
  if (!['prefix', 'suffix', 'equals-ignore-case', 'wildcard'].includes(name)) {
    return problem(childPath(path, name), `anything-but cannot contain "${name}"; ${hint}`);
  }
  const at = childPath(path, name);
  const inner = spec[name];
  const texts = typeof inner === 'string' ? [inner] : Array.isArray(inner) && inner.length > 0 ? inner : undefined;
  if (!texts || texts.some((t) => typeof t !== 'string')) {
    return problem(at, `anything-but ${name} expects text or a non-empty list of texts; got ${describe(inner)}`);
  }
  const strings = texts as string[];
  if ((name === 'prefix' || name === 'suffix') && strings.includes('')) {
    return problem(at, `anything-but ${name} cannot be empty text: that would exclude every value`);
  }
  let regex: string;
  if (name === 'wildcard') {
    const sources: string[] = [];
    for (const text of strings) {
      const source = wildcardSource(text);
      if ('error' in source) return problem(at, source.error);
      sources.push(`(?:${source.regex})`);
    }
    regex = sources.join('|');
  } else {
    const alternatives = strings.map(escapeRegex).join('|');
    regex = name === 'prefix' ? `^(?:${alternatives})` : name === 'suffix' ? `(?:${alternatives})$` : `^(?:${alternatives})$`;
  }
  return regexTest(regex, name === 'equals-ignore-case' ? 'iu' : 'u');
}

function compileNumeric(spec: unknown, path: string, ctx: Context): LeafTest | undefined {
  const problem = (at: string, message: string): undefined => {
    ctx.problems.push({ path: at, message });
    return undefined;
  };
  if (!Array.isArray(spec) || (spec.length !== 2 && spec.length !== 4)) {
    return problem(path, `${NUMERIC_HINT}; got ${Array.isArray(spec) ? `${spec.length} items` : describe(spec)}`);
  }
  for (let i = 0; i < spec.length; i += 2) {
    const operator: unknown = spec[i];
    const operand: unknown = spec[i + 1];
    if (typeof operator !== 'string' || !OPERATORS.includes(operator)) {
      return problem(`${path}[${i}]`, `${JSON.stringify(operator) ?? describe(operator)} is not an operator; ${NUMERIC_HINT}`);
    }
    if (typeof operand !== 'number' || !Number.isFinite(operand)) {
      return problem(`${path}[${i + 1}]`, `"${operator}" must be followed by a number, not ${describe(operand)}; ${NUMERIC_HINT}`);
    }
    const error = numberLimitError(operand);
    if (error) return problem(`${path}[${i + 1}]`, error);
  }
  const [first, a, second, b] = spec as [string, number, string?, number?];
  if (second === undefined || b === undefined) {
    switch (first) {
      case '=': return (v) => inNumericRange(v) && v === a;
      case '<': return (v) => inNumericRange(v) && v < a;
      case '<=': return (v) => inNumericRange(v) && v <= a;
      case '>': return (v) => inNumericRange(v) && v > a;
      default: return (v) => inNumericRange(v) && v >= a;
    }
  }
  if ((first !== '>' && first !== '>=') || (second !== '<' && second !== '<=')) {
    return problem(path, 'a range starts with a lower bound (">" or ">=") and ends with an upper bound ("<" or "<="), e.g. [">", 0, "<=", 5]');
  }
  if (!(a < b)) return problem(path, `the lower bound (${a}) must be less than the upper bound (${b})`);
  const openBottom = first === '>';
  const openTop = second === '<';
  return (v) => inNumericRange(v) && (openBottom ? v > a : v >= a) && (openTop ? v < b : v <= b);
}

/** Document numbers outside the documented range never match a numeric comparison. */
function inNumericRange(value: Leaf): value is number {
  return typeof value === 'number' && value >= -NUMERIC_LIMIT && value <= NUMERIC_LIMIT;
}

function numberLimitError(value: number): string | undefined {
  if (!Number.isFinite(value) || value < -NUMERIC_LIMIT || value > NUMERIC_LIMIT) {
    return `numbers used for comparison must be between -5,000,000,000 and 5,000,000,000; got ${value}`;
  }
  if (decimalPlaces(value) > NUMERIC_DECIMALS) {
    return `numbers used for comparison can have at most ${NUMERIC_DECIMALS} digits after the decimal point; got ${value}`;
  }
  return undefined;
}

function decimalPlaces(value: number): number {
  const [mantissa = '', exponent = '0'] = String(Math.abs(value)).split('e');
  return Math.max(0, (mantissa.split('.')[1]?.length ?? 0) - Number(exponent));
}

// ---------------------------------------------------------------------------------------------
// Strings

function ignoreCaseText(spec: unknown): string | undefined {
  if (!isRecord(spec)) return undefined;
  const keys = Object.keys(spec);
  const text = spec['equals-ignore-case'];
  return keys.length === 1 && typeof text === 'string' ? text : undefined;
}

function regexTest(source: string, flags: string): LeafTest {
  const regex = new RegExp(source, flags);
  return (v) => typeof v === 'string' && regex.test(v);
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/**
 * "*" matches any run of characters (including none). "\*" is a literal star and "\\" a literal
 * backslash; any other backslash, and two stars in a row, make the pattern invalid (event-ruler
 * "Wildcard matching").
 */
function wildcardSource(pattern: string): { regex: string } | { error: string } {
  let regex = '^';
  for (let i = 0; i < pattern.length; i++) {
    const char = pattern[i]!;
    if (char === '*') {
      if (pattern[i + 1] === '*') {
        return { error: `"**" at position ${i} is not allowed: a single "*" already matches any run of characters` };
      }
      regex += '[\\s\\S]*';
    } else if (char === '\\') {
      const next = pattern[i + 1];
      if (next !== '*' && next !== '\\') {
        return { error: `a backslash can only escape "*" (a literal star) or another backslash (a literal backslash); found one at position ${i}` };
      }
      regex += escapeRegex(next);
      i++;
    } else {
      regex += escapeRegex(char);
    }
  }
  return { regex: `${regex}$` };
}

// ---------------------------------------------------------------------------------------------
// IP addresses

interface CidrRange {
  network: Uint8Array;
  mask: Uint8Array;
}

/** The range, or the reason it is invalid. Host bits after the mask are ignored, as EventBridge does. */
function parseCidr(text: string): CidrRange | string {
  const slash = text.indexOf('/');
  const bitsText = text.slice(slash + 1);
  if (slash < 0 || bitsText.includes('/') || !/^\d{1,3}$/.test(bitsText)) {
    return `${CIDR_HINT}: one "/" followed by the number of fixed bits; got ${JSON.stringify(text)}`;
  }
  const address = new Uint8Array(16);
  const length = parseIp(text.slice(0, slash), address);
  if (length === 0) return `${JSON.stringify(text.slice(0, slash))} is not an IPv4 or IPv6 address; ${CIDR_HINT}`;
  const bits = Number(bitsText);
  // event-ruler rejects /32 and /128; a single address is matched by listing it as a plain value.
  if (bits >= length * 8) {
    return `the number of fixed bits must be below ${length * 8} for an IPv${length === 4 ? 4 : 6} range; to match one address, list it as a plain value`;
  }
  const network = new Uint8Array(length);
  const mask = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const fixed = Math.min(8, Math.max(0, bits - i * 8));
    mask[i] = (0xff << (8 - fixed)) & 0xff;
    network[i] = address[i]! & mask[i]!;
  }
  return { network, mask };
}

// Scratch buffers: matching runs synchronously, so parsing a document's address need not allocate.
const scratchAddress = new Uint8Array(16);
const scratchGroups = new Uint16Array(8);

function cidrTest({ network, mask }: CidrRange): LeafTest {
  return (v) => {
    if (typeof v !== 'string' || parseIp(v, scratchAddress) !== network.length) return false;
    for (let i = 0; i < network.length; i++) if ((scratchAddress[i]! & mask[i]!) !== network[i]) return false;
    return true;
  };
}

/** Writes the address bytes into out; returns 4 or 16, or 0 if the text is not an IP address. */
function parseIp(text: string, out: Uint8Array): 0 | 4 | 16 {
  if (text.includes(':')) return parseIPv6(text, out) ? 16 : 0;
  return parseIPv4(text, out) ? 4 : 0;
}

function parseIPv4(text: string, out: Uint8Array): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 46; // a final '.' closes the last octet
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46 && digits > 0 && part < 4) {
      out[part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

/** Hex groups with at most one "::"; like EventBridge, no embedded IPv4 or zone index. */
function parseIPv6(text: string, out: Uint8Array): boolean {
  const n = text.length;
  let i = 0;
  let groups = 0;
  let gap = -1;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let value = 0;
    let digits = 0;
    for (let h = hexValue(text.charCodeAt(i)); h >= 0; h = hexValue(text.charCodeAt(i))) {
      value = value * 16 + h;
      i++;
      if (++digits > 4) return false;
    }
    if (digits === 0 || groups === 8) return false;
    scratchGroups[groups++] = value;
    if (i === n) break;
    if (text.charCodeAt(i++) !== 58) return false;
    if (text.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = groups;
      i++;
    } else if (i === n) {
      return false;
    }
  }
  if (gap < 0 ? groups !== 8 : groups > 7) return false;
  const zeros = 8 - groups;
  for (let k = 0, g = 0; k < 8; k++) {
    const value = gap >= 0 && k >= gap && k < gap + zeros ? 0 : scratchGroups[g++]!;
    out[2 * k] = value >> 8;
    out[2 * k + 1] = value & 0xff;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Document walking and helpers

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isLeaf(value: unknown): value is Leaf {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** Whether the value holds at least one leaf, looking through (nested) arrays. */
function hasLeaf(value: unknown): boolean {
  if (isLeaf(value)) return true;
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (hasLeaf(value[i])) return true;
  return false;
}

function someLeaf(value: unknown, test: LeafTest): boolean {
  if (isLeaf(value)) return test(value);
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (someLeaf(value[i], test)) return true;
  return false;
}

function childPath(path: string, key: string): string {
  return /^[\w$-]+$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': return `the text ${JSON.stringify(value)}`;
    case 'number': return `the number ${value}`;
    case 'boolean': return String(value);
    case 'object': return 'an object';
    case 'undefined': return 'nothing';
    default: return `a ${typeof value}`;
  }
}

function exampleOf(value: unknown): string {
  return isLeaf(value) && (typeof value !== 'number' || Number.isFinite(value)) ? JSON.stringify(value) : '"value"';
}
