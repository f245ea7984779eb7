import sql from 'mssql';
import { Connection } from 'tedious';
import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir, trustEmulator } from './helpers.js';

/** The ERROR tokens a login gets, seen with tedious directly (mssql keeps only the last message). */
function loginErrors(
  emulator: SqlServerEmulator,
  options: { password?: string; database?: string },
): Promise<number[]> {
  return new Promise((resolve) => {
    const numbers: number[] = [];
    const connection = new Connection({
      server: emulator.host,
      authentication: {
        type: 'default',
        options: { userName: emulator.user, password: options.password ?? emulator.password },
      },
      options: {
        port: emulator.port,
        ...trustEmulator(emulator),
        ...(options.database === undefined ? {} : { database: options.database }),
      },
    });
    connection.on('errorMessage', (m: { number: number }) => numbers.push(m.number));
    connection.connect(() => {
      connection.close();
      resolve(numbers);
    });
  });
}

describe("SQL Server's errors for the usual failures", () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: { ITALCOL: { terceros: 100, sucursales: 100, acuerdos: 100 } },
    });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it("refuses a wrong password with 18456 Login failed for user '<user>'.", async () => {
    const attempt = new sql.ConnectionPool({
      server: emulator.host,
      port: emulator.port,
      options: trustEmulator(emulator),
      user: emulator.user,
      password: 'not-the-password',
      database: DATABASE_NAMES.ITALCOL,
    }).connect();

    await expect(attempt).rejects.toMatchObject({
      code: 'ELOGIN',
      message: "Login failed for user 'sfsync'.",
    });
    expect(await loginErrors(emulator, { password: 'wrong' })).toEqual([18456]);
  });

  it('refuses an unknown user the same way', async () => {
    const attempt = new sql.ConnectionPool({
      server: emulator.host,
      port: emulator.port,
      options: trustEmulator(emulator),
      user: 'intruso',
      password: emulator.password,
    }).connect();

    await expect(attempt).rejects.toMatchObject({
      code: 'ELOGIN',
      message: "Login failed for user 'intruso'.",
    });
  });

  it('refuses an unknown database with 4060, then 18456 as SQL Server does', async () => {
    const attempt = new sql.ConnectionPool({
      server: emulator.host,
      port: emulator.port,
      options: trustEmulator(emulator),
      user: emulator.user,
      password: emulator.password,
      database: 'ERP_NADIE',
    }).connect();

    await expect(attempt).rejects.toMatchObject({ code: 'ELOGIN' });
    expect(await loginErrors(emulator, { database: 'ERP_NADIE' })).toEqual([4060, 18456]);
  });

  it.each([
    ['SELECT * FROM dbo.clientes_view', 208, "Invalid object name 'dbo.clientes_view'."],
    ['SELECT nit, telefono_movil FROM terceros_view', 207, "Invalid column name 'telefono_movil'."],
    ['SELECT nit FROM terceros_view WHERE nit = = 1', 102, "Incorrect syntax near '='."],
    [
      "INSERT INTO terceros_view (nit) VALUES (N'1')",
      40517,
      expect.stringMatching(
        /^Keyword or statement option 'INSERT' is not supported in this version of SQL Server\. /,
      ),
    ],
    [
      'SELECT TOP 1 activo FROM terceros_view t JOIN sucursales_view s ON s.nit_tercero = t.nit',
      209,
      "Ambiguous column name 'activo'.",
    ],
    [
      'SELECT TOP 1 t.nit FROM terceros_view t FULL JOIN sucursales_view s ON s.nit_tercero = t.nit',
      40517,
      expect.stringContaining("'FULL JOIN'"),
    ],
    [
      "SELECT nit FROM terceros_view WHERE nit COLLATE Klingon_CI_AS = N'x'",
      448,
      expect.stringContaining("Invalid collation 'Klingon_CI_AS'."),
    ],
    [
      'SELECT CONVERT(NVARCHAR(30), fecha_modificacion, 999) FROM terceros_view',
      281,
      '999 is not a valid style number when converting from datetime2 to a character string.',
    ],
    [
      'SELECT CAST(nit AS INT) FROM terceros_view',
      245,
      expect.stringContaining('Conversion failed when converting the nvarchar value'),
    ],
  ])('%s fails with Msg %i', async (query, number, message) => {
    const failure = pool.request().query(query);

    await expect(failure).rejects.toMatchObject({ number, message, class: 16 });
    const again = await pool.request().query('SELECT 1 AS ok');
    expect(again.recordset).toEqual([{ ok: 1 }]);
  });

  it('answers a batch (SQL_BATCH) error the same way, and names a missing stored procedure', async () => {
    await expect(pool.request().batch('SELECT * FROM nada')).rejects.toMatchObject({ number: 208 });
    await expect(pool.request().execute('sp_inexistente')).rejects.toMatchObject({
      number: 2812,
      message: "Could not find stored procedure 'sp_inexistente'.",
    });
  });

  it('starts in master without a database, with USE to switch', async () => {
    const master = new sql.ConnectionPool({
      server: emulator.host,
      port: emulator.port,
      options: trustEmulator(emulator),
      user: emulator.user,
      password: emulator.password,
    });
    await master.connect();
    try {
      await expect(master.request().query('SELECT * FROM terceros_view')).rejects.toMatchObject({
        number: 208,
      });
      const switched = await master
        .request()
        .batch('USE ERP_ITALCOL; SELECT DB_NAME() AS db, COUNT(*) AS n FROM terceros_view');
      expect(switched.recordset).toEqual([{ db: 'ERP_ITALCOL', n: 100 }]);
    } finally {
      await master.close();
    }
  });
});
