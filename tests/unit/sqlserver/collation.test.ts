import { Collation } from 'tedious/lib/collation.js';
import { decimalKey, substring, tieBreak } from '../../../src/emulators/sqlserver/server/functions.js';
import { collationKey, likeFold, parseCollation } from '../../../src/emulators/sqlserver/sql/collation.js';
import { SqlServerError } from '../../../src/emulators/sqlserver/sql/errors.js';
import { convertExplicit, floatToText, temporalToText } from '../../../src/emulators/sqlserver/sql/values.js';

const key = (text: string, collation = 'Modern_Spanish_CI_AS'): string =>
  collationKey(text, parseCollation(collation));
const sorted = (values: string[], collation: string): string[] =>
  [...values].sort((a, b) =>
    key(a, collation) < key(b, collation) ? -1 : key(a, collation) > key(b, collation) ? 1 : 0,
  );

describe('collation keys', () => {
  it.each([
    ['ab-1', 'AB-1', 'Modern_Spanish_CI_AS', true],
    ['Ñandú', 'ñandú', 'Modern_Spanish_CI_AS', true],
    ['É', 'é', 'Modern_Spanish_CI_AS', true],
    ['e', 'é', 'Modern_Spanish_CI_AS', false],
    ['ab', 'ab   ', 'Modern_Spanish_CI_AS', true],
    [' ab', 'ab', 'Modern_Spanish_CI_AS', false],
    ['ab\t', 'ab', 'Modern_Spanish_CI_AS', false],
    ['ab\u00a0', 'ab', 'Modern_Spanish_CI_AS', false],
    ['straße', 'STRASSE', 'Modern_Spanish_CI_AS', true],
    ['ä', 'ae', 'Latin1_General_CI_AS', false],
    ['Æsir', 'aesir', 'Latin1_General_CI_AS', true],
    ['ΣΟΦΟΣ', 'σοφος', 'Latin1_General_CI_AS', true],
    ['ΣΟΦΟΣ', 'σοφoς', 'Latin1_General_CI_AS', false],
    ['a', 'A', 'Latin1_General_CS_AS', false],
    ['a', 'a ', 'Latin1_General_CS_AS', true],
    ['e', 'é', 'Modern_Spanish_CI_AI', true],
    ['n', 'ñ', 'Modern_Spanish_CI_AI', false],
    ['n', 'ñ', 'Latin1_General_CI_AI', true],
    ['Peña', 'PENA', 'Latin1_General_CI_AI', true],
    ['ß', 'ss', 'Latin1_General_BIN2', false],
    ['a', 'A', 'Latin1_General_BIN2', false],
    ['ab', 'ab  ', 'Latin1_General_BIN2', true],
    ['AB-1', 'ab-1', 'SQL_Latin1_General_CP1_CI_AS', true],
  ])('%j = %j under %s is %s', (a, b, collation, equal) => {
    expect(key(a, collation) === key(b, collation)).toBe(equal);
  });

  it('orders base letters first, then accents, then case; ñ after n in Spanish', () => {
    const words = ['o', 'ñu', 'nz', 'na', 'b', 'á', 'a', '10', '-x', 'Z'];

    expect(sorted(words, 'Modern_Spanish_CI_AS')).toEqual([
      '-x',
      '10',
      'a',
      'á',
      'b',
      'na',
      'nz',
      'ñu',
      'o',
      'Z',
    ]);
    expect(sorted(words, 'Latin1_General_CI_AS')).toEqual([
      '-x',
      '10',
      'a',
      'á',
      'b',
      'na',
      'ñu',
      'nz',
      'o',
      'Z',
    ]);
    expect(sorted(['B', 'a', 'A', 'b'], 'Latin1_General_CS_AS')).toEqual(['a', 'A', 'b', 'B']);
    expect(sorted(['b', 'B', 'a', 'A'], 'Latin1_General_BIN2')).toEqual(['A', 'B', 'a', 'b']);
    expect(sorted(['éa', 'eb', 'ea'], 'Modern_Spanish_CI_AS')).toEqual(['ea', 'éa', 'eb']);
  });

  it('refuses an unknown collation with Msg 448 naming what is accepted', () => {
    const fail = (): unknown => parseCollation('Klingon_CI_AS');

    expect(fail).toThrow(SqlServerError);
    expect(fail).toThrow(/Invalid collation 'Klingon_CI_AS'\. .*Modern_Spanish.*_BIN2/);
    expect(parseCollation('modern_spanish_ci_as').name).toBe('Modern_Spanish_CI_AS');
    expect(parseCollation('latin1_general_100_cs_as_sc_utf8').name).toBe('Latin1_General_100_CS_AS_SC_UTF8');
  });

  it('carries the 5 TDS collation bytes tedious reads back (LCID, flags, version, sort id)', () => {
    const wire = (name: string): string => parseCollation(name).wire.toString('hex');

    expect(wire('Modern_Spanish_CI_AS')).toBe('0a0cd00000');
    expect(wire('SQL_Latin1_General_CP1_CI_AS')).toBe('0904d00034');
    expect(wire('Latin1_General_CS_AS')).toBe('0904c00000');
    expect(wire('Latin1_General_100_CI_AI')).toBe('0904f02000');
    expect(wire('Latin1_General_BIN2')).toBe('0904000200');
    const parsed = Collation.fromBuffer(parseCollation('Modern_Spanish_CI_AS').wire);
    expect([parsed.lcid, parsed.codepage]).toEqual([3082, 'CP1252']);
  });

  it('folds text for LIKE one character at a time', () => {
    expect(likeFold('PEÑA', parseCollation('Modern_Spanish_CI_AS'))).toBe('peña');
    expect(likeFold('PEÑA Ó', parseCollation('Modern_Spanish_CI_AI'))).toBe('peña o');
    expect(likeFold('PEÑA', parseCollation('Latin1_General_CI_AI'))).toBe('pena');
    expect(likeFold('PEÑA', parseCollation('Latin1_General_CS_AS'))).toBe('PEÑA');
  });
});

describe('tie order, SUBSTRING and conversions', () => {
  it('breaks ties by a seeded hash of the whole row', () => {
    expect(tieBreak(1, ['ab-1', 1])).toBe(tieBreak(1, ['ab-1', 1]));
    expect(tieBreak(1, ['ab-1', 1])).not.toBe(tieBreak(2, ['ab-1', 1]));
    expect(tieBreak(1, ['ab-1', 1])).not.toBe(tieBreak(1, ['AB-1', 1]));
    expect(tieBreak(1, [null])).not.toBe(tieBreak(1, ['null']));
  });

  it.each([
    ['abcdef', 2, 3, 'bcd'],
    ['abcdef', 0, 3, 'ab'],
    ['abcdef', -5, 3, ''],
    ['abcdef', 5, 10, 'ef'],
    ['abcdef', 10, 1, ''],
  ])('SUBSTRING(%j, %i, %i) is %j', (text, start, length, expected) => {
    expect(substring(text, start, length)).toBe(expected);
  });

  it('writes floats and dates as CAST and CONVERT do', () => {
    expect([floatToText(1234567), floatToText(123.456), floatToText(0.1), floatToText(1e-5)]).toEqual([
      '1.23457e+006',
      '123.456',
      '0.1',
      '1e-005',
    ]);
    const dt2 = { kind: 'datetime2', scale: 7 } as const;
    const value = '2024-02-09 13:05:09.1234500';
    expect([0, 23, 103, 112, 120, 121, 126].map((style) => temporalToText(value, dt2, style))).toEqual([
      'Feb  9 2024  1:05PM',
      '2024-02-09',
      '09/02/2024',
      '20240209',
      '2024-02-09 13:05:09',
      '2024-02-09 13:05:09.1234500',
      '2024-02-09T13:05:09.1234500',
    ]);
    expect(temporalToText('2024-02-09 13:05:09.0000000', { kind: 'datetime' }, 126)).toBe(
      '2024-02-09T13:05:09',
    );
    expect(temporalToText('2024-02-09', { kind: 'date' }, 120)).toBe('2024-02-09');
    expect(convertExplicit('09/02/2024', { kind: 'nvarchar', length: 10 }, { kind: 'date' }, 103)).toBe(
      '2024-02-09',
    );
    expect(convertExplicit('20240209', { kind: 'nvarchar', length: 8 }, { kind: 'date' })).toBe('2024-02-09');
  });

  it('writes TIME and DATETIMEOFFSET as CONVERT does (127 in UTC with Z)', () => {
    const time = { kind: 'datetime2', scale: 7, name: 'time' } as const;
    const offset = { kind: 'datetime2', scale: 3, name: 'datetimeoffset' } as const;
    const value = '1997-12-31 14:53:00.1230000 +04:30';

    expect([undefined, 108, 0].map((style) => temporalToText('08:05:09.1234567', time, style))).toEqual([
      '08:05:09.1234567',
      '08:05:09',
      '8:05AM',
    ]);
    expect([undefined, 126, 127, 23].map((style) => temporalToText(value, offset, style))).toEqual([
      '1997-12-31 14:53:00.123 +04:30',
      '1997-12-31T14:53:00.123+04:30',
      '1997-12-31T10:23:00.123Z',
      '1997-12-31',
    ]);
    expect(temporalToText('2026-01-01 02:00:00.0000000 +05:00', offset, 127)).toBe('2025-12-31T21:00:00Z');
  });

  it('keys wide decimals so that text order is numeric order', () => {
    const keys = [
      ['-12345678901234567890123456789012345678', 2],
      ['-1', 2],
      ['0', 2],
      ['5', 0],
      ['123456789012345678901234567890123456', 0],
    ].map(([scaled, scale]) => decimalKey(scaled, scale, 2) as string);

    expect([...keys].sort()).toEqual(keys);
    expect(decimalKey(5n, 0, 2)).toBe(decimalKey('500', 2, 2));
    expect(decimalKey(null, 0, 2)).toBeNull();
  });

  it('converts decimals exactly and refuses what SQL Server refuses', () => {
    const dec = { kind: 'decimal', precision: 38, scale: 2 } as const;
    expect(convertExplicit('12345678901234567890123.45', dec, { kind: 'nvarchar', length: 50 })).toBe(
      '12345678901234567890123.45',
    );
    expect(
      convertExplicit(
        '2.675',
        { kind: 'decimal', precision: 10, scale: 3 },
        { kind: 'decimal', precision: 10, scale: 2 },
      ),
    ).toBe('2.68');
    expect(convertExplicit('-2.7', { kind: 'decimal', precision: 10, scale: 1 }, { kind: 'int' })).toBe(-2);
    expect(() => convertExplicit(12345, { kind: 'int' }, { kind: 'nvarchar', length: 3 })).toThrow(
      'Arithmetic overflow error converting expression to data type nvarchar.',
    );
    expect(convertExplicit('abcdef', { kind: 'nvarchar', length: 6 }, { kind: 'nvarchar', length: 3 })).toBe(
      'abc',
    );
    expect(() => convertExplicit('x1', { kind: 'nvarchar', length: 2 }, { kind: 'int' })).toThrow(
      "Conversion failed when converting the nvarchar value 'x1' to data type int.",
    );
  });
});
