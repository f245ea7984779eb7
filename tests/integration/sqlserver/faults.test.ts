import type sql from 'mssql';
import { Connection } from 'tedious';
import {
  DATABASE_NAMES,
  FaultError,
  parseFaultSpec,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir, trustEmulator } from './helpers.js';

const SIZES = {
  ITALCOL: { terceros: 20, sucursales: 10, acuerdos: 10 },
  CASABLANCA: { terceros: 5, sucursales: 5, acuerdos: 5 },
  SANTA_REYES: { terceros: 5, sucursales: 5, acuerdos: 5 },
};
const QUERY = 'SELECT nit FROM terceros_view ORDER BY nit';

/** Streams a query: the rows that arrived, and how it ended. */
function stream(
  pool: sql.ConnectionPool,
  text: string,
  options: { cancelAfterMs?: number } = {},
): Promise<{
  rows: number;
  error?: { number?: number; code?: string; class?: number; state?: number; message: string };
  ms: number;
}> {
  const started = Date.now();
  return new Promise((resolve) => {
    const request = pool.request();
    request.stream = true;
    let rows = 0;
    let error:
      | { number?: number; code?: string; class?: number; state?: number; message: string }
      | undefined;
    request.on('row', () => {
      rows++;
    });
    request.on('error', (e: sql.RequestError & { class?: number; state?: number }) => {
      error ??= { number: e.number, code: e.code, class: e.class, state: e.state, message: e.message };
    });
    request.on('done', () =>
      resolve({ rows, ...(error === undefined ? {} : { error }), ms: Date.now() - started }),
    );
    request.query(text);
    if (options.cancelAfterMs !== undefined) setTimeout(() => request.cancel(), options.cancelAfterMs);
  });
}

/** The ERROR numbers a login gets (tedious directly: mssql keeps only the last one). */
function loginErrors(emulator: SqlServerEmulator, password = emulator.password): Promise<number[]> {
  return new Promise((resolve) => {
    const numbers: number[] = [];
    const connection = new Connection({
      server: emulator.host,
      authentication: { type: 'default', options: { userName: emulator.user, password } },
      options: { port: emulator.port, database: DATABASE_NAMES.ITALCOL, ...trustEmulator(emulator) },
    });
    connection.on('errorMessage', (m: { number: number }) => numbers.push(m.number));
    connection.connect(() => {
      connection.close();
      resolve(numbers);
    });
  });
}

describe('SQL Server emulator fault injection', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterEach(() => emulator.setFaults([]));

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('raises deadlock 1205 at row 5 of the next matching query, once, with SQL Server text, class and state', async () => {
    emulator.setFaults([{ kind: 'error', number: 1205, row: 5, query: 'terceros_view' }]);

    const first = await stream(pool, QUERY);
    expect(first.rows).toBe(5);
    expect(first.error).toEqual({
      number: 1205,
      code: 'EREQUEST',
      class: 13,
      state: 51,
      message: expect.stringMatching(
        /^Transaction \(Process ID \d+\) was deadlocked on lock resources with another process and has been chosen as the deadlock victim\. Rerun the transaction\.$/,
      ),
    });
    expect(emulator.pendingFaults()).toEqual([]);
    expect(await stream(pool, QUERY)).toMatchObject({ rows: 20 });
  });

  it('fires a bounded number of times, only for queries that match database and text', async () => {
    emulator.setFaults([
      { kind: 'error', number: 1222, database: 'erp_italcol', query: 'TERCEROS', times: 2 },
    ]);

    await expect(pool.request().query('SELECT COUNT(*) AS n FROM sucursales_view')).resolves.toMatchObject({
      recordset: [{ n: 10 }],
    });
    const other = await connect(emulator, DATABASE_NAMES.CASABLANCA);
    try {
      await expect(other.request().query('SELECT COUNT(*) AS n FROM terceros_view')).resolves.toMatchObject({
        recordset: [{ n: 5 }],
      });
    } finally {
      await other.close();
    }
    expect(emulator.pendingFaults()).toEqual([
      { kind: 'error', number: 1222, database: 'erp_italcol', query: 'TERCEROS', times: 2 },
    ]);
    for (let i = 0; i < 2; i++) {
      await expect(pool.request().query(QUERY)).rejects.toMatchObject({
        number: 1222,
        class: 16,
        message: 'Lock request time out period exceeded.',
      });
    }
    expect((await pool.request().query(QUERY)).recordset).toHaveLength(20);
  });

  it.each([
    [
      8645,
      17,
      "A timeout occurred while waiting for memory resources to execute the query in resource pool 'default' (2). Rerun the query.",
    ],
    [40613, 17, "Database 'ERP_ITALCOL' on server 'SFSYNC-SQLSERVER' is not currently available."],
    [
      40197,
      20,
      'The service has encountered an error processing your request. Please try again. Error code 4815.',
    ],
    [40501, 20, 'The service is currently busy. Retry the request after 10 seconds.'],
    [10928, 20, 'Resource ID : 1. The request limit for the database is 30 and has been reached.'],
    [10929, 20, 'Resource ID : 1. The request minimum guarantee is 0, maximum limit is 30'],
  ])('raises %d (class %d) before the first row', async (number, severity, text) => {
    emulator.setFaults([{ kind: 'error', number, query: 'terceros_view' }]);
    const result = await stream(pool, QUERY);
    expect(result.rows).toBe(0);
    expect(result.error).toMatchObject({ number, class: severity, message: expect.stringContaining(text) });
    // Class 20 and above closed that connection; the pool replaces it.
    expect((await pool.request().query(QUERY)).recordset).toHaveLength(20);
  });

  it('drops the connection after N bytes of the reply', async () => {
    emulator.setFaults([{ kind: 'drop', bytes: 100, query: 'terceros_view' }]);
    const result = await stream(pool, QUERY);
    expect(result.rows).toBeLessThan(20);
    // What tedious reports when the socket ends inside a reply message.
    expect(result.error).toMatchObject({ code: 'EREQUEST', message: 'unexpected end of message stream' });
    expect((await pool.request().query(QUERY)).recordset).toHaveLength(20);
  });

  it('delays the first row (a slow query): requestTimeout applies', async () => {
    emulator.setFaults([{ kind: 'slow', ms: 400, query: 'terceros_view', times: 2 }]);
    const slow = await stream(pool, QUERY);
    expect(slow.rows).toBe(20);
    expect(slow.ms).toBeGreaterThanOrEqual(400);

    const impatient = await connect(emulator, DATABASE_NAMES.ITALCOL, { requestTimeout: 150 });
    try {
      await expect(impatient.request().query(QUERY)).rejects.toMatchObject({ code: 'ETIMEOUT' });
    } finally {
      await impatient.close();
    }
  });

  it('stalls mid-stream after row N for a while, then goes on', async () => {
    emulator.setFaults([{ kind: 'stall', row: 3, ms: 400, query: 'terceros_view' }]);
    const result = await stream(pool, QUERY);
    expect(result).toMatchObject({ rows: 20 });
    expect(result.error).toBeUndefined();
    expect(result.ms).toBeGreaterThanOrEqual(400);
  });

  it('stalls forever after row N: requestTimeout does not fire once rows came, only a cancel ends it', async () => {
    const patient = await connect(emulator, DATABASE_NAMES.ITALCOL, { requestTimeout: 200 });
    try {
      emulator.setFaults([{ kind: 'stall', row: 3, ms: 'forever', query: 'terceros_view' }]);
      const result = await stream(patient, QUERY, { cancelAfterMs: 800 });
      expect(result.rows).toBe(3);
      expect(result.error).toMatchObject({ code: 'ECANCEL' });
      expect(result.ms).toBeGreaterThanOrEqual(800);
      expect((await patient.request().query(QUERY)).recordset).toHaveLength(20);
    } finally {
      await patient.close();
    }
  });

  it('fails the next K logins with 18456, and 4060 the SQL Server way (4060 then 18456)', async () => {
    emulator.setFaults([{ kind: 'login', number: 18456, times: 2 }]);
    for (let i = 0; i < 2; i++) {
      await expect(connect(emulator, DATABASE_NAMES.ITALCOL)).rejects.toMatchObject({
        code: 'ELOGIN',
        message: "Login failed for user 'sfsync'.",
      });
    }
    const fine = await connect(emulator, DATABASE_NAMES.ITALCOL);
    await fine.close();

    emulator.setFaults([{ kind: 'login', number: 4060, database: 'ERP_ITALCOL' }]);
    expect(await loginErrors(emulator)).toEqual([4060, 18456]);
    expect(await loginErrors(emulator)).toEqual([]);
  });

  it('rotates the password: the old one is refused with 18456, the new one works, open connections stay', async () => {
    const old = emulator.password;
    emulator.setPassword('SFSYNC', 'Rotada-2026!');
    try {
      expect(await loginErrors(emulator, old)).toEqual([18456]);
      expect(await loginErrors(emulator, 'Rotada-2026!')).toEqual([]);
      expect(emulator.password).toBe('Rotada-2026!');
      expect((await pool.request().query(QUERY)).recordset).toHaveLength(20);
    } finally {
      emulator.setPassword('sfsync', old);
    }
    expect(() => emulator.setPassword('otro', 'x')).toThrow(
      "setPassword: unknown login 'otro'; the emulator has one login, 'sfsync'",
    );
  });

  it('refuses a fault it does not know, naming what is accepted', () => {
    expect(() => emulator.setFaults([{ kind: 'error', number: 1234 } as never])).toThrow(FaultError);
    expect(() => emulator.setFaults([{ kind: 'error', number: 1234 } as never])).toThrow(
      /number: one of 1205, 1222, 4060, 8645, 10928, 10929, 18456, 40197, 40501, 40613/,
    );
    expect(() => emulator.setFaults([{ kind: 'explode' } as never])).toThrow(/invalid faults: 0\.kind: /);
  });

  it('reads the --fault syntax', () => {
    expect(parseFaultSpec('error:1205,row=500,query=terceros_view,times=2')).toEqual({
      kind: 'error',
      number: 1205,
      row: 500,
      query: 'terceros_view',
      times: 2,
    });
    expect(parseFaultSpec('stall,row=10,ms=forever')).toEqual({ kind: 'stall', row: 10, ms: 'forever' });
    expect(parseFaultSpec('login:4060,database=ERP_ITALCOL')).toEqual({
      kind: 'login',
      number: 4060,
      database: 'ERP_ITALCOL',
    });
    expect(() => parseFaultSpec('drop,bytes')).toThrow("--fault 'drop,bytes': 'bytes' is not key=value");
  });
});

describe('SQL Server emulator observations', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: { ...SIZES, ITALCOL: { terceros: 30_000, sucursales: 10, acuerdos: 10 } },
    });
  });

  afterAll(async () => {
    await emulator.stop();
    folder.remove();
  });

  it('records how long a client that stops reading kept a stream waiting (ASYNC_NETWORK_IO)', async () => {
    const pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
    try {
      emulator.resetStats();
      const rows = await new Promise<number>((resolve, reject) => {
        const request = pool.request();
        request.stream = true;
        let count = 0;
        request.on('row', () => {
          if (++count === 1) {
            request.pause();
            // The server waits once the socket buffers are full, some time after the pause began.
            setTimeout(() => request.resume(), 2000);
          }
        });
        request.on('error', reject);
        request.on('done', () => resolve(count));
        void request.query('SELECT * FROM terceros_view');
      });
      expect(rows).toBe(30_000);
      const stats = emulator.stats();
      expect(stats.rowsSent).toBe(30_001); // and mssql's `SELECT 1` validating the connection
      expect(stats.clientWaits).toBeGreaterThan(0);
      expect(stats.longestClientWaitMs).toBeGreaterThanOrEqual(1000);
      expect(stats.longestClientWaitMs).toBeLessThan(10_000);
    } finally {
      await pool.close();
    }
  });
});
