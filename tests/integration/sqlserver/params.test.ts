import sql from 'mssql';
import {
  DATABASE_NAMES,
  generateCompany,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, mssqlType, tempDir } from './helpers.js';

/** A Date with tedious' sub-millisecond part (`nanosecondDelta`, in seconds) for TIME/DATETIMEOFFSET(7). */
function withNanoseconds(date: Date, seconds: number): Date {
  return Object.assign(date, { nanosecondDelta: seconds });
}

describe('typed parameters through sp_executesql', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;
  const italcol = generateCompany('ITALCOL');
  const terceros = [...italcol.terceros()];
  const acuerdos = [...italcol.acuerdos()];

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('round-trips every parameter type exactly, typed as declared', async () => {
    const long = 'Cláusula ñ '.repeat(500);
    const when = new Date('2024-05-06T07:08:09.123Z');

    const result = await pool
      .request()
      .input('s', sql.NVarChar(50), 'Peña Muñoz & Cía.')
      .input('m', sql.NVarChar(sql.MAX), long)
      .input('i', sql.Int, -2147483648)
      .input('b', sql.BigInt, '9007199254740993')
      .input('f', sql.Float, 4.711)
      .input('t', sql.Bit, true)
      .input('d', sql.Decimal(18, 2), 1234567.89)
      .input('p', sql.Decimal(5, 2), -0.5)
      .input('dt', sql.Date, new Date('2024-02-29T00:00:00Z'))
      .input('d2', sql.DateTime2(7), when)
      .input('n', sql.Int, null)
      .input('ns', sql.NVarChar(20), null)
      .query(
        'SELECT @s AS s, @m AS m, @i AS i, @b AS b, @f AS f, @t AS t, @d AS d, @p AS p, @dt AS dt, @d2 AS d2, @n AS n, @ns AS ns',
      );

    expect(result.recordset[0]).toEqual({
      s: 'Peña Muñoz & Cía.',
      m: long,
      i: -2147483648,
      b: '9007199254740993',
      f: 4.711,
      t: true,
      d: 1234567.89,
      p: -0.5,
      dt: new Date('2024-02-29T00:00:00Z'),
      d2: when,
      n: null,
      ns: null,
    });
    const columns = result.recordset.columns;
    expect(columns.s?.type).toBe(sql.NVarChar);
    expect(columns.s?.length).toBe(100);
    expect(columns.m?.length).toBe(65535);
    expect(columns.b?.type).toBe(sql.BigInt);
    expect([columns.d?.type, columns.d?.precision, columns.d?.scale]).toEqual([sql.Decimal, 18, 2]);
    expect(columns.d2?.type).toBe(sql.DateTime2);
    expect(columns.dt?.type).toBe(sql.Date);
    expect(columns.n?.type).toBe(sql.Int);
  });

  it("takes mssql's inferred types (string, number, boolean, Date) too", async () => {
    const result = await pool
      .request()
      .input('s', 'texto')
      .input('i', 42)
      .input('f', 0.25)
      .input('t', false)
      .input('w', new Date('2023-01-02T03:04:05.007Z'))
      .query('SELECT @s AS s, @i AS i, @f AS f, @t AS t, @w AS w');

    expect(result.recordset[0]).toEqual({
      s: 'texto',
      i: 42,
      f: 0.25,
      t: false,
      w: new Date('2023-01-02T03:04:05.007Z'),
    });
    expect(result.recordset.columns.w?.type).toBe(mssqlType({ kind: 'datetime' }));
  });

  it('filters with typed parameters of each kind', async () => {
    const target =
      terceros.find((t) => t.cupo_credito !== null && t.cupo_credito.endsWith('.00') === false) ??
      terceros[40];
    const since = [...terceros].map((t) => t.fecha_modificacion).sort()[1500] as string;
    const acuerdo = acuerdos[10];

    const byNit = await pool
      .request()
      .input('nit', sql.NVarChar(20), target?.nit)
      .query('SELECT nit FROM terceros_view WHERE nit = @nit');
    const byDecimal = await pool
      .request()
      .input('c', sql.Decimal(18, 2), Number(target?.cupo_credito))
      .query('SELECT nit FROM terceros_view WHERE cupo_credito = @c');
    const bySince = await pool
      .request()
      .input('since', sql.DateTime2(7), new Date(`${since.slice(0, 23).replace(' ', 'T')}Z`))
      .query('SELECT COUNT(*) AS n FROM terceros_view WHERE fecha_modificacion >= @since');
    const byBigint = await pool
      .request()
      .input('id', sql.BigInt, String(acuerdo?.id_acuerdo))
      .query('SELECT id_acuerdo, tipo_acuerdo FROM acuerdos_view WHERE id_acuerdo = @id');
    const byDates = await pool
      .request()
      .input('from', sql.Date, new Date('2022-01-01T00:00:00Z'))
      .input('to', sql.Date, new Date('2022-12-31T00:00:00Z'))
      .input('active', sql.Bit, true)
      .input('min', sql.Int, 1000)
      .query(
        'SELECT COUNT(*) AS n FROM acuerdos_view WHERE fecha_inicio BETWEEN @from AND @to AND activo = @active AND ISNULL(cantidad_minima, 0) >= @min',
      );

    expect(byNit.recordset).toEqual([{ nit: target?.nit }]);
    expect(byDecimal.recordset.map((r: { nit: string }) => r.nit)).toContain(target?.nit);
    expect(bySince.recordset[0]?.n).toBe(
      terceros.filter((t) => t.fecha_modificacion.slice(0, 23) >= since.slice(0, 23)).length,
    );
    expect(byBigint.recordset).toEqual([
      { id_acuerdo: String(acuerdo?.id_acuerdo), tipo_acuerdo: acuerdo?.tipo_acuerdo },
    ]);
    expect(byDates.recordset[0]?.n).toBe(
      acuerdos.filter(
        (a) =>
          a.fecha_inicio >= '2022-01-01' &&
          a.fecha_inicio <= '2022-12-31' &&
          a.activo &&
          (a.cantidad_minima ?? 0) >= 1000,
      ).length,
    );
  });

  it('answers TOP (@n), several statements in one batch, and GETDATE()', async () => {
    const top = await pool
      .request()
      .input('n', sql.Int, 3)
      .query('SELECT TOP (@n) nit FROM terceros_view ORDER BY nit DESC');
    const batch = await pool.request().batch("SELECT 1 AS uno; SELECT N'dos' AS dos");
    const before = Date.now();
    const now = await pool.request().query('SELECT GETDATE() AS ahora');

    expect(top.recordset.map((r: { nit: string }) => r.nit)).toEqual(
      terceros
        .map((t) => t.nit)
        .sort()
        .reverse()
        .slice(0, 3),
    );
    expect(batch.recordsets).toEqual([[{ uno: 1 }], [{ dos: 'dos' }]]);
    const ahora = now.recordset[0]?.ahora as Date;
    // GETDATE() is the server's wall-clock time (America/Bogota, UTC-5), which mssql reads as UTC.
    expect(Math.abs(ahora.getTime() - (before - 5 * 3600_000))).toBeLessThan(5000);
  });

  it('takes TIME, DATETIMEOFFSET and VARBINARY parameters, typed as tedious sends them', async () => {
    const time = withNanoseconds(new Date('1970-01-01T08:00:00.123Z'), 0.0004567);
    const instant = withNanoseconds(new Date('2026-03-01T13:00:00.123Z'), 0.0004567);
    const long = Buffer.alloc(10_000, 0xab);

    const result = await pool
      .request()
      .input('t', sql.Time(7), time)
      .input('o', sql.DateTimeOffset(7), instant)
      .input('v', sql.VarBinary(16), Buffer.from([0x00, 0x01, 0xfe, 0xff]))
      .input('vm', sql.VarBinary(sql.MAX), long)
      .input('tn', sql.Time(3), null)
      .input('dn', sql.DateTimeOffset(7), null)
      .input('vn', sql.VarBinary(16), null)
      .query(
        'SELECT @t AS t, @o AS o, @v AS v, @vm AS vm, @tn AS tn, @dn AS dn, @vn AS vn, ' +
          'CONVERT(NVARCHAR(40), @o, 127) AS o_utc, CONVERT(NVARCHAR(20), @t, 121) AS t_text',
      );

    expect(result.recordset[0]).toEqual({
      t: new Date('1970-01-01T08:00:00.123Z'),
      o: new Date('2026-03-01T13:00:00.123Z'),
      v: Buffer.from([0x00, 0x01, 0xfe, 0xff]),
      vm: long,
      tn: null,
      dn: null,
      vn: null,
      o_utc: '2026-03-01T13:00:00.1234567Z',
      t_text: '08:00:00.1234567',
    });
    const columns = result.recordset.columns;
    expect([columns.t?.type, columns.t?.scale]).toEqual([sql.Time, 7]);
    expect([columns.o?.type, columns.o?.scale]).toEqual([sql.DateTimeOffset, 7]);
    expect([columns.v?.type, columns.v?.length]).toEqual([sql.VarBinary, 16]);
    expect(columns.vm?.type).toBe(sql.VarBinary);
    expect([columns.tn?.type, columns.tn?.scale]).toEqual([sql.Time, 3]);
  });

  it('filters tipos_view with TIME, DATETIMEOFFSET and VARBINARY parameters', async () => {
    // T-1 holds TIME 08:00:00.1234567, DATETIMEOFFSET 2026-03-01 08:00:00.1234567 -05:00, VARBINARY 0x0001FEFF.
    const codes = async (column: string, input: (r: sql.Request) => sql.Request): Promise<string[]> =>
      (
        await input(pool.request()).query<{ codigo: string }>(
          `SELECT codigo FROM tipos_view WHERE ${column} = @p ORDER BY codigo`,
        )
      ).recordset.map((r) => r.codigo);

    expect(
      await codes('c_time', (r) =>
        r.input('p', sql.Time(7), withNanoseconds(new Date('1970-01-01T08:00:00.123Z'), 0.0004567)),
      ),
    ).toEqual(['T-1']);
    // The same instant in UTC: DATETIMEOFFSET compares instants, whatever the offset.
    expect(
      await codes('c_datetimeoffset', (r) =>
        r.input('p', sql.DateTimeOffset(7), withNanoseconds(new Date('2026-03-01T13:00:00.123Z'), 0.0004567)),
      ),
    ).toEqual(['T-1']);
    expect(
      await codes('c_varbinary', (r) =>
        r.input('p', sql.VarBinary(16), Buffer.from([0x00, 0x01, 0xfe, 0xff])),
      ),
    ).toEqual(['T-1']);
    expect(
      await codes('c_varbinary', (r) => r.input('p', sql.VarBinary(16), Buffer.from([0x00, 0x01]))),
    ).toEqual([]);
  });

  it('refuses a parameter that does not convert, with SQL Server’s message', async () => {
    const query = pool
      .request()
      .input('d', sql.NVarChar(10), 'ayer')
      .query('SELECT nit FROM terceros_view WHERE fecha_modificacion >= @d');

    await expect(query).rejects.toMatchObject({
      number: 241,
      message: 'Conversion failed when converting date and/or time from character string.',
    });
  });
});
