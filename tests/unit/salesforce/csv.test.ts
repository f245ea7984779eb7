import { CsvError, formatCsvLine, parseCsv } from '../../../src/emulators/salesforce/csv.js';

describe('CSV', () => {
  it('reads quoted cells with delimiters, quotes and line breaks, LF or CRLF', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",\n')).toEqual([
      ['a', 'b'],
      ['x, y', 'say "hi"'],
      ['multi\nline', ''],
    ]);
  });

  it('takes another delimiter and skips blank lines', () => {
    expect(parseCsv('a|b\n\n1|2', '|')).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('refuses broken quoting, naming the line', () => {
    expect(() => parseCsv('a\n"open')).toThrow(new CsvError('unterminated quoted field starting on line 2'));
    expect(() => parseCsv('a\nx"y')).toThrow(/quote inside an unquoted field on line 2/);
  });

  it('writes every value quoted', () => {
    expect(formatCsvLine(['a', 'b"c', ''])).toBe('"a","b""c",""');
  });
});
