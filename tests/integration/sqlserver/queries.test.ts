import sql from 'mssql';
import {
  DATABASE_NAMES,
  generateCompany,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

/** Keys as Modern_Spanish_CI_AS compares these ASCII codes: case-insensitive, trailing spaces ignored. */
const fold = (key: string | null): string | null =>
  key === null ? null : key.toLowerCase().replace(/ +$/, '');

describe('the T-SQL of custom source queries, through mssql', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;
  const italcol = generateCompany('ITALCOL');
  const terceros = [...italcol.terceros()];
  const sucursales = [...italcol.sucursales()];
  const acuerdos = [...italcol.acuerdos()];
  const nitCount = new Map<string | null, number>();
  for (const t of terceros) nitCount.set(fold(t.nit), (nitCount.get(fold(t.nit)) ?? 0) + 1);
  /** Terceros whose NIT no other row shares, in NIT order. */
  const unique = terceros
    .filter((t) => nitCount.get(fold(t.nit)) === 1 && t.razon_social !== null && t.cupo_credito !== null)
    .sort((a, b) => (a.nit < b.nit ? -1 : 1))
    .slice(0, 5);
  const inList = unique.map((t) => `N'${t.nit}'`).join(', ');

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('INNER JOIN with aliases matches rows on the collation', async () => {
    const result = await pool
      .request()
      .query(
        'SELECT COUNT(*) AS n FROM sucursales_view AS s INNER JOIN terceros_view t ON t.nit = s.nit_tercero',
      );
    const expected = sucursales.reduce((n, s) => n + (nitCount.get(fold(s.nit_tercero)) ?? 0), 0);

    expect(result.recordset).toEqual([{ n: expected }]);
    expect(expected).toBeGreaterThan(0);
  });

  it('LEFT JOIN keeps every row and makes the joined columns nullable', async () => {
    const codes = new Map<string | null, number>();
    for (const s of sucursales)
      codes.set(fold(s.codigo_sucursal), (codes.get(fold(s.codigo_sucursal)) ?? 0) + 1);
    const expected = acuerdos.reduce((n, a) => n + Math.max(1, codes.get(fold(a.codigo_sucursal)) ?? 0), 0);

    const result = await pool
      .request()
      .query(
        'SELECT a.id_acuerdo, s.nombre, s.activo FROM acuerdos_view a LEFT OUTER JOIN dbo.sucursales_view s ON s.codigo_sucursal = a.codigo_sucursal',
      );

    expect(result.recordset).toHaveLength(expected);
    expect(result.recordset.columns.activo?.nullable).toBe(true);
    expect(result.recordset.some((r) => r.activo === null)).toBe(true);
  });

  it('CAST and CONVERT convert exactly, with style codes', async () => {
    const result = await pool.request().query(
      `SELECT nit, CAST(cupo_credito AS NVARCHAR(50)) AS cupo, CONVERT(NVARCHAR(10), fecha_modificacion, 23) AS dia,
              CONVERT(VARCHAR(19), fecha_modificacion, 120) AS hora, CONVERT(NVARCHAR(10), fecha_modificacion, 103) AS dmy,
              CONVERT(NVARCHAR(8), fecha_modificacion, 112) AS compacta, CAST(activo AS INT) AS activo_int
         FROM terceros_view WHERE nit IN (${inList}) ORDER BY nit`,
    );

    expect(result.recordset).toEqual(
      unique.map((t) => {
        const f = t.fecha_modificacion;
        return {
          nit: t.nit,
          cupo: t.cupo_credito,
          dia: f.slice(0, 10),
          hora: f.slice(0, 19),
          dmy: `${f.slice(8, 10)}/${f.slice(5, 7)}/${f.slice(0, 4)}`,
          compacta: f.slice(0, 10).replace(/-/g, ''),
          activo_int: t.activo ? 1 : 0,
        };
      }),
    );
    expect(result.recordset.columns.cupo?.length).toBe(100);
  });

  it('CAST of a DECIMAL(38,2) beyond 2^53 to text keeps every digit; rounding and errors as SQL Server', async () => {
    const result = await pool.request().query(
      `SELECT CAST(CAST(N'123456789012345678901234567890.12' AS DECIMAL(38,2)) AS NVARCHAR(50)) AS big,
              CAST(N'12.345' AS DECIMAL(10,2)) AS rounded, CONVERT(DATE, N'29/02/2024', 103) AS fecha,
              CAST(-2.7 AS INT) AS truncated, CAST(1234567.0E0 AS NVARCHAR(20)) AS flotante`,
    );
    const overflow = pool.request().query("SELECT CAST(N'123456789.1' AS DECIMAL(5,1)) AS x");

    expect(result.recordset).toEqual([
      {
        big: '123456789012345678901234567890.12',
        rounded: 12.35,
        fecha: new Date('2024-02-29T00:00:00Z'),
        truncated: -2,
        flotante: '1.23457e+006',
      },
    ]);
    await expect(overflow).rejects.toMatchObject({ number: 8115 });
  });

  it('reads, compares and orders DECIMAL(38,2) columns beyond 2^53 exactly; converts every type', async () => {
    const text = await pool.request().query(
      `SELECT codigo, CAST(c_decimal AS NVARCHAR(50)) AS d, CAST(c_money AS NVARCHAR(30)) AS m,
              CONVERT(NVARCHAR(40), c_datetimeoffset, 126) AS o, CAST(c_time AS NVARCHAR(20)) AS t,
              CAST(c_varchar AS NVARCHAR(60)) AS v, CONVERT(VARCHAR(10), c_date, 103) AS f
         FROM tipos_view WHERE codigo = 'T-1'`,
    );
    const ids = async (where: string): Promise<string[]> =>
      (await pool.request().query(`SELECT codigo FROM tipos_view WHERE ${where}`)).recordset.map(
        (r) => r.codigo,
      );

    expect(text.recordset).toEqual([
      {
        codigo: 'T-1',
        d: '123456789012345678901234567890123456.78',
        m: '922337203685477.5807',
        o: '2026-03-01T08:00:00.1234567-05:00',
        t: expect.stringMatching(/^\d\d:\d\d:\d\d\.\d{7}$/),
        v: 'Compañía Ñandú — café €5',
        f: expect.stringMatching(/^\d\d\/\d\d\/\d{4}$/),
      },
    ]);
    expect(text.recordset.columns.f?.type).toBe(sql.VarChar);
    expect(await ids('c_decimal > -1 ORDER BY c_decimal DESC')).toEqual(['T-1', 'T-3']);
    expect(await ids('c_decimal < 0')).toEqual(['T-3']);
    const range = await pool
      .request()
      .query(
        'SELECT CAST(MIN(c_decimal) AS NVARCHAR(50)) AS lo, CAST(MAX(c_decimal) AS NVARCHAR(50)) AS hi FROM tipos_view',
      );
    expect(range.recordset).toEqual([{ lo: '-0.01', hi: '123456789012345678901234567890123456.78' }]);
    expect(await ids('c_decimal = 123456789012345678901234567890123456.78')).toEqual(['T-1']);
    expect(await ids('c_decimal BETWEEN -1 AND 1')).toEqual(['T-3']);
    expect(
      await ids(
        'c_decimal > 123456789012345678901234567890123456.77 AND c_decimal < 123456789012345678901234567890123456.79',
      ),
    ).toEqual(['T-1']);
  });

  it('CASE, COALESCE, ISNULL and the string functions', async () => {
    const result = await pool.request().query(
      `SELECT nit, CASE WHEN activo = 1 THEN N'Sí' ELSE N'No' END AS estado,
              CASE tipo_tercero WHEN N'cliente' THEN 1 WHEN N'PROVEEDOR' THEN 2 ELSE 0 END AS tipo,
              COALESCE(nombre_comercial, razon_social, N'-') AS nombre, ISNULL(email, N'(sin correo)') AS correo,
              UPPER(LTRIM(RTRIM(razon_social))) AS razon, LOWER(tipo_tercero) AS tipo_min, LEN(nit) AS largo,
              SUBSTRING(nit, 1, 3) AS prefijo, REPLACE(nit, N'-', N'') AS sin_guion, LEFT(nit, 2) AS l2,
              RIGHT(nit, 1) AS dv, TRIM(N'  x  ') AS recortado
         FROM terceros_view WHERE nit IN (${inList}) ORDER BY nit`,
    );

    expect(result.recordset).toEqual(
      unique.map((t) => ({
        nit: t.nit,
        estado: t.activo ? 'Sí' : 'No',
        tipo:
          t.tipo_tercero.toUpperCase() === 'CLIENTE'
            ? 1
            : t.tipo_tercero.toUpperCase() === 'PROVEEDOR'
              ? 2
              : 0,
        nombre: t.nombre_comercial ?? t.razon_social ?? '-',
        correo: t.email ?? '(sin correo)',
        razon: (t.razon_social ?? '').replace(/^ +| +$/g, '').toUpperCase(),
        tipo_min: t.tipo_tercero.toLowerCase(),
        largo: t.nit.replace(/ +$/, '').length,
        prefijo: t.nit.slice(0, 3),
        sin_guion: t.nit.replace(/-/g, ''),
        l2: t.nit.slice(0, 2),
        dv: t.nit.slice(-1),
        recortado: 'x',
      })),
    );
  });

  it('WHERE with AND, OR, NOT, IN, LIKE, IS NULL and BETWEEN', async () => {
    const result = await pool.request().query(
      `SELECT COUNT(*) AS n FROM terceros_view
        WHERE (activo = 1 OR tipo_tercero LIKE N'prov%') AND NOT (razon_social IS NULL)
          AND cupo_credito BETWEEN 1000 AND 50000000 AND tipo_tercero NOT IN (N'OTRO')`,
    );
    const expected = terceros.filter(
      (t) =>
        (t.activo || t.tipo_tercero.toUpperCase().startsWith('PROV')) &&
        t.razon_social !== null &&
        t.cupo_credito !== null &&
        Number(t.cupo_credito) >= 1000 &&
        Number(t.cupo_credito) <= 50000000 &&
        t.tipo_tercero.toUpperCase() !== 'OTRO',
    ).length;

    expect(result.recordset).toEqual([{ n: expected }]);
  });

  it('TOP, DISTINCT and a subquery in FROM', async () => {
    const distinct = await pool.request().query('SELECT DISTINCT tipo_tercero FROM terceros_view');
    const derived = await pool
      .request()
      .query(
        'SELECT * FROM (SELECT nit, UPPER(razon_social) AS razon FROM terceros_view WHERE activo = 1) AS q ORDER BY q.nit',
      );
    const top = await pool
      .request()
      .query(
        `SELECT TOP 2 q.n FROM (SELECT TOP 4 nit AS n FROM terceros_view WHERE nit IN (${inList}) ORDER BY nit DESC) q ORDER BY n`,
      );

    const tipos = new Set(terceros.map((t) => t.tipo_tercero.toUpperCase()));
    expect(distinct.recordset.map((r) => String(r.tipo_tercero).toUpperCase()).sort()).toEqual(
      [...tipos].sort(),
    );
    expect(derived.recordset).toHaveLength(terceros.filter((t) => t.activo).length);
    expect(Object.keys(derived.recordset.columns)).toEqual(['nit', 'razon']);
    expect(top.recordset).toEqual(unique.slice(1, 3).map((t) => ({ n: t.nit })));
  });

  it.each([
    ['SELECT nit FROM terceros_view UNION SELECT nit_tercero FROM sucursales_view', 40517, "'UNION'"],
    [
      'SELECT tipo_tercero, nit FROM terceros_view GROUP BY tipo_tercero',
      8120,
      "Column 'nit' is invalid in the select list",
    ],
    [
      'SELECT tipo_tercero FROM terceros_view GROUP BY tipo_tercero HAVING nit > 0',
      8121,
      "Column 'nit' is invalid in the HAVING clause",
    ],
    [
      'SELECT s.nombre FROM terceros_view t RIGHT JOIN sucursales_view s ON s.nit_tercero = t.nit',
      40517,
      "'RIGHT JOIN'",
    ],
    ['SELECT nit, ROW_NUMBER() OVER (ORDER BY nit) FROM terceros_view', 40517, "'OVER'"],
    [
      'SELECT * FROM (SELECT nit FROM terceros_view ORDER BY nit) AS q',
      1033,
      'The ORDER BY clause is invalid',
    ],
    [
      'SELECT * FROM (SELECT COUNT(*) FROM terceros_view) AS q',
      8155,
      "No column name was specified for column 1 of 'q'.",
    ],
    ['SELECT a.nit FROM terceros_view a JOIN terceros_view a ON 1 = 1', 1013, 'have the same exposed names'],
  ])('%s fails with Msg %i', async (query, number, message) => {
    const failure = pool.request().query(query);

    await expect(failure).rejects.toMatchObject({ number, message: expect.stringContaining(message) });
  });

  it('GROUP BY and HAVING group by the collation', async () => {
    const result = await pool.request().query(
      `SELECT UPPER(tipo_tercero) AS tipo, COUNT(*) AS n FROM terceros_view
        GROUP BY tipo_tercero HAVING COUNT(*) > 0 ORDER BY tipo`,
    );
    const counts = new Map<string, number>();
    for (const t of terceros)
      counts.set(t.tipo_tercero.toUpperCase(), (counts.get(t.tipo_tercero.toUpperCase()) ?? 0) + 1);
    const duplicated = await pool
      .request()
      .query('SELECT nit, COUNT(*) AS n FROM terceros_view GROUP BY nit HAVING COUNT(*) > 1');

    expect(result.recordset).toEqual(
      [...counts].sort(([a], [b]) => (a < b ? -1 : 1)).map(([tipo, n]) => ({ tipo, n })),
    );
    expect(duplicated.recordset.length).toBeGreaterThan(0);
    expect(duplicated.recordset.map((r) => fold(r.nit)).sort()).toEqual(
      [...nitCount]
        .filter(([, n]) => n > 1)
        .map(([nit]) => nit)
        .sort(),
    );
  });

  it('typed parameters take part in joins and conversions', async () => {
    const t = unique[0];
    const result = await pool
      .request()
      .input('nit', sql.NVarChar(20), t?.nit.toUpperCase())
      .query('SELECT CAST(cupo_credito AS NVARCHAR(40)) AS cupo FROM terceros_view WHERE nit = @nit');

    expect(result.recordset).toEqual([{ cupo: t?.cupo_credito }]);
  });
});
