import { Collation } from 'tedious/lib/collation.js';
import { storageValue, typedValue, valueFromStorage } from '../../../src/emulators/sqlserver/data/storage.js';
import { TYPES_VIEW_COLUMNS } from '../../../src/emulators/sqlserver/data/tipos.js';
import { offsetKey } from '../../../src/emulators/sqlserver/server/functions.js';
import { parseCollation } from '../../../src/emulators/sqlserver/sql/collation.js';
import { SqlServerError } from '../../../src/emulators/sqlserver/sql/errors.js';
import { convertValue } from '../../../src/emulators/sqlserver/sql/values.js';
import {
  describeColumns,
  describeType,
  encodeCp1252,
  formatColumnType,
  formatSqlType,
  formatWallClock,
  instantOfWallClock,
  parseSqlType,
  type SqlType,
  toCodePage1252,
  wallClockDateTime,
  zoneOffsets,
} from '../../../src/emulators/sqlserver/sql-type.js';
import { BufferWriter } from '../../../src/emulators/sqlserver/tds/buffers.js';
import { COLLATION, collationBytes } from '../../../src/emulators/sqlserver/tds/tokens.js';
import {
  guidBytes,
  type ResultColumn,
  rowEncoder,
  writeColMetadata,
} from '../../../src/emulators/sqlserver/tds/types.js';

function row(type: string, value: unknown, nullable = true): Buffer {
  const columns: ResultColumn[] = [{ name: 'c', type: parseSqlType(type), nullable }];
  const w = new BufferWriter(16);
  rowEncoder(columns)(w, [value]);
  return w.take().subarray(1); // after the ROW token
}

function typeInfo(type: string, nullable = true): Buffer {
  const w = new BufferWriter(16);
  writeColMetadata(w, [{ name: 'c', type: parseSqlType(type), nullable }]);
  const b = w.take();
  return b.subarray(1 + 2 + 4 + 2, b.length - 3); // after token, count, userType, flags; before the name
}

const hex = (b: Buffer): string => b.toString('hex');

describe('collations on the wire', () => {
  it.each([
    ['Modern_Spanish_CI_AS', '0a0cd00000', 0x0c0a, 0x0d, 0, 0],
    ['Modern_Spanish_CI_AI', '0a0cf00000', 0x0c0a, 0x0f, 0, 0],
    ['Latin1_General_CS_AS', '0904c00000', 0x0409, 0x0c, 0, 0],
    ['Latin1_General_BIN2', '0904000200', 0x0409, 0x20, 0, 0],
    ['Latin1_General_100_CI_AS', '0904d02000', 0x0409, 0x0d, 2, 0],
    ['SQL_Latin1_General_CP1_CI_AS', '0904d00034', 0x0409, 0x0d, 0, 52],
    ['SQL_Latin1_General_CP1_CS_AS', '0904c00033', 0x0409, 0x0c, 0, 51],
    ['SQL_Latin1_General_CP1_CI_AI', '0904f00036', 0x0409, 0x0f, 0, 54],
    ['Modern_Spanish_100_CI_AS', '0a0cd02000', 0x0c0a, 0x0d, 2, 0],
    ['Modern_Spanish_CS_AS_KS_WS', '0a0c000000', 0x0c0a, 0x00, 0, 0],
    ['Modern_Spanish_BIN', '0a0c000100', 0x0c0a, 0x10, 0, 0],
  ])('%s is %s, which tedious reads back as code page 1252', (name, bytes, lcid, flags, version, sortId) => {
    const b = collationBytes(name);
    const read = Collation.fromBuffer(b);

    expect(hex(b)).toBe(bytes);
    expect([read.lcid, read.flags, read.version, read.sortId, read.codepage]).toEqual([
      lcid,
      flags,
      version,
      sortId,
      'CP1252',
    ]);
  });

  it('uses Modern_Spanish_CI_AS as the database default and refuses unknown names', () => {
    expect(hex(COLLATION)).toBe('0a0cd00000');
    expect(() => collationBytes('Klingon_CI_AS')).toThrow("unknown collation 'Klingon_CI_AS'; supported:");
    expect(() => parseSqlType('VARCHAR(10) COLLATE Klingon_CI_AS')).toThrow(
      "Invalid collation 'Klingon_CI_AS'. The sf-sync SQL Server emulator knows",
    );
  });

  it("has one encoder: collationBytes is the SQL layer's Collation.wire, for every spelling", () => {
    for (const name of ['Modern_Spanish_CI_AS', 'modern_spanish_ci_as', 'Latin1_General_100_CS_AS_SC_UTF8']) {
      expect(collationBytes(name)).toEqual(parseCollation(name).wire);
    }
    // UTF8 (0x40) is the first flag of the fourth byte, under the version: tedious reads UTF-8.
    expect(hex(collationBytes('Latin1_General_100_CI_AS_SC_UTF8'))).toBe('0904d02400');
    expect(Collation.fromBuffer(collationBytes('Latin1_General_100_CI_AS_SC_UTF8')).codepage).toBe('utf-8');
  });

  it.each(['SQL_Latin1_General_CP1_BIN', 'SQL_Latin1_General_CP1_CS_AI', 'SQL_Latin1_General_CP1_CI_AS_KS'])(
    '%s, a SQL collation SQL Server does not have, is refused (Msg 448)',
    (name) => {
      expect(() => collationBytes(name)).toThrow(`unknown collation '${name}'; supported:`);
      expect(() => parseCollation(name)).toThrow(expect.objectContaining({ number: 448 }));
    },
  );
});

describe('implicit conversions to and from TIME and DATETIMEOFFSET (parameters, comparisons)', () => {
  const time = (scale: number): SqlType => ({ kind: 'datetime2', scale, name: 'time' });
  const offset = (scale: number): SqlType => ({ kind: 'datetime2', scale, name: 'datetimeoffset' });
  const text: SqlType = { kind: 'nvarchar', length: 'max' };

  it.each([
    ['08:00', text, time(7), '08:00:00.0000000'],
    ['2026-03-01 08:00:00.5', text, time(0), '08:00:01.0000000'],
    ['23:59:59.9999999', time(7), time(3), '00:00:00.0000000'],
    ['2026-03-01 08:00:00 -05:00', text, offset(7), '2026-03-01 08:00:00.0000000 -05:00'],
    ['2026-03-01 08:00:00', { kind: 'datetime2', scale: 7 }, offset(7), '2026-03-01 08:00:00.0000000 +00:00'],
    ['2026-03-01 23:59:59.9999999 -05:00', offset(7), offset(3), '2026-03-02 00:00:00.0000000 -05:00'],
    [
      '2026-03-01 08:00:00.1234567 -05:00',
      offset(7),
      { kind: 'datetime2', scale: 7 },
      '2026-03-01 08:00:00.1234567',
    ],
    ['2026-03-01 08:00:00.1234567 -05:00', offset(7), { kind: 'date' }, '2026-03-01'],
    ['08:00:00.1234567', time(7), { kind: 'datetime2', scale: 7 }, '1900-01-01 08:00:00.1234567'],
  ] as [string, SqlType, SqlType, string][])('%s (%j) to %j is %s', (value, from, to, expected) => {
    expect(convertValue(value, from, to)).toBe(expected);
  });

  it('refuses text that is no time, as SQL Server does (241)', () => {
    expect(() => convertValue('ayer', text, time(7))).toThrow(expect.objectContaining({ number: 241 }));
    expect(() => convertValue('2026-03-01 08:00 +15:00', text, offset(7))).toThrow(
      expect.objectContaining({ number: 241 }),
    );
  });

  it('keys DATETIMEOFFSET values by their UTC instant, for comparisons and ORDER BY', () => {
    expect(offsetKey('2026-03-01 08:00:00.1234567 -05:00')).toBe('2026-03-01 13:00:00.1234567');
    expect(offsetKey('2026-03-01 13:00:00.1234567 +00:00')).toBe('2026-03-01 13:00:00.1234567');
    expect(offsetKey('2026-03-02 01:00:00.0000000 +14:00')).toBe('2026-03-01 11:00:00.0000000');
    expect(offsetKey(null)).toBeNull();
  });
});

describe('code page 1252', () => {
  it('encodes Spanish text, the euro and dashes in one byte each, and what it lacks as ?', () => {
    expect(hex(encodeCp1252('Añoñé€—'))).toBe('41f16ff1e98097');
    expect(hex(encodeCp1252('日😀'))).toBe('3f3f3f');
    expect(toCodePage1252('Peña 日本 €')).toBe('Peña ?? €');
  });
});

describe('type declarations', () => {
  it.each([
    ['varchar(50)', 167, 'VARCHAR(50)', 'varchar(50)', 50, 0, 0, 'Modern_Spanish_CI_AS'],
    ['VARCHAR(MAX)', 167, 'VARCHAR(MAX)', 'varchar(max)', -1, 0, 0, 'Modern_Spanish_CI_AS'],
    ['char(10)', 175, 'CHAR(10)', 'char(10)', 10, 0, 0, 'Modern_Spanish_CI_AS'],
    ['nchar(10)', 239, 'NCHAR(10)', 'nchar(10)', 20, 0, 0, 'Modern_Spanish_CI_AS'],
    ['nvarchar(255)', 231, 'NVARCHAR(255)', 'nvarchar(255)', 510, 0, 0, 'Modern_Spanish_CI_AS'],
    ['text', 35, 'TEXT', 'text', 16, 0, 0, 'Modern_Spanish_CI_AS'],
    ['ntext', 99, 'NTEXT', 'ntext', 16, 0, 0, 'Modern_Spanish_CI_AS'],
    ['tinyint', 48, 'TINYINT', 'tinyint', 1, 3, 0, null],
    ['smallint', 52, 'SMALLINT', 'smallint', 2, 5, 0, null],
    ['real', 59, 'REAL', 'real', 4, 24, 0, null],
    ['money', 60, 'MONEY', 'money', 8, 19, 4, null],
    ['smallmoney', 122, 'SMALLMONEY', 'smallmoney', 4, 10, 4, null],
    ['decimal(38, 2)', 106, 'DECIMAL(38,2)', 'decimal(38,2)', 17, 38, 2, null],
    ['numeric(10,3)', 108, 'NUMERIC(10,3)', 'numeric(10,3)', 9, 10, 3, null],
    ['smalldatetime', 58, 'SMALLDATETIME', 'smalldatetime', 4, 16, 0, null],
    ['datetime', 61, 'DATETIME', 'datetime', 8, 23, 3, null],
    ['datetime2', 42, 'DATETIME2', 'datetime2(7)', 8, 27, 7, null],
    ['datetime2(0)', 42, 'DATETIME2(0)', 'datetime2(0)', 6, 19, 0, null],
    ['time(3)', 41, 'TIME(3)', 'time(3)', 4, 12, 3, null],
    ['datetimeoffset', 43, 'DATETIMEOFFSET', 'datetimeoffset(7)', 10, 34, 7, null],
    ['uniqueidentifier', 36, 'UNIQUEIDENTIFIER', 'uniqueidentifier', 16, 0, 0, null],
    ['varbinary(16)', 165, 'VARBINARY(16)', 'varbinary(16)', 16, 0, 0, null],
    ['varbinary(max)', 165, 'VARBINARY(MAX)', 'varbinary(max)', -1, 0, 0, null],
  ])(
    '%s (type id %i) is %s, described as %s (max_length %i, precision %i, scale %i)',
    (text, systemTypeId, formatted, system, maxLength, precision, scale, collation) => {
      const type = parseSqlType(text);

      expect(formatSqlType(type)).toBe(formatted);
      expect(parseSqlType(formatSqlType(type))).toEqual(type);
      expect(describeType(type)).toEqual({
        systemTypeId,
        systemTypeName: system,
        maxLength,
        precision,
        scale,
        collationName: collation,
      });
    },
  );

  it("describes a view's columns for the catalog (sp_describe_first_result_set)", () => {
    const described = describeColumns(TYPES_VIEW_COLUMNS.slice(0, 2));

    expect(described).toEqual([
      {
        name: 'codigo',
        isNullable: false,
        declaration: 'VARCHAR(20)',
        type: { kind: 'nvarchar', name: 'varchar', length: 20 },
        systemTypeId: 167,
        systemTypeName: 'varchar(20)',
        maxLength: 20,
        precision: 0,
        scale: 0,
        collationName: 'Modern_Spanish_CI_AS',
      },
      {
        name: 'c_varchar',
        isNullable: true,
        declaration: 'VARCHAR(50)',
        type: { kind: 'nvarchar', name: 'varchar', length: 50 },
        systemTypeId: 167,
        systemTypeName: 'varchar(50)',
        maxLength: 50,
        precision: 0,
        scale: 0,
        collationName: 'Modern_Spanish_CI_AS',
      },
    ]);
  });

  it('keeps a column collation through the catalog text, and maps types to their family for parameters', () => {
    const type = parseSqlType('varchar(20) collate Latin1_General_CS_AS');

    expect(formatColumnType(type)).toBe('VARCHAR(20) COLLATE Latin1_General_CS_AS');
    expect(parseSqlType(formatColumnType(type))).toEqual(type);
    expect(describeType(type).collationName).toBe('Latin1_General_CS_AS');
    expect(parseSqlType('varchar(20)', { lenient: true })).toEqual({ kind: 'nvarchar', length: 20 });
    expect(parseSqlType('money', { lenient: true })).toEqual({ kind: 'decimal', precision: 19, scale: 4 });
    expect(parseSqlType('tinyint', { lenient: true })).toEqual({ kind: 'int' });
  });

  it.each([
    'varchar(8001)',
    'nchar(4001)',
    'char(max)',
    'decimal(39,2)',
    'time(8)',
    'money(10)',
    'int COLLATE Modern_Spanish_CI_AS',
    'geography',
  ])('refuses %s with Msg 2715 naming what is accepted', (text) => {
    expect(() => parseSqlType(text)).toThrow(`cannot find data type ${text}. Supported types: NVARCHAR(n)`);
  });
});

describe('values as SQL Server stores them', () => {
  const error = (fn: () => unknown): [number, string] => {
    try {
      fn();
    } catch (e) {
      if (e instanceof SqlServerError) return [e.number, e.message];
      throw e;
    }
    throw new Error('no error');
  };

  it('pads CHAR/NCHAR, turns what code page 1252 lacks into ?, and rounds temporal values to their type', () => {
    expect(typedValue('ab', parseSqlType('char(5)'))).toBe('ab   ');
    expect(typedValue('ñ', parseSqlType('nchar(3)'))).toBe('ñ  ');
    expect(typedValue('Ñandú 日本', parseSqlType('varchar(20)'))).toBe('Ñandú ??');
    expect(typedValue('2026-03-01 08:00:29.999', parseSqlType('smalldatetime'))).toBe(
      '2026-03-01 08:01:00.0000000',
    );
    expect(typedValue('2026-03-01 08:00:29.998', parseSqlType('smalldatetime'))).toBe(
      '2026-03-01 08:00:00.0000000',
    );
    expect(typedValue('2026-03-01 23:59:59.999', parseSqlType('datetime'))).toBe(
      '2026-03-02 00:00:00.0000000',
    );
    expect(typedValue('2026-03-01 08:00:00.002', parseSqlType('datetime'))).toBe(
      '2026-03-01 08:00:00.0033333',
    );
    expect(typedValue('23:59:59.9999999', parseSqlType('time(0)'))).toBe('00:00:00.0000000');
    expect(typedValue('2026-03-01 08:00:00Z', parseSqlType('datetimeoffset(0)'))).toBe(
      '2026-03-01 08:00:00.0000000 +00:00',
    );
    expect(typedValue('{6f9619ff-8b86-d011-b42d-00c04fc964ff}', parseSqlType('uniqueidentifier'))).toBe(
      '6F9619FF-8B86-D011-B42D-00C04FC964FF',
    );
    expect(typedValue('0xabcd', parseSqlType('varbinary(2)'))).toBe('0xABCD');
    expect(typedValue('12345678901234567890123456789012345678', parseSqlType('decimal(38,0)'))).toBe(
      '12345678901234567890123456789012345678',
    );
    expect(typedValue('3.14', parseSqlType('real'))).toBe(Math.fround(3.14));
  });

  it('stores DECIMAL(38,2) in SQLite as the text of its scaled integer, exactly, and reads it back', () => {
    const type = parseSqlType('decimal(38,2)');
    const stored = storageValue('-123456789012345678901234567890123456.78', type);

    expect(stored).toBe('-12345678901234567890123456789012345678');
    expect(valueFromStorage(stored, type)).toBe('-123456789012345678901234567890123456.78');
    expect(storageValue('1234.5', parseSqlType('decimal(18,2)'))).toBe(123450n);
    expect(storageValue('1.5', parseSqlType('money'))).toBe(15000n);
    expect(hex(row('decimal(38,2)', stored))).toBe(
      hex(row('decimal(38,2)', '-123456789012345678901234567890123456.78')),
    );
  });

  it('refuses what does not fit with the SQL Server error', () => {
    expect(error(() => typedValue('abcdef', parseSqlType('varchar(5)')))).toEqual([
      8152,
      'String or binary data would be truncated.',
    ]);
    expect(error(() => typedValue('0x010203', parseSqlType('varbinary(2)')))[0]).toBe(8152);
    expect(error(() => typedValue('256', parseSqlType('tinyint')))).toEqual([
      220,
      'Arithmetic overflow error for data type tinyint, value = 256.',
    ]);
    expect(error(() => typedValue('214748.3648', parseSqlType('smallmoney')))[0]).toBe(220);
    expect(error(() => typedValue('2079-06-07 00:00', parseSqlType('smalldatetime')))[0]).toBe(242);
    expect(error(() => typedValue('1752-12-31', parseSqlType('datetime')))[0]).toBe(242);
    expect(error(() => typedValue('not-a-guid', parseSqlType('uniqueidentifier')))[0]).toBe(8169);
    expect(error(() => typedValue(`1${'0'.repeat(38)}`, parseSqlType('decimal(38,0)')))[0]).toBe(8115);
  });
});

describe('row values on the wire', () => {
  it('writes VARCHAR as code page 1252 bytes and CHAR padded to its length', () => {
    expect(hex(typeInfo('varchar(10)'))).toBe('a70a000a0cd00000');
    expect(hex(row('varchar(10)', 'Año€'))).toBe('0400' + '41f16f80');
    expect(hex(typeInfo('char(4)'))).toBe('af04000a0cd00000');
    expect(hex(row('char(4)', 'ñ'))).toBe('0400' + 'f1202020');
    expect(hex(row('nchar(2)', 'ñ'))).toBe('0400' + 'f1002000');
    expect(hex(row('varchar(max)', 'ñ'))).toBe('0100000000000000' + '01000000f1' + '00000000');
  });

  it('writes TEXT and NTEXT with a text pointer, timestamp and length', () => {
    expect(hex(typeInfo('text'))).toBe('23ffffff7f0a0cd0000000');
    const b = row('ntext', 'ñ');
    expect([b[0], b.subarray(17, 25).every((x) => x === 0), b.readUInt32LE(25), hex(b.subarray(29))]).toEqual(
      [16, true, 2, 'f100'],
    );
    expect(hex(row('text', null))).toBe('00');
  });

  it('writes MONEY as the high then low 32 bits of the value in 1/10000, SMALLMONEY as one int32', () => {
    expect(hex(typeInfo('money'))).toBe('6e08');
    expect(hex(row('money', -10000n))).toBe('08' + 'ffffffff' + 'f0d8ffff');
    expect(hex(row('money', '922337203685477.5807'))).toBe('08' + 'ffffff7f' + 'ffffffff');
    expect(hex(row('smallmoney', 12345n))).toBe('04' + '39300000');
  });

  it('writes DECIMAL(38,2) exactly from its text, 16 bytes of magnitude', () => {
    expect(hex(typeInfo('decimal(38,2)'))).toBe('6a112602');
    const b = row('decimal(38,2)', '-123456789012345678901234567890123456.78');
    const magnitude = BigInt(`0x${Buffer.from(b.subarray(2)).reverse().toString('hex')}`);
    expect([b[0], b[1], magnitude]).toEqual([17, 0, 12345678901234567890123456789012345678n]);
    expect(hex(typeInfo('numeric(10,3)'))).toBe('6c090a03');
  });

  it('writes a UNIQUEIDENTIFIER with its first three groups little-endian', () => {
    expect(hex(guidBytes('6F9619FF-8B86-D011-B42D-00C04FC964FF'))).toBe('ff19966f868b11d0b42d00c04fc964ff');
    expect(hex(typeInfo('uniqueidentifier'))).toBe('2410');
    expect(hex(row('uniqueidentifier', '6F9619FF-8B86-D011-B42D-00C04FC964FF'))).toBe(
      '10ff19966f868b11d0b42d00c04fc964ff',
    );
  });

  it('writes DATETIMEOFFSET as UTC time and date plus the offset, TIME and SMALLDATETIME in their units', () => {
    expect(hex(typeInfo('datetimeoffset(0)'))).toBe('2b00');
    const b = row('datetimeoffset(0)', '2026-03-01 23:30:00.0000000 -05:00');
    // 04:30:00 UTC on 2026-03-02: 16200 s, day 739676 since 0001-01-01, offset -300 minutes.
    expect([b[0], b.readUIntLE(1, 3), b.readUIntLE(4, 3), b.readInt16LE(7)]).toEqual([
      8, 16200, 739676, -300,
    ]);
    expect(hex(typeInfo('time(7)'))).toBe('2907');
    expect(hex(row('time(7)', '00:00:01.0000000'))).toBe('05' + '8096980000');
    expect(hex(typeInfo('smalldatetime'))).toBe('6f04');
    const s = row('smalldatetime', '1900-01-02 00:01:00.0000000');
    expect([s[0], s.readUInt16LE(1), s.readUInt16LE(3)]).toEqual([4, 1, 1]);
    expect(hex(typeInfo('real'))).toBe('6d04');
    expect(hex(typeInfo('tinyint'))).toBe('2601');
    expect(hex(row('tinyint', 255))).toBe('01ff');
  });

  it('writes VARBINARY as its bytes (PLP for MAX) and NULLs per type', () => {
    expect(hex(typeInfo('varbinary(16)'))).toBe('a51000');
    expect(hex(row('varbinary(16)', '0x0001FEFF'))).toBe('0400' + '0001feff');
    expect(hex(row('varbinary(16)', null))).toBe('ffff');
    expect(hex(row('varbinary(max)', null))).toBe('ffffffffffffffff');
    expect(hex(row('varchar(10)', null))).toBe('ffff');
    expect(hex(row('decimal(38,2)', null))).toBe('00');
  });

  it('sends NOT NULL columns of types with a fixed-length form without lengths, as SQL Server does', () => {
    expect(hex(typeInfo('int', false))).toBe('38');
    expect(hex(row('int', 7, false))).toBe('07000000');
    expect(hex(typeInfo('bigint', false))).toBe('7f');
    expect(hex(typeInfo('bit', false))).toBe('32');
    expect(hex(row('bit', true, false))).toBe('01');
    expect(hex(typeInfo('money', false))).toBe('3c');
    expect(hex(typeInfo('datetime', false))).toBe('3d');
    expect(hex(typeInfo('smalldatetime', false))).toBe('3a');
    expect(hex(typeInfo('real', false))).toBe('3b');
    expect(hex(typeInfo('float', false))).toBe('3e');
    expect(hex(typeInfo('date', false))).toBe('28');
    expect(hex(typeInfo('decimal(5,2)', false))).toBe('6a050502');
    const columns: ResultColumn[] = [
      { name: 'a', type: { kind: 'int' } satisfies SqlType, nullable: false },
      { name: 'b', type: { kind: 'int' }, nullable: false },
    ];
    expect(() => rowEncoder(columns)(new BufferWriter(16), [1, null])).toThrow(
      'column b is NOT NULL (INT) but the value is NULL',
    );
    expect(() => rowEncoder(columns.slice(0, 1))(new BufferWriter(16), [null])).toThrow(
      'column a is NOT NULL (INT) but the value is NULL',
    );
  });
});

describe('wall clock of a time zone', () => {
  it('reads an instant on the clock of Bogotá (UTC-5 all year) and of zones with DST', () => {
    const instant = new Date('2026-03-01T13:00:00.123Z');

    expect(wallClockDateTime(instant, 'America/Bogota')).toBe('2026-03-01 08:00:00.1230000');
    expect(wallClockDateTime(new Date('2026-07-01T13:00:00Z'), 'America/New_York')).toBe(
      '2026-07-01 09:00:00.0000000',
    );
    expect(wallClockDateTime(new Date('2026-01-01T13:00:00Z'), 'America/New_York')).toBe(
      '2026-01-01 08:00:00.0000000',
    );
    // New York moves from UTC-5 to UTC-4 at 07:00Z on 2026-03-08 (02:00 local becomes 03:00).
    const newYork = zoneOffsets('America/New_York');
    expect(
      ['2026-03-08T06:59:59Z', '2026-03-08T07:00:00Z', '2026-11-01T05:59:59Z', '2026-11-01T06:00:00Z'].map(
        (t) => formatWallClock(Date.parse(t), newYork),
      ),
    ).toEqual([
      '2026-03-08 01:59:59.0000000',
      '2026-03-08 03:00:00.0000000',
      '2026-11-01 01:59:59.0000000',
      '2026-11-01 01:00:00.0000000',
    ]);
    expect(instantOfWallClock('2026-07-01 09:00:00', 'America/New_York')).toEqual(
      new Date('2026-07-01T13:00:00Z'),
    );
    expect(() => wallClockDateTime(instant, 'Bogota')).toThrow(
      "unknown time zone 'Bogota': give an IANA name such as America/Bogota, America/New_York or UTC",
    );
  });
});
