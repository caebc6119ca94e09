/**
 * The list parser: RFC 4180 CSV read in chunks, each record with the line it
 * starts on, whatever the line endings, the quoting or where a chunk ends.
 */
import { describe, expect, it } from 'vitest';
import { CsvParser, type CsvRecord, csvField, type Delimiter, detectDelimiter } from '../../lib/audience/csv';

function parse(text: string, delimiter: Delimiter | 'auto' = 'auto', chunks: string[] = [text]): CsvRecord[] {
  const parser = new CsvParser({ delimiter });
  // `end` (how far into the input a record ends) is for progress; these tests are about the records.
  return [...chunks.flatMap((chunk) => parser.push(chunk)), ...parser.end()].map(({ end: _, ...record }) => record);
}

describe('CsvParser', () => {
  it('reads a header and rows, with CRLF, LF or CR line ends, and a last line without one', () => {
    expect(parse('email,firstName\r\nana@example.com,Ana\nbob@example.com,Bob\rcara@example.com,Cara')).toEqual([
      { line: 1, fields: ['email', 'firstName'] },
      { line: 2, fields: ['ana@example.com', 'Ana'] },
      { line: 3, fields: ['bob@example.com', 'Bob'] },
      { line: 4, fields: ['cara@example.com', 'Cara'] },
    ]);
  });

  it('reads quoted fields: the delimiter, doubled quotes and line breaks inside are part of the value, and later line numbers stay right', () => {
    const text = [
      'email,note,city',
      'ana@example.com,"Lisbon, Portugal","says ""hi"""',
      'bob@example.com,"line one',
      'line two',
      'line three",Berlin',
      'cara@example.com,,"Paris"',
      '',
    ].join('\r\n');
    expect(parse(text)).toEqual([
      { line: 1, fields: ['email', 'note', 'city'] },
      { line: 2, fields: ['ana@example.com', 'Lisbon, Portugal', 'says "hi"'] },
      { line: 3, fields: ['bob@example.com', 'line one\r\nline two\r\nline three', 'Berlin'] },
      { line: 6, fields: ['cara@example.com', '', 'Paris'] },
    ]);
  });

  it('gives the same records wherever the chunks are cut, even between CR and LF or inside a doubled quote', () => {
    const text = 'email;note\r\nana@example.com;"a ""quoted""\r\nnote; here"\r\nbob@example.com;plain\r\n\r\ncara@example.com;"x"\r';
    const whole = parse(text);
    for (let cut = 0; cut <= text.length; cut++) {
      expect(parse(text, 'auto', [text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    for (let size = 1; size <= 4; size++) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, i * size + size));
      expect(parse(text, 'auto', chunks), `chunks of ${size}`).toEqual(whole);
    }
  });

  it('drops a UTF-8 byte order mark before the header', () => {
    expect(parse('\uFEFFemail;firstName\nana@example.com;Ana\n')).toEqual([
      { line: 1, fields: ['email', 'firstName'] },
      { line: 2, fields: ['ana@example.com', 'Ana'] },
    ]);
  });

  it('detects ";" from the header (Excel in much of Europe), and "," otherwise', () => {
    expect(detectDelimiter('email;firstName;score')).toBe(';');
    expect(detectDelimiter('email,firstName,score')).toBe(',');
    expect(detectDelimiter('email')).toBe(',');
    expect(detectDelimiter('"a;b;c",email')).toBe(','); // quoted semicolons do not count
    expect(parse('email;note\nana@example.com;"1,5"\n')[1]).toEqual({ line: 2, fields: ['ana@example.com', '1,5'] });
  });

  it('reports a quoted field that is never closed, from the line it starts on', () => {
    expect(parse('email,note\nana@example.com,"never closed\nbob@example.com,fine\n')).toEqual([
      { line: 1, fields: ['email', 'note'] },
      { line: 2, fields: ['ana@example.com', 'never closed\nbob@example.com,fine\n'], problem: 'the quoted field that starts on line 2 is never closed (a missing closing quote "?)' },
    ]);
  });

  it('reports text after a closing quote rather than guessing, and keeps a stray quote in an unquoted field', () => {
    const [, bad, stray] = parse('email,screen\nana@example.com,"5" wide"\nbob@example.com,5" wide\n');
    expect(bad).toMatchObject({ line: 2, problem: 'field 2: text after a closing quote; a quote inside a quoted field must be doubled ("")' });
    expect(stray).toEqual({ line: 3, fields: ['bob@example.com', '5" wide'] });
  });

  it('keeps empty fields and reads an empty line as one empty field', () => {
    expect(parse('a,b,c\n,,\n\nx,,\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['', '', ''] },
      { line: 3, fields: [''] },
      { line: 4, fields: ['x', '', ''] },
    ]);
  });

  it('says how far into the input each record ends', () => {
    const parser = new CsvParser({ delimiter: ',' });
    expect([...parser.push('a,b\r\n"x\ny",z\n'), ...parser.push('last'), ...parser.end()].map((r) => r.end)).toEqual([5, 13, 17]);
  });
});

describe('csvField', () => {
  it('quotes a value only when it must', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('a;b', ';')).toBe('"a;b"');
  });
});
