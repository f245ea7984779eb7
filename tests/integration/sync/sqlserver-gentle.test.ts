import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, resetConfigCache } from '../../../src/core/config/load.js';
import { createLogger } from '../../../src/core/logger.js';
import { defaultContext, type SyncContext } from '../../../src/core/sync/context.js';
import { extract } from '../../../src/core/sync/extract.js';
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

  async function run(database: Record<string, unknown>, runId: string) {
    const file = path.join(dir, `${runId}.json`);
    writeFileSync(file, JSON.stringify(config(database)));
    process.env.SYNC_CONFIG_PATH = file;
    resetConfigCache();
    const lines: Array<Record<string, unknown>> = [];
    const base = defaultContext();
    const ctx: SyncContext = {
      config: loadConfig(file),
      store: base.store,
      log: base.log,
    };
    const previous = process.env.LOG_LEVEL;
    process.env.LOG_LEVEL = 'info';
    ctx.log = createLogger({}, (line) => lines.push(JSON.parse(line)));
    try {
      const result = await extract(ctx, { runId, company: 'ITALCOL', entity: 'terceros', mode: 'full' });
      return { result, line: lines.find((l) => l.message === 'extracted') ?? {} };
    } finally {
      process.env.LOG_LEVEL = previous;
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
    resetConfigCache();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads every row under READ UNCOMMITTED, and reports how long the server was kept waiting', async () => {
    const ahead = await run({ isolationLevel: 'READ_UNCOMMITTED', readAheadPages: 2 }, 'run-gentle-ahead');
    const strict = await run({ readAheadPages: 1 }, 'run-gentle-strict');
    for (const r of [ahead, strict]) {
      expect(r.result.rows).toBeGreaterThanOrEqual(ROWS);
      expect(r.result.pages).toHaveLength(Math.ceil(r.result.rows / 1000));
    }
    if (process.env.REPORT_PAUSES) {
      console.log(
        JSON.stringify({
          readAhead2: ahead.line,
          readAhead1: strict.line,
        }),
      );
    }
    // Pausing at every page (read-ahead 1) stops the server once per page; reading ahead stops it less often.
    expect(Number(strict.line.serverPauses)).toBeGreaterThanOrEqual(ahead.result.pages.length - 1);
    expect(Number(ahead.line.serverPauses)).toBeLessThanOrEqual(Number(strict.line.serverPauses));
  }, 180000);
});
