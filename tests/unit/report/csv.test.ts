import { parse } from 'csv-parse/sync';
import {
  csvField,
  csvRecord,
  type EntityTarget,
  FAILURE_COLUMNS,
  failuresCsv,
  UTF8_BOM,
} from '../../../src/report/csv.js';
import type { Failure } from '../../../src/report/data.js';

const targets = (entity: string): EntityTarget | undefined =>
  entity === 'terceros'
    ? { object: 'Account', externalIdField: 'ti_external_id__c', strategy: 'externalId' }
    : undefined;

describe('RFC 4180 fields', () => {
  it('quotes a field with a comma, quote, CR or LF and doubles its quotes; leaves others as they are', () => {
    expect([
      csvField('plain'),
      csvField('a,b'),
      csvField('say "hi"'),
      csvField('two\nlines'),
      csvField('cr\r'),
    ]).toEqual(['plain', '"a,b"', '"say ""hi"""', '"two\nlines"', '"cr\r"']);
    expect(csvRecord(['a', 'b,c'])).toBe('a,"b,c"\r\n');
  });
});

describe('failuresCsv', () => {
  const failures: Failure[] = [
    {
      company: 'ITALCOL',
      entity: 'terceros',
      key: '900-1',
      bucket: 'rejected',
      code: 'STRING_TOO_LONG',
      message: 'Name: "Ñandú, S.A."\nsegunda línea',
      fields: ['Name', 'Type'],
    },
    { company: 'ITALCOL', entity: 'gone', key: 'K', bucket: 'failed', code: 'INVALID_FIELD', message: 'x' },
  ];

  it('starts with a BOM, ends records with CRLF and names its columns', () => {
    const csv = failuresCsv(failures, targets);
    expect(csv.startsWith(UTF8_BOM)).toBe(true);
    expect(csv.slice(1).split('\r\n')[0]).toBe(FAILURE_COLUMNS.join(','));
    expect(csv.endsWith('\r\n')).toBe(true);
  });

  it('parses back to the failures, with external ID, object and operation; unknown entities leave them empty', () => {
    const rows = parse(failuresCsv(failures, targets), { bom: true, columns: true }) as Record<
      string,
      string
    >[];
    expect(rows).toEqual([
      {
        company: 'ITALCOL',
        entity: 'terceros',
        key: '900-1',
        external_id: 'ITALCOL-900-1',
        object: 'Account',
        operation: 'upsert (ti_external_id__c)',
        bucket: 'rejected',
        error_code: 'STRING_TOO_LONG',
        message: 'Name: "Ñandú, S.A."\nsegunda línea',
        fields: 'Name;Type',
      },
      {
        company: 'ITALCOL',
        entity: 'gone',
        key: 'K',
        external_id: 'ITALCOL-K',
        object: '',
        operation: '',
        bucket: 'failed',
        error_code: 'INVALID_FIELD',
        message: 'x',
        fields: '',
      },
    ]);
  });

  it('writes only the header for a run with no failures', () => {
    expect(failuresCsv([], targets)).toBe(`${UTF8_BOM}${FAILURE_COLUMNS.join(',')}\r\n`);
  });
});
