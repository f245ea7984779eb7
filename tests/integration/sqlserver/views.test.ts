import { isDeepStrictEqual } from 'node:util';
import type sql from 'mssql';
import {
  COMPANIES,
  DATABASE_NAMES,
  dirtyRows,
  generateCompany,
  localTimeRows,
  type SqlServerEmulator,
  startSqlServerEmulator,
  VIEW_COLUMNS,
  VIEWS,
} from '../../../src/emulators/sqlserver/index.js';
import { asReturned, connect, mssqlType, tempDir } from './helpers.js';

describe('every view of every company through mssql', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  const pools = new Map<string, sql.ConnectionPool>();

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
    for (const company of COMPANIES) pools.set(company, await connect(emulator, DATABASE_NAMES[company]));
  });

  afterAll(async () => {
    for (const pool of pools.values()) await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('names one database per company', () => {
    expect(emulator.databases).toEqual({
      ITALCOL: 'ERP_ITALCOL',
      CASABLANCA: 'ERP_CASABLANCA',
      SANTA_REYES: 'ERP_SANTA_REYES',
    });
    expect(emulator.host).toBe('127.0.0.1');
    expect(emulator.port).toBeGreaterThan(0);
  });

  for (const company of COMPANIES) {
    for (const view of VIEWS) {
      it(`${company} ${view}: the generator's rows with the declared column types`, async () => {
        const pool = pools.get(company) as sql.ConnectionPool;
        const expected = [...generateCompany(company).rows(view)];

        const result = await pool.request().query(`SELECT * FROM dbo.${view}`);

        const columns = VIEW_COLUMNS[view];
        const metadata = result.recordset.columns;
        expect(Object.keys(metadata)).toEqual(columns.map((c) => c.name));
        for (const column of columns) {
          const meta = metadata[column.name];
          expect(meta?.type).toBe(mssqlType(column.type));
          expect(meta?.nullable).toBe(column.nullable);
          if (column.type.kind === 'nvarchar')
            expect(meta?.length).toBe(column.type.length === 'max' ? 65535 : column.type.length * 2);
          if (column.type.kind === 'decimal') {
            expect([meta?.precision, meta?.scale]).toEqual([column.type.precision, column.type.scale]);
          }
          if (column.type.kind === 'datetime2') expect(meta?.scale).toBe(7);
        }
        expect(result.recordset).toHaveLength(expected.length);
        const mismatches: unknown[] = [];
        result.recordset.forEach((row: Record<string, unknown>, i: number) => {
          const want = expected[i] as Record<string, unknown>;
          for (const column of columns) {
            const value = asReturned(want[column.name] as never, column.type);
            if (!isDeepStrictEqual(row[column.name], value) && mismatches.length < 5) {
              mismatches.push({ row: i, column: column.name, got: row[column.name], want: value });
            }
          }
        });
        expect(mismatches).toEqual([]);
      });
    }
  }

  it('returns NVARCHAR(MAX) text longer than 4,000 characters whole', async () => {
    const pool = pools.get('ITALCOL') as sql.ConnectionPool;
    const longest = [...generateCompany('ITALCOL').acuerdos()].sort(
      (a, b) => (b.descripcion?.length ?? 0) - (a.descripcion?.length ?? 0),
    )[0];

    const result = await pool
      .request()
      .query(`SELECT descripcion FROM acuerdos_view WHERE id_acuerdo = ${String(longest?.id_acuerdo)}`);

    expect(longest?.descripcion?.length).toBeGreaterThan(4000);
    expect(result.recordset[0]?.descripcion).toBe(longest?.descripcion);
  });

  it('counts rows with COUNT(*) typed INT, and pages with OFFSET ... FETCH in key order', async () => {
    const pool = pools.get('SANTA_REYES') as sql.ConnectionPool;
    const nits = [...generateCompany('SANTA_REYES').terceros()].map((r) => r.nit).sort();

    const count = await pool.request().query('SELECT COUNT(*) AS n FROM [dbo].[terceros_view]');
    const page = await pool
      .request()
      .query('SELECT [nit] FROM terceros_view ORDER BY nit OFFSET 100 ROWS FETCH NEXT 25 ROWS ONLY');

    expect(count.recordset.columns.n?.type).toBe(mssqlType({ kind: 'int' }));
    expect(count.recordset[0]?.n).toBe(nits.length);
    expect(page.recordset.map((r: { nit: string }) => r.nit)).toEqual(nits.slice(100, 125));
  });

  it('holds key variants that SQL Server compares under Modern_Spanish_CI_AS: case, Ñ/ñ and trailing spaces equal, leading spaces and accents not', async () => {
    const pool = pools.get('CASABLANCA') as sql.ConnectionPool;
    const variants = dirtyRows('CASABLANCA').filter((d) => d.keys !== undefined);
    const matching = async (code: string): Promise<string[]> => {
      const result = await pool
        .request()
        .input('code', code)
        .query('SELECT codigo_sucursal FROM sucursales_view WHERE codigo_sucursal = @code');
      return result.recordset.map((r: { codigo_sucursal: string }) => r.codigo_sucursal).sort();
    };

    expect(variants.map((d) => d.kind)).toEqual([
      'case-variant-key',
      'accent-case-variant-key',
      'trailing-space-key',
      'leading-space-key',
      'accent-distinct-key',
    ]);
    expect(await matching('ab-1')).toEqual(['AB-1', 'ab-1']);
    expect(await matching('muñoz-1')).toEqual(['MUÑOZ-1', 'muñoz-1']);
    expect(await matching('L-WS')).toEqual(['L-WS', 'L-WS ']);
    expect(await matching('L-WS2')).toEqual(['L-WS2']);
    expect(await matching(' L-WS2')).toEqual([' L-WS2']);
    expect(await matching('CAFE-1')).toEqual(['CAFE-1']);
    expect(await matching('CAFÉ-1')).toEqual(['CAFÉ-1']);
  });

  it('holds one tercero per company modified at 08:00 Bogotá time, which tedious reads as 08:00 UTC (useUTC)', async () => {
    for (const company of COMPANIES) {
      const pool = pools.get(company) as sql.ConnectionPool;
      const [local] = localTimeRows(company);

      const result = await pool
        .request()
        .input('nit', local?.key)
        .query('SELECT fecha_modificacion FROM terceros_view WHERE nit = @nit');

      expect(local?.instant).toEqual(new Date('2026-03-01T13:00:00.000Z'));
      expect(result.recordset).toEqual([{ fecha_modificacion: new Date('2026-03-01T08:00:00.000Z') }]);
    }
  });
});
