/**
 * Streams one view of the SQL Server emulator through `mssql` (request.stream, as the sync's extract
 * does, with a pause now and then) and prints rows per second and peak memory.
 *
 *   npx tsx bench/sqlserver-stream.ts [--rows 1000000] [--view terceros_view] [--data-dir .data/bench-sqlserver]
 *                                     [--server-process] [--order-by-key] [--tls on|off]
 *
 * With --tls on (the default, as the emulator and a real server run) the client connects with
 * `encrypt: true` and the emulator's CA; --tls off measures the same stream in plain text.
 *
 * By default server and client run in this one process, so the RSS figure covers both. With
 * --server-process the emulator runs as `src/emulators/sqlserver/main.ts` in a child process and the
 * server's RSS is sampled on its own (from /proc, Linux). The first run generates the data (timed as
 * startup); later runs reuse it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sql from 'mssql';
import { startSqlServerEmulator, VIEW_KEYS, VIEWS, type ViewName } from '../src/emulators/sqlserver/index.js';

function option(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  const value = i >= 0 ? process.argv[i + 1] : undefined;
  return value ?? fallback;
}

const rows = Number(option('rows', '1000000'));
const view = option('view', 'terceros_view') as ViewName;
const dataDir = option('data-dir', '.data/bench-sqlserver');
const separate = process.argv.includes('--server-process');
/** ORDER BY the view's key, as the sync's extract queries it. */
const orderByKey = process.argv.includes('--order-by-key');
const tls = option('tls', 'on') as 'on' | 'off';
if (tls !== 'on' && tls !== 'off') throw new Error('--tls must be on or off');
if (!Number.isInteger(rows) || rows < 1 || rows > 5_000_000)
  throw new Error('--rows must be an integer from 1 to 5000000');
if (!VIEWS.includes(view)) throw new Error(`--view must be one of ${VIEWS.join(', ')}`);

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

interface Server {
  host: string;
  port: number;
  user: string;
  password: string;
  database: string;
  /** The emulator's CA (PEM), which the client trusts; empty with --tls off. */
  ca: string;
  /** RSS of the server process, when it is not this one. */
  rss?: () => number;
  stop: () => Promise<void>;
}

async function inProcess(): Promise<Server> {
  const emulator = await startSqlServerEmulator({
    dataDir,
    sizes: { ITALCOL: { [view.replace('_view', '')]: rows } },
    tls,
    log: (m) => process.stderr.write(`${m}\n`),
  });
  return {
    ...emulator,
    database: emulator.databases.ITALCOL ?? '',
    ca: emulator.tls.ca ?? '',
    stop: () => emulator.stop(),
  };
}

async function childProcess(): Promise<Server> {
  const main = path.resolve('src/emulators/sqlserver/main.ts');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      main,
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--tls',
      tls,
      '--rows',
      `ITALCOL.${view}=${rows}`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    child.on('exit', (code) => reject(new Error(`the emulator exited with ${code}`)));
  });
  const ready = JSON.parse(line) as {
    host: string;
    port: number;
    user: string;
    password: string;
    databases: Record<string, string>;
    tls: { mode: string; caPath?: string };
  };
  const rss = (): number => {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  };
  return {
    ...ready,
    database: ready.databases.ITALCOL ?? '',
    ca: ready.tls.caPath ? readFileSync(ready.tls.caPath, 'utf8') : '',
    rss,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function main(): Promise<void> {
  const startup = performance.now();
  const server = separate ? await childProcess() : await inProcess();
  const startupMs = performance.now() - startup;
  const pool = await new sql.ConnectionPool({
    server: server.host,
    port: server.port,
    user: server.user,
    password: server.password,
    database: server.database,
    requestTimeout: 600_000,
    options:
      tls === 'on'
        ? { encrypt: true, serverName: 'localhost', cryptoCredentialsDetails: { ca: server.ca } }
        : { encrypt: false },
  }).connect();

  const baseline = { own: process.memoryUsage().rss, server: server.rss?.() ?? 0 };
  const peak = { ...baseline, heap: process.memoryUsage().heapUsed };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.own = Math.max(peak.own, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
    if (server.rss) peak.server = Math.max(peak.server, server.rss());
  }, 50);

  const started = performance.now();
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    const request = new sql.Request(pool);
    request.stream = true;
    request.on('row', () => {
      received++;
      // A consumer that takes a breath now and then, as the sync's extract does between pages.
      if (received % 50_000 === 0) {
        request.pause();
        setTimeout(() => request.resume(), 5);
      }
    });
    request.on('error', reject);
    request.on('done', () => resolve());
    void request.query(`SELECT * FROM dbo.${view}${orderByKey ? ` ORDER BY ${VIEW_KEYS[view]}` : ''}`);
  });
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  await pool.close();
  await server.stop();

  if (received !== rows) throw new Error(`expected ${rows} rows, received ${received}`);
  const rowsPerSecond = Math.round(received / seconds);
  const memory = separate
    ? `server peak RSS ${mb(peak.server)} (baseline ${mb(baseline.server)}), client peak RSS ${mb(peak.own)}`
    : `peak RSS ${mb(peak.own)} (baseline ${mb(baseline.own)}) for server and client in one process`;
  process.stdout.write(
    `${view}: ${received} rows in ${seconds.toFixed(2)} s = ${rowsPerSecond} rows/s; ${memory}; ` +
      `peak client heap ${mb(peak.heap)}; startup ${Math.round(startupMs)} ms\n`,
  );
  process.stdout.write(
    `${JSON.stringify({
      view,
      rows: received,
      seconds: Number(seconds.toFixed(2)),
      rowsPerSecond,
      mode: separate ? 'server-process' : 'one-process',
      orderByKey,
      peakRssMB: Math.round(peak.own / 1048576),
      baselineRssMB: Math.round(baseline.own / 1048576),
      ...(separate
        ? {
            serverPeakRssMB: Math.round(peak.server / 1048576),
            serverBaselineRssMB: Math.round(baseline.server / 1048576),
          }
        : {}),
      startupMs: Math.round(startupMs),
      node: process.version,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
