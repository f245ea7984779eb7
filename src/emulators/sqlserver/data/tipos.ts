/**
 * tipos_view: a demo view in every generated company database with one column of each SQL Server
 * type the emulator knows and three rows (everyday values at their limits, all NULLs, edge values),
 * for round-trip tests of the sync (DECIMAL(38,2) beyond 2^53, MONEY, code page 1252 text with ñ/á/€,
 * CHAR padding, DATETIMEOFFSET, UNIQUEIDENTIFIER, VARBINARY, ...). Key: `codigo`.
 */
import type { ColumnDef } from '../sql/translate.js';
import { parseSqlType, type SqlValue } from '../sql-type.js';
import { typedValue } from './storage.js';

export const TYPES_VIEW = 'tipos_view';
export const TYPES_TABLE = 'tipos';
export const TYPES_VIEW_KEY = 'codigo';

const SPEC: [name: string, type: string][] = [
  ['codigo', 'VARCHAR(20)'],
  ['c_varchar', 'VARCHAR(50)'],
  ['c_char', 'CHAR(10)'],
  ['c_varchar_max', 'VARCHAR(MAX)'],
  ['c_nvarchar', 'NVARCHAR(50)'],
  ['c_nchar', 'NCHAR(10)'],
  ['c_nvarchar_max', 'NVARCHAR(MAX)'],
  ['c_text', 'TEXT'],
  ['c_ntext', 'NTEXT'],
  ['c_tinyint', 'TINYINT'],
  ['c_smallint', 'SMALLINT'],
  ['c_int', 'INT'],
  ['c_bigint', 'BIGINT'],
  ['c_real', 'REAL'],
  ['c_float', 'FLOAT'],
  ['c_bit', 'BIT'],
  ['c_money', 'MONEY'],
  ['c_smallmoney', 'SMALLMONEY'],
  ['c_decimal', 'DECIMAL(38,2)'],
  ['c_numeric', 'NUMERIC(10,3)'],
  ['c_date', 'DATE'],
  ['c_smalldatetime', 'SMALLDATETIME'],
  ['c_datetime', 'DATETIME'],
  ['c_datetime2', 'DATETIME2'],
  ['c_datetime2_3', 'DATETIME2(3)'],
  ['c_datetimeoffset', 'DATETIMEOFFSET'],
  ['c_time', 'TIME'],
  ['c_uniqueidentifier', 'UNIQUEIDENTIFIER'],
  ['c_varbinary', 'VARBINARY(16)'],
  ['c_varbinary_max', 'VARBINARY(MAX)'],
];

/** The columns of tipos_view: `codigo VARCHAR(20) NOT NULL`, then one NULL-able column per type. */
export const TYPES_VIEW_COLUMNS: ColumnDef[] = SPEC.map(([name, type], i) => ({
  name,
  type: parseSqlType(type),
  nullable: i > 0,
}));

/** The values as written in T-SQL literals / CSV (before SQL Server stores them). */
const GIVEN: Record<string, (string | null)[]> = {
  'T-1': [
    'T-1',
    'Compañía Ñandú — café €5',
    'ab',
    'Descripción: línea 1\nlínea 2 ñ',
    'Ñoño 日本 😀',
    'ñ',
    'Texto Unicode ✓ ñ',
    'Texto heredado ñ',
    'Texto Unicode heredado ✓',
    '255',
    '-32768',
    '-2147483648',
    '9223372036854775807',
    '3.14',
    '0.1',
    '1',
    '922337203685477.5807',
    '-214748.3648',
    '123456789012345678901234567890123456.78',
    '-1234567.891',
    '2026-03-01',
    '2026-03-01 08:00:30',
    '2026-03-01 08:00:00.005',
    '2026-03-01 08:00:00.1234567',
    '2026-03-01 08:00:00.1235',
    '2026-03-01 08:00:00.1234567 -05:00',
    '08:00:00.1234567',
    '6F9619FF-8B86-D011-B42D-00C04FC964FF',
    '0x0001FEFF',
    `0x${'AB'.repeat(10)}`,
  ],
  'T-2': ['T-2', ...SPEC.slice(1).map(() => null)],
  'T-3': [
    'T-3',
    '',
    'Ñ',
    '',
    '',
    'ñ',
    '',
    '',
    '',
    '0',
    '0',
    '0',
    '-9223372036854775808',
    '-1.5',
    '-2.5e-10',
    '0',
    '-0.0001',
    '0.0001',
    '-0.01',
    '0.000',
    '0001-01-01',
    '1900-01-01 00:00:00',
    '1753-01-01 00:00:00',
    '9999-12-31 23:59:59.9999999',
    '2026-12-31 23:59:59.9994',
    '2026-03-01 23:30:00 -05:00',
    '23:59:59.9999999',
    '{6f9619ff-8b86-d011-b42d-00c04fc964ff}',
    '0x',
    '0x00',
  ],
};

/** The rows of tipos_view, canonical SQL values in column order (as SQL Server holds them). */
export function typesViewRows(): SqlValue[][] {
  return Object.values(GIVEN).map((given) =>
    TYPES_VIEW_COLUMNS.map((column, i) => typedValue(given[i] ?? null, column.type)),
  );
}
