import { SalesforceRequestError } from '../../../src/core/errors.js';
import {
  CsvRowParser,
  cellText,
  columnsOf,
  csvParts,
  quoteCell,
  toCsv,
} from '../../../src/core/salesforce/bulk/csv.js';

describe('toCsv', () => {
  it('quotes by RFC 4180, writes #N/A for null and leaves undefined cells empty', () => {
    const csv = toCsv([
      { Ext__c: 'A-1', Name: 'Tienda "Uno", Centro', City: null, Phone: undefined },
      { Ext__c: 'A-2', Name: 'Dos\nlíneas', City: 'Cali' },
    ]);
    expect(csv).toBe('Ext__c,Name,City,Phone\nA-1,"Tienda ""Uno"", Centro",#N/A,\nA-2,"Dos\nlíneas",Cali,\n');
  });

  it('clears a field given as an empty string, as a Collections request does', () => {
    expect(toCsv([{ Ext__c: 'A-1', City: '' }])).toBe('Ext__c,City\nA-1,#N/A\n');
  });

  it('turns a nested parent reference into a Relationship.ExternalId column', () => {
    const records = [
      { ti_external_id__c: 'S-1', Name: 'Sucursal', Account: { ti_external_id__c: 'ITALCOL-9' } },
      {
        ti_external_id__c: 'A-1',
        ti_cuenta__r: { attributes: { type: 'Account' }, ti_external_id__c: 'ITALCOL-8' },
      },
    ];
    expect(columnsOf(records)).toEqual([
      'ti_external_id__c',
      'Name',
      'Account.ti_external_id__c',
      'ti_cuenta__r.ti_external_id__c',
    ]);
    expect(toCsv(records)).toBe(
      'ti_external_id__c,Name,Account.ti_external_id__c,ti_cuenta__r.ti_external_id__c\nS-1,Sucursal,ITALCOL-9,\nA-1,,,ITALCOL-8\n',
    );
  });

  it('refuses a parent reference naming no field or two', () => {
    expect(() => toCsv([{ Account: {} }])).toThrow(
      'Bulk CSV: Account must name its parent by exactly one external ID field, e.g. {"Account": {"Ext__c": "X"}}; got 0 fields',
    );
    expect(() => toCsv([{ Account: { A: 1, B: 2 } }])).toThrow(SalesforceRequestError);
  });

  it('writes numbers without exponent, exact digit strings as given, booleans, dates as ISO UTC', () => {
    expect(cellText(1e21, 'N')).toBe('1000000000000000000000');
    expect(cellText(0.000001, 'N')).toBe('0.000001');
    expect(cellText(-12.5, 'N')).toBe('-12.5');
    expect(cellText('12345678901234567.89', 'N')).toBe('12345678901234567.89');
    expect(cellText(true, 'B')).toBe('true');
    expect(cellText(false, 'B')).toBe('false');
    expect(cellText(new Date(Date.UTC(2026, 10, 29, 5, 0, 0, 7)), 'D')).toBe('2026-11-29T05:00:00.007Z');
    expect(() => cellText(Number.NaN, 'N')).toThrow('Bulk CSV: N is not a finite number: NaN');
    expect(() => cellText([1], 'L')).toThrow(
      'Bulk CSV: L holds an array; accepted: string, number, boolean, Date, null, or a parent reference {"Field": value}',
    );
  });

  it('keeps unicode as is and quotes cells with edge spaces, CR, delimiter', () => {
    expect(quoteCell('Bogotá 🌎')).toBe('Bogotá 🌎');
    expect(quoteCell(' padded')).toBe('" padded"');
    expect(quoteCell('a\rb')).toBe('"a\rb"');
    expect(quoteCell('a|b', '|')).toBe('"a|b"');
    expect(quoteCell('a,b', '|')).toBe('a,b');
  });

  it('uses CRLF and another delimiter when the job says so', () => {
    expect(toCsv([{ A: 'x', B: 'y|z' }], ['A', 'B'], { lineEnding: 'CRLF', columnDelimiter: 'PIPE' })).toBe(
      'A|B\r\nx|"y|z"\r\n',
    );
  });

  it('refuses a record with a column the job does not have', () => {
    expect(() => toCsv([{ A: 'x', C: 'z' }], ['A', 'B'])).toThrow(
      "Bulk CSV: the record has a column C that is not among the job's columns (A, B)",
    );
  });
});

describe('csvParts', () => {
  const records = Array.from({ length: 10 }, (_, i) => ({ Ext__c: `K-${i}`, Name: `Nombre ${i}` }));
  const keyOf = (r: Record<string, unknown>) => r.Ext__c as string;

  it('splits into parts under the byte limit, each with the header, keys in file order', () => {
    // header "Ext__c,Name\n" = 12 bytes, each line "K-i,Nombre i\n" = 13 bytes: 3 lines fit in 52.
    const parts = [...csvParts(records, { columns: ['Ext__c', 'Name'], keyOf, maxBytes: 52 })];
    expect(parts.map((p) => p.keys)).toEqual([
      ['K-0', 'K-1', 'K-2'],
      ['K-3', 'K-4', 'K-5'],
      ['K-6', 'K-7', 'K-8'],
      ['K-9'],
    ]);
    expect(parts.map((p) => p.bytes)).toEqual([51, 51, 51, 25]);
    expect(parts.map((p) => Buffer.byteLength(p.csv))).toEqual([51, 51, 51, 25]);
    expect(parts[3]?.csv).toBe('Ext__c,Name\nK-9,Nombre 9\n');
  });

  it('counts bytes in UTF-8, not characters', () => {
    const wide = [
      { Ext__c: 'K', Name: 'ñññ' },
      { Ext__c: 'L', Name: 'ñññ' },
    ];
    // header 12 + "K,ñññ\n" = 9 bytes (6 characters): both need 30 bytes.
    expect(
      [...csvParts(wide, { columns: ['Ext__c', 'Name'], keyOf, maxBytes: 29 })].map((p) => p.keys),
    ).toEqual([['K'], ['L']]);
    expect([...csvParts(wide, { columns: ['Ext__c', 'Name'], keyOf, maxBytes: 30 })]).toHaveLength(1);
  });

  it('refuses a record that alone exceeds the limit, naming it', () => {
    expect(() => [...csvParts(records, { columns: ['Ext__c', 'Name'], keyOf, maxBytes: 20 })]).toThrow(
      "Bulk CSV: record K-0 takes 25 bytes with the header, more than one upload's 20",
    );
  });

  it('yields nothing for no records', () => {
    expect([...csvParts([], { columns: ['Ext__c'], keyOf })]).toEqual([]);
  });
});

describe('CsvRowParser', () => {
  const text = '"sf__Id","sf__Error","Name"\n"","X:a, ""b""\nc:--","Multi\r\nline"\r\n"001","","ñ"\n';
  const expected = [
    ['sf__Id', 'sf__Error', 'Name'],
    ['', 'X:a, "b"\nc:--', 'Multi\r\nline'],
    ['001', '', 'ñ'],
  ];

  it('parses quoted cells with delimiters, quotes and line breaks, LF and CRLF', () => {
    const parser = new CsvRowParser();
    expect([...parser.push(text), ...parser.end()]).toEqual(expected);
  });

  it('gives the same rows whatever the chunk boundaries', () => {
    for (let size = 1; size <= 7; size++) {
      const parser = new CsvRowParser();
      const rows: string[][] = [];
      for (let i = 0; i < text.length; i += size) rows.push(...parser.push(text.slice(i, i + size)));
      rows.push(...parser.end());
      expect(rows).toEqual(expected);
    }
  });

  it('reads a last row without a line break, unquoted cells, another delimiter', () => {
    const parser = new CsvRowParser(';');
    expect([...parser.push('a;b\nc;"d;e"'), ...parser.end()]).toEqual([
      ['a', 'b'],
      ['c', 'd;e'],
    ]);
  });

  it('refuses an unterminated quoted cell', () => {
    const parser = new CsvRowParser();
    parser.push('a,"b');
    expect(() => parser.end()).toThrow('Bulk results CSV: unterminated quoted cell');
  });
});
