import sql from 'mssql';
import { type DatabaseSettings, resolveDatabase } from '../../../src/core/config/database.js';
import { SqlPools } from '../../../src/core/source/sqlserver.js';
import {
  DATABASE_NAMES,
  generateCompany,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

describe('an mssql pool of 10 on concurrent connections', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;
  const acuerdos = [...generateCompany('ITALCOL').acuerdos()];

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL, { pool: { max: 10, min: 0 } });
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('runs 10 streamed queries at once, each on its own connection, while one of them stays paused', async () => {
    // Every stream holds its connection until all ten have a first row (TLS handshakes make some
    // connections slower to open than others), then the nine go on and the first stays paused.
    let started = 0;
    const held: (() => void)[] = [];
    const runs = Array.from({ length: 10 }, (_, i) => {
      return new Promise<{ spids: Set<number>; ids: string[]; doneAt: number; resumedAt: number }>(
        (resolve, reject) => {
          let resumedAt = 0;
          const spids = new Set<number>();
          const ids: string[] = [];
          const request = new sql.Request(pool);
          request.stream = true;
          request.on('row', (row: { spid: number; id_acuerdo: string }) => {
            spids.add(row.spid);
            ids.push(row.id_acuerdo);
            // Hold every connection until the ten overlap; the first one longest.
            if (ids.length === 1) {
              request.pause();
              held.push(() =>
                setTimeout(
                  () => {
                    resumedAt = Date.now();
                    request.resume();
                  },
                  i === 0 ? 800 : 100,
                ),
              );
              if (++started === 10) for (const release of held) release();
            }
          });
          request.on('error', reject);
          request.on('done', () => resolve({ spids, ids, doneAt: Date.now(), resumedAt }));
          void request
            .input('tipo', sql.NVarChar(50), i % 2 === 0 ? 'REBATE' : 'VOLUMEN')
            .query(
              'SELECT @@SPID AS spid, id_acuerdo, descripcion FROM acuerdos_view WHERE tipo_acuerdo = @tipo ORDER BY id_acuerdo',
            );
        },
      );
    });

    const results = await Promise.all(runs);

    const spids = new Set(results.flatMap((r) => [...r.spids]));
    expect(spids.size).toBe(10);
    results.forEach((r, i) => {
      const tipo = i % 2 === 0 ? 'REBATE' : 'VOLUMEN';
      expect(r.ids).toEqual(acuerdos.filter((a) => a.tipo_acuerdo === tipo).map((a) => String(a.id_acuerdo)));
    });
    // The paused stream held nobody up: the nine others were done before it resumed.
    const [first, ...others] = results;
    expect(Math.max(...others.map((r) => r.doneAt))).toBeLessThan(first?.resumedAt ?? 0);
  });
});

describe("the sync's pool (SqlPools.get)", () => {
  const folder = tempDir();
  const pools = new SqlPools();
  let emulator: SqlServerEmulator;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir });
  });

  afterAll(async () => {
    await pools.closeAll();
    await emulator.stop();
    folder.remove();
  });

  const settings = (): DatabaseSettings =>
    resolveDatabase(
      {
        host: emulator.host,
        port: emulator.port,
        database: DATABASE_NAMES.ITALCOL,
        user: emulator.user,
        password: emulator.password,
        ca: emulator.tls.ca,
        authentication: 'sql',
        encrypt: true,
        trustServerCertificate: false,
        timeZone: 'America/Bogota',
        poolMax: 2,
        connectTimeoutMs: 5000,
        requestTimeoutMs: 5000,
        idleRowTimeoutMs: 5000,
        isolationLevel: 'READ_COMMITTED',
        readAheadPages: 2,
      },
      'test.database',
      (v) => (typeof v === 'string' ? v : ''),
    );

  it('listens for pool errors, is reused, and recovers after a connection is cut mid-reply', async () => {
    const pool = await pools.get('ITALCOL', settings());
    expect(pool.listenerCount('error')).toBe(1);
    expect(await pools.get('ITALCOL', settings())).toBe(pool);
    emulator.setFaults([{ kind: 'drop', bytes: 100, query: 'terceros_view' }]);
    await expect(pool.request().query('SELECT nit FROM terceros_view')).rejects.toThrow();
    const r = await pool.request().query('SELECT COUNT(*) AS n FROM terceros_view');
    expect(r.recordset[0]?.n).toBeGreaterThan(0);
  });
});
