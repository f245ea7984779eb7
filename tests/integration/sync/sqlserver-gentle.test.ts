import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/core/config/load.js';
import { createLogger } from '../../../src/core/logger.js';
import { SnapshotStore } from '../../../src/core/snapshot/store.js';
import { extract } from '../../../src/core/sync/extract.js';
import { VIEW_COLUMNS } from '../../../src/emulators/sqlserver/data/views.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';

/**
 * Gentle on the ERP: the extract reads ahead while it writes pages to DynamoDB, so the server is
 * paused only when the writer falls `readAheadPages` pages behind; measured on 10,000 rows.
 */
const ROWS = 10_000;

function config(database: Record<string, unknown>): unknown {
  const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
  raw.companies = { ITALCOL: { database: { ...raw.companies.ITALCOL.database, ...database } } };
  return raw;
}

describe('the extract keeps the ERP waiting as little as possible', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-gentle-'));
  let env: LocalEnvironment;

  async function run(database: Record<string, unknown>, runId: string, writeDelayMs = 0) {
    const file = path.join(dir, `${runId}.json`);
    writeFileSync(file, JSON.stringify(config(database)));
    process.env.SYNC_CONFIG_PATH = file;
    const lines: Array<Record<string, unknown>> = [];
    const base = env.app;
    // A store whose page writes take writeDelayMs, as DynamoDB's do in AWS (dynalite is faster).
    const store = Object.create(base.store) as typeof base.store;
    store.putStage = async (...args: Parameters<typeof base.store.putStage>) => {
      await new Promise((resolve) => setTimeout(resolve, writeDelayMs));
      return base.store.putStage(...args);
    };
    env.sqlserver?.resetStats();
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    const log = createLogger({}, (line) => lines.push(JSON.parse(line)));
    const app = base.with({ config: loadConfig(file), store, log });
    try {
      const result = await extract(app, { runId, company: 'ITALCOL', entity: 'terceros', mode: 'full' });
      const server = env.sqlserver?.stats();
      return { result, line: lines.find((l) => l.message === 'extracted') ?? {}, server };
    } finally {
      process.env.LOG_LEVEL = previous;
      // Each call is a run of its own: it gives its lease back, as the run's Report step does.
      await new SnapshotStore(base.store.table).release('ITALCOL', 'terceros', runId);
    }
  }

  beforeAll(async () => {
    env = await startLocalEnvironment({
      config: loadConfig('config/sync.config.json'),
      dataDir: dir,
      sizes: { ITALCOL: { terceros: ROWS, sucursales: 1, acuerdos: 1 } },
    });
  }, 180000);

  afterAll(async () => {
    await env?.stop();
    delete process.env.SYNC_CONFIG_PATH;
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every row under READ UNCOMMITTED, and measures how long the server waited for the extract', async () => {
    const runs = {
      pausePerPage: await run({ readAheadPages: 1 }, 'run-gentle-1', 60),
      readAhead2: await run({ readAheadPages: 2 }, 'run-gentle-2', 60),
      readUncommitted: await run(
        { isolationLevel: 'READ_UNCOMMITTED', readAheadPages: 2 },
        'run-gentle-3',
        60,
      ),
    };
    for (const r of Object.values(runs)) {
      expect(r.result.pages).toHaveLength(Math.ceil(r.result.rows / 1000));
      expect(r.result.rows).toBeGreaterThanOrEqual(ROWS);
      // Every row the server sent reached a staged page, besides the describe's one row per view
      // column and mssql's `SELECT 1` check of each connection it hands out (describe, stream).
      expect(r.server?.rowsSent).toBe(r.result.rows + VIEW_COLUMNS.terceros_view.length + 2);
    }
    if (process.env.REPORT_PAUSES) {
      const report = Object.entries(runs).map(([name, r]) => ({
        name,
        rows: r.result.rows,
        serverWaits: r.server?.clientWaits,
        longestServerWaitMs: r.server?.longestClientWaitMs,
        clientPauses: r.line.serverPauses,
        longestClientPauseMs: r.line.longestServerPauseMs,
      }));
      console.log(JSON.stringify(report));
    }
    // Pausing at every page stops the stream once per page written.
    expect(Number(runs.pausePerPage.line.serverPauses)).toBeGreaterThanOrEqual(
      runs.pausePerPage.result.pages.length - 1,
    );
  }, 180000);
});
