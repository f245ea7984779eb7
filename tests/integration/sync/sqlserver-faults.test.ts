import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { databaseSettings, loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { SourceLoginError, SourceQueryError, SourceUnavailableError } from '../../../src/core/errors.js';
import { TRANSIENT_SQL_ERRORS } from '../../../src/core/source/errors.js';
import { type Row, SqlPools, streamPages } from '../../../src/core/source/sqlserver.js';
import { type SqlServerEmulator, startSqlServerEmulator } from '../../../src/emulators/sqlserver/index.js';
import { startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { failure } from './helpers.js';

const SIZES = { ITALCOL: { terceros: 30, sucursales: 5, acuerdos: 2 } };

describe("the extract under SQL Server's faults: transient errors retried, stalls cancelled, a rotated password picked up", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-sqlfault-'));
  let emulator: SqlServerEmulator;
  const env: Record<string, string> = {};
  const pools = new SqlPools();

  const settings = (extra: Record<string, unknown> = {}) => {
    const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
    raw.companies = {
      ITALCOL: {
        database: {
          host: emulator.host,
          port: emulator.port,
          database: emulator.databases.ITALCOL,
          user: emulator.user,
          password: { env: 'FAULT_TEST_PASSWORD' },
          ca: emulator.tls.ca,
          ...extra,
        },
      },
    };
    const config = parseConfig(raw);
    return () => databaseSettings(config, 'ITALCOL', (n) => env[n]);
  };

  async function readAll(
    read = settings(),
    query = 'SELECT nit FROM terceros_view ORDER BY nit',
  ): Promise<Row[]> {
    return pools.withPool(
      'ITALCOL',
      read,
      async () => undefined,
      async (pool, s) => {
        const rows: Row[] = [];
        const options = {
          pageSize: 4,
          where: 'ITALCOL terceros_view',
          timeZone: s.timeZone,
          idleRowTimeoutMs: s.idleRowTimeoutMs,
        };
        for await (const page of streamPages(pool, query, options)) rows.push(...page);
        return rows;
      },
    );
  }

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: path.join(dir, 'sql'), sizes: SIZES });
    env.FAULT_TEST_PASSWORD = emulator.password;
  }, 60000);

  afterEach(async () => {
    emulator.setFaults([]);
    await pools.closeAll();
  });

  afterAll(async () => {
    await emulator?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it.each([1205, 1222, 8645, 40613, 40501, 40197, 10928, 10929])(
    'error %i mid-stream is transient (SourceUnavailableError)',
    async (number) => {
      emulator.setFaults([{ kind: 'error', number, row: 6, query: 'terceros_view' }]);
      const error = await failure(readAll());
      expect(error).toBeInstanceOf(SourceUnavailableError);
      expect(error.message).toContain(`(error ${number}: ${TRANSIENT_SQL_ERRORS.get(number)}; retried)`);
      // The fault is used up: the retry reads every row.
      expect(await readAll()).toHaveLength(30);
    },
  );

  it('an unknown view is permanent (SourceQueryError 208)', async () => {
    const error = await failure(readAll(settings(), 'SELECT * FROM no_such_view'));
    expect(error).toBeInstanceOf(SourceQueryError);
    expect(error.message).toContain('(error 208)');
  });

  it('a dropped connection mid-reply is transient', async () => {
    emulator.setFaults([{ kind: 'drop', bytes: 300, query: 'terceros_view' }]);
    expect(await failure(readAll())).toBeInstanceOf(SourceUnavailableError);
  });

  it('a stream stalled mid-way is cancelled after idleRowTimeoutMs and fails as transient', async () => {
    emulator.setFaults([{ kind: 'stall', row: 10, ms: 'forever', query: 'terceros_view' }]);
    const started = Date.now();
    const error = await failure(readAll(settings({ idleRowTimeoutMs: 400 })));
    const ms = Date.now() - started;
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error.message).toBe(
      'ITALCOL terceros_view: the server sent no row for 400 ms (idleRowTimeoutMs); the query was cancelled',
    );
    expect(ms).toBeGreaterThanOrEqual(400);
    expect(ms).toBeLessThan(5000);
  });

  it('a first row slower than firstRowTimeoutMs fails as transient', async () => {
    emulator.setFaults([{ kind: 'slow', ms: 3000, query: 'terceros_view' }]);
    const error = await failure(readAll(settings({ firstRowTimeoutMs: 300 })));
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error.message).toContain('Timeout: Request failed to complete in 300ms');
  });

  it('picks up a password rotated between two reads in one process (18456, secrets read again, pool rebuilt)', async () => {
    const read = settings();
    expect(await readAll(read)).toHaveLength(30);
    emulator.setPassword(emulator.user, 'Rotated-Pass-2026!');
    env.FAULT_TEST_PASSWORD = 'Rotated-Pass-2026!';
    // The open connection dies (as after a failover or idle close); the next one must log in again.
    emulator.setFaults([{ kind: 'drop', bytes: 0, query: 'terceros_view' }]);
    expect(await failure(readAll(read))).toBeInstanceOf(SourceUnavailableError);
    let refreshed = 0;
    const rows = await pools.withPool(
      'ITALCOL',
      read,
      async () => {
        refreshed++;
      },
      async (pool, s) => {
        const out: Row[] = [];
        const options = { pageSize: 10, where: 'x', timeZone: s.timeZone, idleRowTimeoutMs: 5000 };
        for await (const page of streamPages(pool, 'SELECT nit FROM terceros_view', options))
          out.push(...page);
        return out;
      },
    );
    expect(rows).toHaveLength(30);
    expect(refreshed).toBe(1);
    emulator.setPassword(emulator.user, emulator.password);
    env.FAULT_TEST_PASSWORD = emulator.password;
  });

  it('a login refused with 18456 is permanent once the re-read secret does not help; 40613 at login is transient', async () => {
    emulator.setFaults([{ kind: 'login', number: 18456, times: 5 }]);
    const refused = await failure(readAll());
    expect(refused).toBeInstanceOf(SourceLoginError);
    expect(refused.message).toContain('Login failed for user');
    emulator.setFaults([{ kind: 'login', number: 40613, times: 20 }]);
    await pools.closeAll();
    const unavailable = await failure(readAll(settings({ connectTimeoutMs: 3000 })));
    expect(unavailable).toBeInstanceOf(SourceUnavailableError);
    expect(unavailable.message).toContain('(error 40613: database not currently available; retried)');
  });

  it('the workflow retries a deadlock (1205) and the run succeeds on the second attempt', async () => {
    const world = await startLocalEnvironment({
      config: loadConfig('config/sync.config.json'),
      dataDir: path.join(dir, 'world'),
      sizes: SIZES,
    });
    try {
      world.sqlserver?.setFaults([{ kind: 'error', number: 1205, row: 3, query: 'terceros_view' }]);
      const events: TaskEvent[] = [];
      const result = await runSync({
        input: { companies: ['ITALCOL'], entities: ['terceros'] },
        retryIntervalScale: 0.001,
        onTaskEvent: (e) => events.push(e),
      });
      const extracts = events.filter((e) => e.functionName === 'extract' && e.type !== 'TaskStarted');
      expect(extracts.map((e) => [e.type, e.attempt, e.error?.name])).toEqual([
        ['TaskFailed', 1, 'SourceUnavailableError'],
        ['TaskSucceeded', 2, undefined],
      ]);
      expect(result.status).toBe('SUCCEEDED');
    } finally {
      await world.stop();
    }
  }, 120000);
});
