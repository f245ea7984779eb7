import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mssql from 'mssql';
import { Connection, Request } from 'tedious';
import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
  TYPES_VIEW_COLUMNS,
  typesViewRows,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

const SMALL = { terceros: 40, sucursales: 10, acuerdos: 5 };
const SIZES = { ITALCOL: SMALL, CASABLANCA: SMALL, SANTA_REYES: SMALL };

/** What tedious (through mssql, default options: useUTC) returns for each column of tipos_view. */
const EXPECTED: Record<string, unknown>[] = [
  {
    codigo: 'T-1',
    c_varchar: 'Compañía Ñandú — café €5',
    c_char: 'ab        ',
    c_varchar_max: 'Descripción: línea 1\nlínea 2 ñ',
    c_nvarchar: 'Ñoño 日本 😀',
    c_nchar: 'ñ         ',
    c_nvarchar_max: 'Texto Unicode ✓ ñ',
    c_text: 'Texto heredado ñ',
    c_ntext: 'Texto Unicode heredado ✓',
    c_tinyint: 255,
    c_smallint: -32768,
    c_int: -2147483648,
    c_bigint: '9223372036854775807',
    c_real: 3.140000104904175,
    c_float: 0.1,
    c_bit: true,
    // MONEY and DECIMAL arrive as JS numbers: exact digits are lost (why the sync casts them to text).
    c_money: 922337203685477.6,
    c_smallmoney: -214748.3648,
    c_decimal: 1.2345678901234568e35,
    c_numeric: -1234567.891,
    c_date: new Date('2026-03-01T00:00:00.000Z'),
    c_smalldatetime: new Date('2026-03-01T08:01:00.000Z'),
    c_datetime: new Date('2026-03-01T08:00:00.007Z'),
    c_datetime2: new Date('2026-03-01T08:00:00.123Z'),
    c_datetime2_3: new Date('2026-03-01T08:00:00.124Z'),
    c_datetimeoffset: new Date('2026-03-01T13:00:00.123Z'),
    c_time: new Date('1970-01-01T08:00:00.123Z'),
    c_uniqueidentifier: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
    c_varbinary: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
    c_varbinary_max: Buffer.alloc(10, 0xab),
  },
  Object.fromEntries(TYPES_VIEW_COLUMNS.map((c) => [c.name, c.name === 'codigo' ? 'T-2' : null])),
  {
    codigo: 'T-3',
    c_varchar: '',
    c_char: 'Ñ         ',
    c_varchar_max: '',
    c_nvarchar: '',
    c_nchar: 'ñ         ',
    c_nvarchar_max: '',
    c_text: '',
    c_ntext: '',
    c_tinyint: 0,
    c_smallint: 0,
    c_int: 0,
    c_bigint: '-9223372036854775808',
    c_real: -1.5,
    c_float: -2.5e-10,
    c_bit: false,
    c_money: -0.0001,
    c_smallmoney: 0.0001,
    c_decimal: -0.01,
    c_numeric: 0,
    c_date: new Date('0001-01-01T00:00:00.000Z'),
    c_smalldatetime: new Date('1900-01-01T00:00:00.000Z'),
    c_datetime: new Date('1753-01-01T00:00:00.000Z'),
    c_datetime2: new Date('9999-12-31T23:59:59.999Z'),
    c_datetime2_3: new Date('2026-12-31T23:59:59.999Z'),
    c_datetimeoffset: new Date('2026-03-02T04:30:00.000Z'),
    c_time: new Date('1970-01-01T23:59:59.999Z'),
    c_uniqueidentifier: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
    c_varbinary: Buffer.alloc(0),
    c_varbinary_max: Buffer.from([0x00]),
  },
];

interface RawColumn {
  name: string;
  type: string;
  dataLength?: number;
  precision?: number;
  scale?: number;
  collation?: { lcid: number; flags: number; version: number; sortId: number; codepage?: string };
}

/** The COLMETADATA of a query as tedious parsed it (TDS type names, lengths, collations). */
function rawMetadata(emulator: SqlServerEmulator, database: string, query: string): Promise<RawColumn[]> {
  return new Promise((resolve, reject) => {
    const connection = new Connection({
      server: emulator.host,
      options: { port: emulator.port, database, encrypt: false, trustServerCertificate: true },
      authentication: { type: 'default', options: { userName: emulator.user, password: emulator.password } },
    });
    let columns: RawColumn[] = [];
    connection.on('connect', (error) => {
      if (error) return reject(error);
      const request = new Request(query, (err) => {
        connection.close();
        if (err) reject(err);
        else resolve(columns);
      });
      request.on('columnMetadata', (meta) => {
        columns = (meta as unknown as Record<string, unknown>[]).map((c) => ({
          name: c.colName as string,
          type: (c.type as { name: string }).name,
          dataLength: c.dataLength as number | undefined,
          precision: c.precision as number | undefined,
          scale: c.scale as number | undefined,
          collation: c.collation as RawColumn['collation'],
        }));
      });
      connection.execSql(request);
    });
    connection.connect();
  });
}

describe('every common SQL Server type through the real driver', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: mssql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('returns each type of tipos_view as tedious decodes it from SQL Server: exact values, NULLs and limits', async () => {
    const result = await pool.request().query('SELECT * FROM tipos_view ORDER BY codigo');

    expect(result.recordset).toHaveLength(3);
    result.recordset.forEach((row: Record<string, unknown>, i: number) => {
      expect(row).toEqual(EXPECTED[i]);
    });
  });

  it('loses DECIMAL(38,2) and MONEY digits in tedious, as against a real server (the exact values are in the view)', async () => {
    const result = await pool
      .request()
      .query("SELECT c_decimal, c_money FROM tipos_view WHERE codigo = 'T-1'");
    const [stored] = typesViewRows();

    expect(stored?.[TYPES_VIEW_COLUMNS.findIndex((c) => c.name === 'c_decimal')]).toBe(
      '123456789012345678901234567890123456.78',
    );
    expect(stored?.[TYPES_VIEW_COLUMNS.findIndex((c) => c.name === 'c_money')]).toBe('922337203685477.5807');
    expect(String(result.recordset[0].c_decimal)).toBe('1.2345678901234568e+35');
    expect(String(result.recordset[0].c_money)).toBe('922337203685477.6');
  });

  it('describes each column with its SQL Server type, length, precision and scale (mssql metadata)', async () => {
    const result = await pool.request().query('SELECT TOP 1 * FROM tipos_view');
    const described = Object.values(result.recordset.columns).map((c) => {
      const column = c as unknown as { name: string; type: { declaration: string }; length?: number };
      const { precision, scale, nullable } = c as unknown as Record<string, unknown>;
      return [column.name, column.type.declaration, column.length, precision, scale, nullable];
    });

    expect(described).toEqual([
      ['codigo', 'varchar', 20, undefined, undefined, false],
      ['c_varchar', 'varchar', 50, undefined, undefined, true],
      ['c_char', 'char', 10, undefined, undefined, true],
      ['c_varchar_max', 'varchar', 65535, undefined, undefined, true],
      ['c_nvarchar', 'nvarchar', 100, undefined, undefined, true],
      ['c_nchar', 'nchar', 20, undefined, undefined, true],
      ['c_nvarchar_max', 'nvarchar', 65535, undefined, undefined, true],
      ['c_text', 'text', 2147483647, undefined, undefined, true],
      ['c_ntext', 'ntext', 2147483646, undefined, undefined, true],
      ['c_tinyint', 'tinyint', 1, undefined, undefined, true],
      ['c_smallint', 'smallint', 2, undefined, undefined, true],
      ['c_int', 'int', 4, undefined, undefined, true],
      ['c_bigint', 'bigint', 8, undefined, undefined, true],
      ['c_real', 'real', 4, undefined, undefined, true],
      ['c_float', 'float', 8, undefined, undefined, true],
      ['c_bit', 'bit', 1, undefined, undefined, true],
      ['c_money', 'money', 8, undefined, undefined, true],
      ['c_smallmoney', 'smallmoney', 4, undefined, undefined, true],
      ['c_decimal', 'decimal', 17, 38, 2, true],
      ['c_numeric', 'numeric', 9, 10, 3, true],
      ['c_date', 'date', undefined, undefined, undefined, true],
      ['c_smalldatetime', 'smalldatetime', 4, undefined, undefined, true],
      ['c_datetime', 'datetime', 8, undefined, undefined, true],
      ['c_datetime2', 'datetime2', undefined, undefined, 7, true],
      ['c_datetime2_3', 'datetime2', undefined, undefined, 3, true],
      ['c_datetimeoffset', 'datetimeoffset', undefined, undefined, 7, true],
      ['c_time', 'time', undefined, undefined, 7, true],
      ['c_uniqueidentifier', 'uniqueidentifier', 16, undefined, undefined, true],
      ['c_varbinary', 'varbinary', 16, undefined, undefined, true],
      ['c_varbinary_max', 'varbinary', 65535, undefined, undefined, true],
    ]);
  });

  it('sends character columns with the Modern_Spanish_CI_AS collation, which tedious reads as code page 1252', async () => {
    const columns = await rawMetadata(
      emulator,
      DATABASE_NAMES.ITALCOL,
      'SELECT codigo, c_char, c_nvarchar, c_text, c_uniqueidentifier FROM tipos_view',
    );

    expect(
      columns.map((c) => [c.name, c.type, c.collation?.lcid, c.collation?.flags, c.collation?.codepage]),
    ).toEqual([
      ['codigo', 'VarChar', 0x0c0a, 0x0d, 'CP1252'],
      ['c_char', 'Char', 0x0c0a, 0x0d, 'CP1252'],
      ['c_nvarchar', 'NVarChar', 0x0c0a, 0x0d, 'CP1252'],
      ['c_text', 'Text', 0x0c0a, 0x0d, 'CP1252'],
      ['c_uniqueidentifier', 'UniqueIdentifier', undefined, undefined, undefined],
    ]);
  });

  it('sends NOT NULL columns of INT, BIGINT, BIT, FLOAT, DATETIME as fixed-length types, NULL-able ones as "N" types', async () => {
    const columns = await rawMetadata(
      emulator,
      DATABASE_NAMES.ITALCOL,
      'SELECT id_acuerdo, activo, cantidad_minima, fecha_modificacion FROM acuerdos_view',
    );

    expect(columns.map((c) => [c.name, c.type])).toEqual([
      ['id_acuerdo', 'BigInt'],
      ['activo', 'Bit'],
      ['cantidad_minima', 'IntN'],
      ['fecha_modificacion', 'DateTime2'],
    ]);
    const rows = await pool
      .request()
      .query('SELECT TOP 2 id_acuerdo, activo FROM acuerdos_view ORDER BY id_acuerdo');
    expect(rows.recordset.map((r: Record<string, unknown>) => r.id_acuerdo)).toEqual([
      '3000000001',
      '3000000002',
    ]);
    expect(rows.recordset.every((r: Record<string, unknown>) => typeof r.activo === 'boolean')).toBe(true);
  });

  it('reads VARCHAR parameters as code page 1252, the collation tedious encodes them with (€, —, ñ)', async () => {
    const result = await pool
      .request()
      .input('v', mssql.VarChar(50), 'Compañía Ñandú — café €5')
      .query('SELECT codigo FROM tipos_view WHERE c_varchar = @v');

    expect(result.recordset).toEqual([{ codigo: 'T-1' }]);
  });

  it('gives the exact digits of DECIMAL(38,2) and NUMERIC as text through CAST, as the sync reads them', async () => {
    const result = await pool
      .request()
      .query(
        'SELECT codigo, CAST(c_decimal AS NVARCHAR(50)) AS d, CAST(c_numeric AS VARCHAR(20)) AS n FROM tipos_view ORDER BY codigo',
      );

    expect(result.recordset).toEqual([
      { codigo: 'T-1', d: '123456789012345678901234567890123456.78', n: '-1234567.891' },
      { codigo: 'T-2', d: null, n: null },
      { codigo: 'T-3', d: '-0.01', n: '0.000' },
    ]);
  });

  it('decodes the same in FreeTDS tsql, a second TDS client: code page 1252 to UTF-8, exact MONEY and DECIMAL(38,2)', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        'tsql',
        [
          '-H',
          emulator.host,
          '-p',
          String(emulator.port),
          '-U',
          emulator.user,
          '-P',
          emulator.password,
          '-D',
          'ERP_ITALCOL',
        ],
        { env: { ...process.env, TDSVER: '7.4', LANG: 'C.UTF-8' } },
      );
      let text = '';
      child.stdout.on('data', (d: Buffer) => {
        text += d.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', () => resolve(text));
      child.stdin.end(
        "SELECT codigo, c_varchar, c_char, c_money, c_decimal, c_numeric, c_uniqueidentifier, c_varbinary FROM tipos_view WHERE codigo <> 'T-2' ORDER BY codigo\ngo\nexit\n",
      );
    });
    const rows = out.split('\n').filter((line) => line.startsWith('T-'));

    expect(rows).toEqual([
      'T-1\tCompañía Ñandú — café €5\tab        \t922337203685477.5807\t123456789012345678901234567890123456.78\t-1234567.891\t6F9619FF-8B86-D011-B42D-00C04FC964FF\t0001feff',
      'T-3\t\tÑ         \t-0.0001\t-0.01\t0.000\t6F9619FF-8B86-D011-B42D-00C04FC964FF\t',
    ]);
  });
});

describe('a column declared with its own collation', () => {
  const folder = tempDir();
  const csv = tempDir();
  let emulator: SqlServerEmulator;
  let pool: mssql.ConnectionPool;

  beforeAll(async () => {
    mkdirSync(path.join(csv.dir, 'OTRA'));
    writeFileSync(
      path.join(csv.dir, 'OTRA', 'codigos_view.csv'),
      'codigo:VARCHAR(10) COLLATE Latin1_General_CS_AS NOT NULL,nombre:NVARCHAR(20)\nab-1,uno\nAB-1,dos\n',
    );
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, csvDir: csv.dir });
    pool = await connect(emulator, emulator.databases.OTRA ?? '');
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
    csv.remove();
  });

  it('compares by it and sends its 5 bytes; other columns keep the database default', async () => {
    const found = await pool
      .request()
      .input('c', mssql.VarChar(10), 'AB-1')
      .query('SELECT nombre FROM codigos_view WHERE codigo = @c');
    const columns = await rawMetadata(
      emulator,
      emulator.databases.OTRA ?? '',
      'SELECT codigo, nombre, nombre COLLATE Latin1_General_BIN2 AS binario FROM codigos_view',
    );

    expect(found.recordset).toEqual([{ nombre: 'dos' }]);
    expect(columns.map((c) => [c.name, c.collation?.lcid, c.collation?.flags])).toEqual([
      ['codigo', 0x0409, 0x0c],
      ['nombre', 0x0c0a, 0x0d],
      ['binario', 0x0409, 0x20],
    ]);
  });
});
