import sql from 'mssql';
import {
  DATABASE_NAMES,
  nitForIndex,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, heldMemory, tempDir } from './helpers.js';

const ROWS = 200_000;
const MB = 1024 * 1024;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('streaming a 200,000-row view', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: { ITALCOL: { terceros: ROWS } } });
    // One connection: the query after a cancel must run on the very connection that was cancelled.
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL, { pool: { max: 1, min: 0 } });
  }, 180_000);

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('streams with pause/resume, holding neither the rows nor the reply in memory', async () => {
    const baseline = heldMemory();
    let peak = baseline;
    let received = 0;
    let pausedAt = -1;
    let duringPause = { rows: 0, growth: 0 };
    const checks: string[] = [];

    await new Promise<void>((resolve, reject) => {
      const request = new sql.Request(pool);
      request.stream = true;
      request.on('row', (row: { nit: string }) => {
        if (received % 20_000 === 0)
          checks.push(`${received}:${row.nit === nitForIndex('ITALCOL', received) ? 'ok' : row.nit}`);
        received++;
        if (received % 10_000 === 0) peak = Math.max(peak, heldMemory());
        if (received === 50_000) {
          request.pause();
          pausedAt = received;
          const before = heldMemory();
          // While paused, a server that ignored backpressure would keep pushing the other 150,000
          // rows (about 70 MB of TDS) into its socket buffers.
          void sleep(1000).then(() => {
            duringPause = { rows: received - pausedAt, growth: heldMemory() - before };
            request.resume();
          });
        }
      });
      request.on('error', reject);
      request.on('done', () => resolve());
      void request.query('SELECT * FROM terceros_view');
    });

    expect(received).toBe(ROWS);
    expect(checks.every((c) => c.endsWith(':ok'))).toBe(true);
    expect(duringPause.rows).toBeLessThan(1000);
    expect(duringPause.growth).toBeLessThan(16 * MB);
    expect(peak - baseline).toBeLessThan(40 * MB);
  }, 180_000); // 200,000 rows over TLS: ~20 s alone, several times that on a loaded 2-core machine

  it('stops mid-stream on cancel (ATTENTION) and the connection goes on serving', async () => {
    let received = 0;
    const started = Date.now();

    const outcome = await new Promise<{ code?: string; done: boolean }>((resolve) => {
      const request = new sql.Request(pool);
      request.stream = true;
      request.on('row', () => {
        received++;
        if (received === 10_000) request.cancel();
      });
      request.on('error', (error: { code?: string }) => resolve({ code: error.code, done: false }));
      request.on('done', () => resolve({ done: true }));
      void request.query('SELECT * FROM terceros_view');
    });
    const after = await pool.request().query('SELECT COUNT(*) AS n FROM terceros_view');

    expect(outcome.code).toBe('ECANCEL');
    expect(received).toBeLessThan(ROWS / 2);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(after.recordset[0]?.n).toBe(ROWS);
  });

  it('answers a cancel that arrives after the reply is complete', async () => {
    const request = new sql.Request(pool);
    const query = request.query('SELECT TOP 1 nit FROM terceros_view');
    const result = await query;
    request.cancel();

    const next = await pool.request().query('SELECT TOP 1 nit FROM terceros_view ORDER BY nit');

    expect(result.recordset).toHaveLength(1);
    expect(next.recordset).toHaveLength(1);
  });
});
