/**
 * Streams one view of the SQL Server emulator through `mssql` (request.stream, as the sync's extract
 * does) and prints rows per second and peak memory. Server and client run in this one process, so the
 * RSS figure covers both.
 *
 *   npx tsx bench/sqlserver-stream.ts [--rows 1000000] [--view terceros_view] [--data-dir .data/bench-sqlserver]
 *
 * The first run generates the data (timed separately); later runs reuse it.
 */
import sql from 'mssql';
import { startSqlServerEmulator, VIEWS, type ViewName } from '../src/emulators/sqlserver/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const rows = Number(option('rows', '1000000'));
const view = option('view', 'terceros_view') as ViewName;
const dataDir = option('data-dir', '.data/bench-sqlserver');
if (!Number.isInteger(rows) || rows < 1 || rows > 5_000_000)
  throw new Error('--rows must be an integer from 1 to 5000000');
if (!VIEWS.includes(view)) throw new Error(`--view must be one of ${VIEWS.join(', ')}`);
const sizeKey = view.replace('_view', '') as 'terceros' | 'sucursales' | 'acuerdos';

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function main(): Promise<void> {
  const startGen = performance.now();
  const emulator = await startSqlServerEmulator({
    dataDir,
    sizes: { ITALCOL: { [sizeKey]: rows } },
    log: (m) => process.stderr.write(`${m}\n`),
  });
  const startupMs = performance.now() - startGen;
  const pool = await new sql.ConnectionPool({
    server: emulator.host,
    port: emulator.port,
    user: emulator.user,
    password: emulator.password,
    database: emulator.databases.ITALCOL,
    options: { trustServerCertificate: true },
    requestTimeout: 600_000,
  }).connect();

  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  }, 50);

  const started = performance.now();
  let received = 0;
  let chars = 0;
  await new Promise<void>((resolve, reject) => {
    const request = new sql.Request(pool);
    request.stream = true;
    request.on('row', (row: Record<string, unknown>) => {
      received++;
      const first = Object.values(row)[0];
      if (typeof first === 'string') chars += first.length;
      // A consumer that takes a breath now and then, as the sync's extract does between pages.
      if (received % 50_000 === 0) {
        request.pause();
        setTimeout(() => request.resume(), 5);
      }
    });
    request.on('error', reject);
    request.on('done', () => resolve());
    void request.query(`SELECT * FROM dbo.${view}`);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await pool.close();
  await emulator.stop();

  if (received !== rows) throw new Error(`expected ${rows} rows, received ${received} (${chars})`);
  const result = {
    view,
    rows: received,
    seconds: Number(seconds.toFixed(2)),
    rowsPerSecond: Math.round(received / seconds),
    startupMs: Math.round(startupMs),
    baselineRss: mb(baseline.rss),
    peakRss: mb(peakRss),
    peakHeapUsed: mb(peakHeap),
    node: process.version,
  };
  process.stdout.write(
    `${view}: ${received} rows in ${result.seconds} s = ${result.rowsPerSecond} rows/s; ` +
      `peak RSS ${result.peakRss} (baseline ${result.baselineRss}), peak heap ${result.peakHeapUsed}; ` +
      `startup ${result.startupMs} ms (server and client in one process)\n`,
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
