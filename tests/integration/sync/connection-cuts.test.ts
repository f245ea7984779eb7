import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { SqlFault } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, startWorld, type TestWorld } from './helpers.js';

const VIEWS = ['terceros_view', 'sucursales_view', 'acuerdos_view'] as const;
const ROUNDS = 6;

/** mulberry32: a small seeded PRNG, so that every run of the test cuts at the same offsets. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Up to two cuts per view, each after a random number of reply bytes (mid-row, mid-header, mid-token). */
function cutsFor(next: () => number): SqlFault[] {
  return VIEWS.map((query) => ({
    kind: 'drop' as const,
    bytes: 40 + Math.floor(next() * 6000),
    query,
    times: 1 + Math.floor(next() * 2),
  }));
}

/**
 * The repo's config with small pages and one page read ahead: the extract then pauses and resumes
 * the stream every few rows, so cuts land on paused, resumed and flowing requests alike.
 */
function smallPageConfig(dir: string): string {
  const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
  raw.defaults.pageSize = 7;
  for (const company of Object.values(raw.companies) as Array<{ database: Record<string, unknown> }>)
    company.database.readAheadPages = 1;
  const file = path.join(dir, 'sync.config.json');
  writeFileSync(file, JSON.stringify(raw));
  return file;
}

/**
 * A TCP proxy in front of SQL Server that resets (RST, as a failing network or a killed server
 * does) up to a planned number of connections, each after a random number of server bytes.
 */
interface CuttingProxy {
  port: number;
  /** Allows `cuts` more resets; each new connection is reset after a random number of server bytes. */
  plan(cuts: number): void;
  fired(): number;
  close(): Promise<void>;
}

async function startCuttingProxy(host: string, port: number, offset: () => number): Promise<CuttingProxy> {
  let budget = 0;
  let fired = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const limit = offset();
    const upstream = net.connect(port, host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    let sent = 0;
    upstream.on('data', (chunk: Buffer) => {
      if (budget > 0 && sent + chunk.length > limit) {
        budget--;
        client.write(chunk.subarray(0, limit - sent));
        fired++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      sent += chunk.length;
      client.write(chunk);
    });
    client.on('data', (chunk: Buffer) => upstream.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    plan: (cuts) => {
      budget = cuts;
    },
    fired: () => fired,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function armed(faults: SqlFault[]): number {
  return faults.reduce((n, f) => n + (f.times ?? 1), 0);
}

/**
 * Item 1 of issue 13: SQL Server connections cut mid-reply, many times over, during full syncs.
 * Each run must end with a summary (no crash, no unhandled 'error' event or rejection), every cut
 * retried as a transient SourceUnavailableError by the Extract step, and no row left failed.
 */
describe('full syncs while SQL Server connections are cut mid-stream', () => {
  let world: TestWorld;
  const uncaught: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  const configDir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-cuts-'));
  const savedConfigPath = process.env.SYNC_CONFIG_PATH;

  beforeAll(async () => {
    process.env.SYNC_CONFIG_PATH = smallPageConfig(configDir);
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    world = await startWorld();
    const first = await world.run({});
    expect(first.status).toBe('SUCCEEDED');
  }, 180000);

  afterAll(async () => {
    world?.env.sqlserver?.setFaults([]);
    await world?.stop();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
    if (savedConfigPath === undefined) delete process.env.SYNC_CONFIG_PATH;
    else process.env.SYNC_CONFIG_PATH = savedConfigPath;
    rmSync(configDir, { recursive: true, force: true });
  });

  it(`ends ${ROUNDS} runs with a summary, each cut retried as transient, 0 failed rows`, async () => {
    const sql = world.env.sqlserver;
    if (!sql) throw new Error('no SQL Server emulator');
    const next = rng(20261129);
    let cuts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const faults = cutsFor(next);
      sql.setFaults(faults);
      const result = await world.run({ mode: 'full' });
      const fired = armed(faults) - armed(sql.pendingFaults());
      sql.setFaults([]);
      const retried = result.events.filter(
        (e) =>
          e.type === 'TaskFailed' && e.stateName === 'Extract' && e.error?.name === 'SourceUnavailableError',
      );
      const otherFailures = result.events.filter(
        (e) => e.type === 'TaskFailed' && e.error?.name !== 'SourceUnavailableError',
      );
      expect({ round, status: result.status, failed: result.summary?.totals.failed }).toEqual({
        round,
        status: 'SUCCEEDED',
        failed: 0,
      });
      bucketsAddUp(result.summary);
      // Each cut that fired is one failed Extract attempt, retried; nothing else failed.
      expect({ round, retried: retried.length }).toEqual({ round, retried: fired });
      expect(otherFailures.map((e) => e.error)).toEqual([]);
      for (const e of retried) expect(e.error?.cause).toMatch(/connection|socket|closed|ECONNRESET/i);
      cuts += fired;
    }
    expect(cuts).toBeGreaterThanOrEqual(ROUNDS * 2);
    expect({ uncaught, unhandled }).toEqual({ uncaught: [], unhandled: [] });
  }, 300000);

  it('ends runs with a summary when a proxy resets connections (RST) at random offsets', async () => {
    const sql = world.env.sqlserver;
    if (!sql) throw new Error('no SQL Server emulator');
    const next = rng(4242);
    // Each connection is cut after 1.6 to 21 KB of the server's bytes (past the login: mid-reply).
    const proxy = await startCuttingProxy(sql.host, sql.port, () => 1600 + Math.floor(next() * 20000));
    const names = ['DB_PORT_ITALCOL', 'DB_PORT_CASABLANCA', 'DB_PORT_SANTA_REYES'];
    const saved = names.map((n) => process.env[n]);
    let retriedTotal = 0;
    let fired = 0;
    try {
      for (const n of names) process.env[n] = String(proxy.port);
      for (let round = 0; round < ROUNDS; round++) {
        // New pools each run (each local run builds its own app), and up to three cuts.
        proxy.plan(3);
        const before = proxy.fired();
        const result = await world.run({ mode: 'full' });
        const failures = result.events.filter((e) => e.type === 'TaskFailed');
        expect({ round, status: result.status, failed: result.summary?.totals.failed }).toEqual({
          round,
          status: 'SUCCEEDED',
          failed: 0,
        });
        bucketsAddUp(result.summary);
        // Every failed attempt is a named transient error, retried. (A cut during a login is retried
        // by the pool itself and fails no attempt.)
        expect(failures.map((e) => e.error?.name).filter((n) => n !== 'SourceUnavailableError')).toEqual([]);
        retriedTotal += failures.filter((e) => e.stateName === 'Extract').length;
        fired += proxy.fired() - before;
      }
      expect(fired).toBe(ROUNDS * 3);
      expect(retriedTotal).toBeGreaterThanOrEqual(ROUNDS);
    } finally {
      names.forEach((n, i) => {
        if (saved[i] === undefined) delete process.env[n];
        else process.env[n] = saved[i];
      });
      await proxy.close();
    }
    expect({ uncaught, unhandled }).toEqual({ uncaught: [], unhandled: [] });
  }, 300000);
});
