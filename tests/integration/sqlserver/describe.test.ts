import sql from 'mssql';
import {
  DATABASE_NAMES,
  generateCompany,
  type SqlServerEmulator,
  startSqlServerEmulator,
  VIEW_COLUMNS,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, mssqlType, tempDir } from './helpers.js';

/** The columns of sp_describe_first_result_set a caller reads to plan conversions. */
const pick = (row: Record<string, unknown>) => ({
  is_hidden: row.is_hidden,
  column_ordinal: row.column_ordinal,
  name: row.name,
  is_nullable: row.is_nullable,
  system_type_name: row.system_type_name,
  max_length: row.max_length,
  precision: row.precision,
  scale: row.scale,
  collation_name: row.collation_name,
});

describe('describing a query: sp_describe_first_result_set, TOP 0, DISTINCT, COUNT', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;
  const italcol = generateCompany('ITALCOL');

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('describes every column of a view in a SQL batch, as SQL Server does', async () => {
    const result = await pool
      .request()
      .batch("EXEC sp_describe_first_result_set @tsql = N'SELECT * FROM dbo.terceros_view'");

    expect(result.recordset.map(pick)).toEqual([
      {
        is_hidden: false,
        column_ordinal: 1,
        name: 'nit',
        is_nullable: false,
        system_type_name: 'nvarchar(20)',
        max_length: 40,
        precision: 0,
        scale: 0,
        collation_name: 'Modern_Spanish_CI_AS',
      },
      expect.objectContaining({
        column_ordinal: 2,
        name: 'razon_social',
        is_nullable: true,
        max_length: 800,
      }),
      expect.objectContaining({ name: 'nombre_comercial' }),
      expect.objectContaining({ name: 'tipo_tercero' }),
      expect.objectContaining({ name: 'direccion' }),
      expect.objectContaining({ name: 'ciudad' }),
      expect.objectContaining({ name: 'departamento' }),
      expect.objectContaining({ name: 'telefono' }),
      expect.objectContaining({ name: 'email' }),
      {
        is_hidden: false,
        column_ordinal: 10,
        name: 'cupo_credito',
        is_nullable: true,
        system_type_name: 'decimal(18,2)',
        max_length: 9,
        precision: 18,
        scale: 2,
        collation_name: null,
      },
      expect.objectContaining({ name: 'activo', system_type_name: 'bit', max_length: 1, is_nullable: false }),
      expect.objectContaining({
        name: 'fecha_modificacion',
        system_type_name: 'datetime2(7)',
        max_length: 8,
        precision: 27,
        scale: 7,
      }),
    ]);
    expect(Object.keys(result.recordset.columns).slice(0, 10)).toEqual([
      'is_hidden',
      'column_ordinal',
      'name',
      'is_nullable',
      'system_type_id',
      'system_type_name',
      'max_length',
      'precision',
      'scale',
      'collation_name',
    ]);
  });

  it('describes expressions, parameters and MAX columns through sp_executesql', async () => {
    const result = await pool
      .request()
      .input(
        'q',
        sql.NVarChar(sql.MAX),
        'SELECT CAST(valor AS NVARCHAR(50)) AS valor_texto, descripcion, id_acuerdo FROM acuerdos_view WHERE nit_tercero = @nit',
      )
      .input('p', sql.NVarChar(200), '@nit nvarchar(20)')
      .query('EXEC sp_describe_first_result_set @tsql = @q, @params = @p');
    const count = await pool
      .request()
      .query("EXEC sys.sp_describe_first_result_set N'SELECT COUNT(*) FROM acuerdos_view'");

    expect(result.recordset.map(pick)).toEqual([
      {
        is_hidden: false,
        column_ordinal: 1,
        name: 'valor_texto',
        is_nullable: true,
        system_type_name: 'nvarchar(50)',
        max_length: 100,
        precision: 0,
        scale: 0,
        collation_name: 'Modern_Spanish_CI_AS',
      },
      expect.objectContaining({ name: 'descripcion', system_type_name: 'nvarchar(max)', max_length: -1 }),
      expect.objectContaining({
        name: 'id_acuerdo',
        system_type_name: 'bigint',
        max_length: 8,
        precision: 19,
      }),
    ]);
    expect(count.recordset.map(pick)).toEqual([
      expect.objectContaining({ column_ordinal: 1, name: null, system_type_name: 'int', is_nullable: false }),
    ]);
  });

  it("describes by procedure name: mssql's request.execute('sp_describe_first_result_set')", async () => {
    const result = await pool
      .request()
      .input('tsql', sql.NVarChar(sql.MAX), 'SELECT nit, razon_social FROM terceros_view WHERE nit = @nit')
      .input('params', sql.NVarChar(200), '@nit nvarchar(20)')
      .execute('sp_describe_first_result_set');
    const qualified = await pool
      .request()
      .input('tsql', sql.NVarChar(sql.MAX), 'SELECT COUNT(*) AS n FROM acuerdos_view')
      .execute('sys.sp_describe_first_result_set');

    expect(result.recordset.map(pick)).toEqual([
      expect.objectContaining({
        column_ordinal: 1,
        name: 'nit',
        system_type_name: 'nvarchar(20)',
        max_length: 40,
      }),
      expect.objectContaining({
        column_ordinal: 2,
        name: 'razon_social',
        system_type_name: 'nvarchar(400)',
        max_length: 800,
      }),
    ]);
    expect(result.returnValue).toBe(0);
    expect(qualified.recordset.map(pick)).toEqual([
      expect.objectContaining({ column_ordinal: 1, name: 'n', system_type_name: 'int', is_nullable: false }),
    ]);
  });

  it('by procedure name, refuses a parameter it does not take, a missing @tsql and an unknown procedure', async () => {
    const wrongName = pool
      .request()
      .input('sql', sql.NVarChar(sql.MAX), 'SELECT 1 AS one')
      .execute('sp_describe_first_result_set');
    const noTsql = pool.request().execute('sp_describe_first_result_set');
    const unknown = pool.request().execute('sp_describe_everything');

    await expect(wrongName).rejects.toMatchObject({
      number: 8145,
      message: '@sql is not a parameter for procedure sp_describe_first_result_set.',
    });
    await expect(noTsql).rejects.toMatchObject({ number: 201 });
    await expect(unknown).rejects.toMatchObject({
      number: 2812,
      message: "Could not find stored procedure 'sp_describe_everything'.",
    });
  });

  it("describes every exact type as the catalog does, and a COLLATE clause's collation", async () => {
    const result = await pool.request().batch(
      `EXEC sp_describe_first_result_set @tsql = N'SELECT codigo COLLATE Latin1_General_CS_AS AS codigo, c_char, c_money,
         c_decimal, c_datetimeoffset, CAST(c_decimal AS VARCHAR(60)) AS texto FROM tipos_view'`,
    );

    expect(
      result.recordset.map((r) => [
        r.name,
        r.system_type_name,
        r.max_length,
        r.precision,
        r.scale,
        r.collation_name,
      ]),
    ).toEqual([
      ['codigo', 'varchar(20)', 20, 0, 0, 'Latin1_General_CS_AS'],
      ['c_char', 'char(10)', 10, 0, 0, 'Modern_Spanish_CI_AS'],
      ['c_money', 'money', 8, 19, 4, null],
      ['c_decimal', 'decimal(38,2)', 17, 38, 2, null],
      ['c_datetimeoffset', 'datetimeoffset(7)', 10, 34, 7, null],
      ['texto', 'varchar(60)', 60, 0, 0, 'Modern_Spanish_CI_AS'],
    ]);
    expect(result.recordset.map((r) => r.is_case_sensitive)).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
  });

  it('reports what is wrong with the described query as SQL Server would', async () => {
    const missing = pool
      .request()
      .batch("EXEC sp_describe_first_result_set @tsql = N'SELECT * FROM nope_view'");
    const noTsql = pool.request().batch('EXEC sp_describe_first_result_set');

    await expect(missing).rejects.toMatchObject({ number: 208, message: "Invalid object name 'nope_view'." });
    await expect(noTsql).rejects.toMatchObject({ number: 201 });
  });

  it('SELECT TOP 0 * returns the column metadata and no rows', async () => {
    const result = await pool.request().query('SELECT TOP 0 * FROM acuerdos_view');

    expect(result.recordset).toEqual([]);
    const columns = result.recordset.columns;
    expect(Object.keys(columns)).toEqual(VIEW_COLUMNS.acuerdos_view.map((c) => c.name));
    for (const column of VIEW_COLUMNS.acuerdos_view) {
      expect([columns[column.name]?.type, columns[column.name]?.nullable]).toEqual([
        mssqlType(column.type),
        column.nullable,
      ]);
    }
  });

  it('SELECT DISTINCT and COUNT(*) agree with the data', async () => {
    const distinct = await pool
      .request()
      .query('SELECT DISTINCT tipo_acuerdo FROM acuerdos_view ORDER BY tipo_acuerdo');
    const count = await pool.request().query('SELECT COUNT(*) AS n, COUNT_BIG(*) AS big FROM acuerdos_view');

    const acuerdos = [...italcol.acuerdos()];
    const tipos = [...new Set(acuerdos.map((a) => a.tipo_acuerdo.toUpperCase()))].sort();
    expect(distinct.recordset.map((r) => String(r.tipo_acuerdo).toUpperCase())).toEqual(tipos);
    expect(count.recordset).toEqual([{ n: acuerdos.length, big: String(acuerdos.length) }]);
  });
});
