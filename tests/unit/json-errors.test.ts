/**
 * Files a marketer edits by hand: invalid JSON is reported with its line and column, the same way
 * for workflow, content, scenario, settings and event files, whatever Node's own message says; one
 * bad content item is reported with its index and id, and the other items of its file still load.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { locateJsonError } from '../../lib/runtime/json-error';
import { timelineFromJsonLines } from '../../lib/runtime/local-runner';
import { allProblems, describeJsonError, loadContent, loadProjectSettings, loadWorkflows } from '../../lib/runtime/workflow-files';
import { runScenarioFile } from '../../lib/scenarios/run-scenario';

const scratch = () => mkdtempSync(join(tmpdir(), 'waymark-json-'));

describe('where JSON text stops being JSON', () => {
  it.each([
    ['a missing comma between properties', '{\n  "id": "welcome",\n  "kind": "article"\n  "subject": "Hi"\n}', 4, 3, 'missing "," before "subject"'],
    ['a comma after the last property', '{\n  "a": 1,\n}', 2, 9, 'a "," before "}": JSON allows no comma after the last property'],
    ['a comma after the last element', '[1, 2,\n]', 1, 6, 'a "," before "]"'],
    ['a missing comma between elements', '[{"a": 1} {"b": 2}]', 1, 11, 'missing "," before "{"'],
    ['a property name in single quotes', "{'a': 1}", 1, 2, "property names must be in double quotes, not single: 'a'"],
    ['a property name without quotes', '{a: 1}', 1, 2, 'expected a property name in double quotes, found "a"'],
    ['a misspelt literal', '{"a": tru}', 1, 7, 'expected a value ("text" in double quotes, a number, true, false, null, an object or an array), found "tru"'],
    ['a line break inside text', '{"subject": "Hi\nthere"}', 1, 16, 'a line break inside a text value'],
    ['an unclosed object', '{\n  "a": [1, 2]\n', 3, 1, 'the JSON ends before the object opened at line 1, column 1 is closed (a missing "}"?)'],
    ['an unclosed text', '{"a": "b}', 1, 7, 'a text value is never closed'],
    ['a bracket that closes nothing', '{"a": 1]', 1, 8, '"]" closes nothing here: the object opened at line 1, column 1 is closed by "}"'],
    ['a comment', '{"a": 1 // why\n}', 1, 9, 'comments are not allowed in JSON'],
    ['a leading zero', '{"a": 007}', 1, 7, 'a number cannot start with 0'],
    ['two values', '{} {}', 1, 4, 'more after the end of the JSON value: "{"'],
    ['a byte order mark', '\ufeff[]', 1, 1, 'byte order mark'],
    ['nothing', '', 1, 1, 'empty: expected a JSON value'],
  ])('%s', (_what, text, line, column, message) => {
    expect(() => JSON.parse(text)).toThrow();
    const located = locateJsonError(text)!;
    expect([located.line, located.column]).toEqual([line, column]);
    expect(located.message).toContain(message);
  });

  it('agrees with JSON.parse on what is JSON, for any text made of JSON-ish pieces', () => {
    const pieces = ['{', '}', '[', ']', ',', ':', '"', 'a', '1', '0', '-', '.', 'e', 'true', 'null', ' ', '\n', '\\', '\\u00e9', "'", '/', 'x'];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 24 }), (parts) => {
        const text = parts.join('');
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        expect(locateJsonError(text) === undefined).toBe(valid);
      }),
      { numRuns: 20_000 },
    );
  });

  it('and on valid JSON with one character added or removed', () => {
    fc.assert(
      fc.property(fc.json(), fc.nat(), fc.constantFrom(',', '}', ']', '"', ':', 'x', '1'), (json, at, extra) => {
        const p = at % (json.length + 1);
        for (const text of [json.slice(0, p) + extra + json.slice(p), json.slice(0, p) + json.slice(p + 1)]) {
          let valid = true;
          try {
            JSON.parse(text);
          } catch {
            valid = false;
          }
          expect(locateJsonError(text) === undefined).toBe(valid);
        }
      }),
      { numRuns: 5_000 },
    );
  });

  it('a file nested very deep is reported, not a stack overflow', () => {
    expect(locateJsonError('['.repeat(200_000))!.message).toContain('the JSON ends before the array opened at line 1, column 200000');
  });
});

describe('describeJsonError: line and column whatever message Node gives', () => {
  const text = '{\n  "id": "x",\n  "version": 1\n  "name": "y"\n}';
  it.each([
    ['Node 18', 'Unexpected string in JSON at position 31'],
    ['Node 20', "Expected ',' or '}' after property value in JSON at position 31"],
    ['Node 22', "Expected ',' or '}' after property value in JSON at position 31 (line 4 column 3)"],
    ['Node 20, without a position', `Unexpected token '"', "{"id": "x"... is not valid JSON`],
  ])('%s', (_node, message) => {
    expect(describeJsonError(text, new Error(message))).toBe('invalid JSON at line 4, column 3: missing "," before "name"');
  });

  it("Node's own position when the scan finds nothing (the text was not the one parsed)", () => {
    expect(describeJsonError('{\n  "a": 1\n}', new Error('Unexpected token } in JSON at position 11'))).toBe('invalid JSON at line 3, column 1: Unexpected token }');
    expect(describeJsonError('{}', new Error('Unexpected end of JSON input'))).toBe('invalid JSON: Unexpected end of JSON input');
  });
});

describe('every kind of file', () => {
  const broken = '{\n  "a": 1\n  "b": 2\n}\n';

  it('a workflow file', () => {
    const directory = scratch();
    writeFileSync(join(directory, 'journey.json'), broken);
    const problems = allProblems(loadWorkflows([directory], { displayBase: directory }));
    expect(problems).toEqual([{ file: 'journey.json', path: '$', message: 'invalid JSON at line 3, column 3: missing "," before "b"' }]);
  });

  it('a content file', () => {
    const directory = scratch();
    writeFileSync(join(directory, '10-articles.json'), broken);
    expect(loadContent(directory, directory).problems).toEqual([{ file: '10-articles.json', path: '$', message: 'invalid JSON at line 3, column 3: missing "," before "b"' }]);
  });

  it('workflows/settings.json', () => {
    const directory = scratch();
    writeFileSync(join(directory, 'settings.json'), '{"budget": {"max": 3, "per": "P7D",}}');
    expect(loadProjectSettings(join(directory, 'settings.json'), directory).problems).toEqual([
      { file: 'settings.json', path: '$', message: 'invalid JSON at line 1, column 35: a "," before "}": JSON allows no comma after the last property' },
    ]);
  });

  it('a scenario file', async () => {
    const directory = scratch();
    writeFileSync(join(directory, 'journey.test.json'), broken);
    const result = await runScenarioFile(join(directory, 'journey.test.json'));
    expect(result.problems).toEqual([expect.stringMatching(/journey\.test\.json: \$: invalid JSON at line 3, column 3: missing "," before "b"$/)]);
  });

  it('an events file: the line, and the column in it', () => {
    const lines = ['{"id": "1", "source": "app", "detail-type": "lead.captured", "time": "2026-11-02T14:00:00Z", "detail": {"customerId": "c-1"}}', '{"id": "2" "source": "app"}'];
    expect(timelineFromJsonLines(lines.join('\n')).rejected).toEqual([{ line: 2, reason: 'invalid JSON at column 12: missing "," before "source"' }]);
  });
});

describe('content files, item by item', () => {
  const item = (id: string, extra: Record<string, unknown> = {}) => ({ id, kind: 'article', subject: `About ${id}`, html: '<p>Hi</p>', ...extra });

  it('one bad item is reported with its index and id; the good items of its file still load', () => {
    const directory = scratch();
    writeFileSync(join(directory, '10-articles.json'), JSON.stringify([item('first'), item('second', { kind: 'Case Study', subject: '', htlm: '<p>typo</p>' }), item('third')]));
    const { items, problems } = loadContent(directory, directory);
    expect(items.map((i) => i.id)).toEqual(['first', 'third']);
    expect(problems).toEqual([
      { file: '10-articles.json', path: '$[1].kind', message: 'content item "second": lower-case letters, digits and single "-" between them (for example "case-study"), got "Case Study" (did you mean "case-study"?)' },
      { file: '10-articles.json', path: '$[1].subject', message: 'content item "second": cannot be empty' },
      { file: '10-articles.json', path: '$[1]', message: 'content item "second": unknown field "htlm" (did you mean "html"?)' },
    ]);
  });

  it('an item without a usable id is named by its place in the file', () => {
    const directory = scratch();
    writeFileSync(join(directory, '10-articles.json'), JSON.stringify([item('first'), { kind: 'article', subject: 'Hi', html: '<p>x</p>', colour: 'red' }]));
    const { items, problems } = loadContent(directory, directory);
    expect(items.map((i) => i.id)).toEqual(['first']);
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toEqual(['$[1].id: content item 2 of the file: required: expected a string', '$[1]: content item 2 of the file: unknown field "colour"']);
  });

  it('a file that is not a list of items', () => {
    const directory = scratch();
    writeFileSync(join(directory, '10-articles.json'), JSON.stringify(item('alone')));
    expect(loadContent(directory, directory).problems).toEqual([{ file: '10-articles.json', path: '$', message: 'expected an array of content items, got an object' }]);
  });
});
