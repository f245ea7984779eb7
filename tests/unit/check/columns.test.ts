import { readFileSync } from 'node:fs';
import {
  charsFromBytes,
  columnCaseSensitive,
  formatColumnType,
  fromDescribeFirstResultSet,
  textLength,
} from '../../../src/core/check/columns.js';

const rows = JSON.parse(readFileSync('tests/fixtures/check/describe-first-result-set.json', 'utf8'));

describe('check: source columns', () => {
  it('reads sp_describe_first_result_set rows: characters from bytes, MAX, decimals, collations, hidden columns left out', () => {
    expect(fromDescribeFirstResultSet(rows)).toEqual([
      { name: 'nit', type: 'nvarchar', maxChars: 20, nullable: false, collation: 'Modern_Spanish_CI_AS' },
      {
        name: 'razon_social',
        type: 'varchar',
        maxChars: 400,
        nullable: true,
        collation: 'Modern_Spanish_CS_AS',
      },
      {
        name: 'descripcion',
        type: 'nvarchar',
        maxChars: null,
        nullable: true,
        collation: 'Modern_Spanish_CI_AS',
      },
      { name: 'valor', type: 'decimal', precision: 38, scale: 2, nullable: true },
      { name: 'saldo', type: 'money', nullable: true },
      { name: 'fecha_modificacion', type: 'datetime2', nullable: false },
    ]);
  });

  it('turns TDS byte lengths into characters (UTF-16 units for N types, MAX as unbounded)', () => {
    expect(charsFromBytes('nvarchar', 40)).toBe(20);
    expect(charsFromBytes('varchar', 40)).toBe(40);
    expect(charsFromBytes('nvarchar', 65535)).toBeNull();
    expect(charsFromBytes('varchar', -1)).toBeNull();
    expect(charsFromBytes('ntext', 2147483646)).toBeNull();
    expect(charsFromBytes('int', 4)).toBeUndefined();
  });

  it('knows how long a column is as text, how to name its type and whether it tells case apart', () => {
    const [nit, razon, descripcion, valor] = fromDescribeFirstResultSet(rows);
    expect([nit, razon, descripcion, valor].map((c) => c && textLength(c))).toEqual([20, 400, null, 40]);
    expect(textLength({ name: 'n', type: 'bigint', nullable: false })).toBe(20);
    expect(textLength({ name: 'g', type: 'uniqueidentifier', nullable: false })).toBe(36);
    expect(textLength({ name: 'd', type: 'date', nullable: false })).toBeUndefined();
    expect([nit, razon, descripcion, valor].map((c) => c && formatColumnType(c))).toEqual([
      'NVARCHAR(20)',
      'VARCHAR(400)',
      'NVARCHAR(MAX)',
      'DECIMAL(38,2)',
    ]);
    expect([nit, razon].map((c) => c && columnCaseSensitive(c))).toEqual([false, true]);
    expect(
      columnCaseSensitive({ name: 'k', type: 'varchar', nullable: false, collation: 'Latin1_General_BIN2' }),
    ).toBe(true);
    expect(columnCaseSensitive({ name: 'k', type: 'varchar', nullable: false, caseSensitive: true })).toBe(
      true,
    );
  });
});
