import { Connection, Request } from 'tedious';
import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { tempDir, trustEmulator } from './helpers.js';

/** Protocol paths mssql rarely takes, driven through tedious directly. */
describe('tedious connection features', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let connection: Connection;

  function rows(sql: string, batch = false): Promise<unknown[][]> {
    return new Promise((resolve, reject) => {
      const out: unknown[][] = [];
      const request = new Request(sql, (error) => (error ? reject(error) : resolve(out)));
      request.on('row', (columns: { value: unknown }[]) => out.push(columns.map((c) => c.value)));
      if (batch) connection.execSqlBatch(request);
      else connection.execSql(request);
    });
  }

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: { CASABLANCA: { terceros: 50, sucursales: 10, acuerdos: 10 } },
    });
    connection = new Connection({
      server: emulator.host,
      authentication: { type: 'default', options: { userName: emulator.user, password: emulator.password } },
      options: {
        port: emulator.port,
        database: DATABASE_NAMES.CASABLANCA,
        packetSize: 512,
        ...trustEmulator(emulator),
      },
    });
    await new Promise<void>((resolve, reject) =>
      connection.connect((error) => (error ? reject(error) : resolve())),
    );
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => {
      connection.on('end', () => resolve());
      connection.close();
    });
    await emulator.stop();
    folder.remove();
  });

  it('resets the connection (RESETCONNECTION) back to the login database', async () => {
    await rows('USE ERP_ITALCOL', true);
    expect(await rows('SELECT DB_NAME()')).toEqual([['ERP_ITALCOL']]);

    await new Promise<void>((resolve, reject) =>
      connection.reset((error) => (error ? reject(error) : resolve())),
    );

    expect(await rows('SELECT DB_NAME()')).toEqual([['ERP_CASABLANCA']]);
  });

  it('streams in 512-byte packets when the client negotiates them', async () => {
    const result = await rows('SELECT nit, razon_social FROM terceros_view');

    expect(result).toHaveLength(50);
  });

  it('acknowledges ATTENTION even after a complete reply and keeps the connection', async () => {
    const outcome = await new Promise<string>((resolve) => {
      let seen = 0;
      const request = new Request('SELECT * FROM terceros_view', (error) =>
        resolve(error ? ((error as { code?: string }).code ?? 'error') : 'done'),
      );
      request.on('row', () => {
        seen++;
        if (seen === 5) connection.cancel();
      });
      connection.execSql(request);
    });

    expect(outcome).toBe('ECANCEL');
    expect(await rows('SELECT COUNT(*) FROM terceros_view')).toEqual([[50]]);
  });
});
