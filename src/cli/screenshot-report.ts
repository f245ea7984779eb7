/**
 * Makes the README's screenshot of the run report: a demo run against the local stand-ins in a
 * temp data folder (a first sync, then a day's changes with a retail store deleted in Salesforce,
 * so the report has created, updated, unchanged, rejected and failed rows and a trend), its HTML
 * report, and a PNG of the top of the page taken by Debian's Chromium through playwright-core.
 *
 *   npx tsx src/cli/screenshot-report.ts [--out docs/report.png] [--chromium /usr/bin/chromium] [--keep]
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import type { SyncApp } from '../core/app.js';
import { loadConfig } from '../core/config/load.js';
import { cachedToken } from '../core/sync/auth.js';
import { changeRows } from '../emulators/sqlserver/index.js';
import { startLocalEnvironment } from '../local/environment.js';
import { type LocalRunResult, runSync } from '../local/run.js';
import { saveApiCalls } from '../report/data.js';
import { writeReport } from '../report/write.js';

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];
/** The demo's size: ITALCOL, then half and a quarter of it for the other two companies. */
const SIZES = {
  ITALCOL: { terceros: 200, sucursales: 300, acuerdos: 100 },
  CASABLANCA: { terceros: 100, sucursales: 150, acuerdos: 50 },
  SANTA_REYES: { terceros: 50, sucursales: 75, acuerdos: 25 },
};
const VIEWPORT = { width: 1320, height: 1400 };
/** The README shows the top of the report; the PNG must stay small enough to commit. */
const MAX_BYTES = 400 * 1024;

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Deletes, in Salesforce, a SANTA_REYES retail store that agreements point at: sending them again fails them. */
async function deleteReferencedStore(app: SyncApp): Promise<void> {
  const { store, config } = app;
  await app.authenticate();
  const token = await cachedToken(store, config, app.lookup);
  if (!token) throw new Error('no Salesforce token after authenticate');
  const base = `${token.instanceUrl}/services/data/v${config.raw.salesforce.apiVersion}`;
  const headers = { authorization: `Bearer ${token.accessToken}` };
  const soql =
    "SELECT ti_sucursal__r.ti_external_id__c FROM ti_acuerdo__c WHERE ti_external_id__c LIKE 'SANTA_REYES-%' AND ti_sucursal__c != null LIMIT 1";
  const found = await fetch(`${base}/query?q=${encodeURIComponent(soql)}`, { headers });
  const body = (await found.json()) as { records: Array<{ ti_sucursal__r: { ti_external_id__c: string } }> };
  const external = body.records[0]?.ti_sucursal__r.ti_external_id__c;
  if (!external) throw new Error(`no SANTA_REYES agreement with a retail store (HTTP ${found.status})`);
  const url = `${base}/sobjects/RetailStore/ti_external_id__c/${encodeURIComponent(external)}`;
  const deleted = await fetch(url, { method: 'DELETE', headers });
  if (deleted.status !== 204) throw new Error(`deleting ${external} answered HTTP ${deleted.status}`);
}

async function run(app: SyncApp, input: unknown): Promise<LocalRunResult> {
  const result = await runSync({ input, app });
  await saveApiCalls(app.store, result.runId, result.salesforce);
  const t = result.summary?.totals;
  log(`  ${result.runId}: ${result.status} ${t ? JSON.stringify(t) : ''}`);
  return result;
}

/** The demo runs; answers the HTML report of the last one. */
async function demo(dataDir: string): Promise<string> {
  const env = await startLocalEnvironment({
    config: loadConfig('config/sync.config.json'),
    dataDir,
    sizes: SIZES,
  });
  try {
    log('sf-sync screenshot: first sync of the demo data');
    await run(env.app, {});
    const sqlDir = path.join(dataDir, 'sqlserver');
    await changeRows({ dataDir: sqlDir, company: 'ITALCOL', share: 0.1, seed: 7 });
    await changeRows({
      dataDir: sqlDir,
      company: 'SANTA_REYES',
      view: 'acuerdos_view',
      share: 1,
      kinds: { updated: 1 },
    });
    await deleteReferencedStore(env.app);
    log('sf-sync screenshot: the next day (changed rows; a retail store deleted in Salesforce)');
    const last = await run(env.app, {});
    const file = await writeReport(env.app.store, last.runId, path.join(dataDir, 'report.html'));
    if (!file) throw new Error(`run ${last.runId} has no record to report`);
    return file;
  } finally {
    await env.stop();
  }
}

async function screenshot(html: string, out: string, executablePath: string, profile: string): Promise<void> {
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    args: FLAGS,
    headless: true,
    viewport: VIEWPORT,
  });
  try {
    const page = await context.newPage();
    await page.goto(pathToFileURL(html).href);
    await page.screenshot({ path: out, clip: { x: 0, y: 0, ...VIEWPORT } });
  } finally {
    await context.close();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'docs/report.png' },
      chromium: { type: 'string', default: '/usr/bin/chromium' },
      keep: { type: 'boolean', default: false },
    },
  });
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-screenshot-'));
  try {
    const html = await demo(dataDir);
    const out = path.resolve(values.out as string);
    await screenshot(html, out, values.chromium as string, path.join(dataDir, 'chromium-profile'));
    const bytes = statSync(out).size;
    log(`sf-sync screenshot: ${out} (${Math.round(bytes / 1024)} KB) of ${html}`);
    if (bytes > MAX_BYTES) {
      log(`sf-sync screenshot: the PNG is over ${MAX_BYTES / 1024} KB; make VIEWPORT smaller`);
      return 1;
    }
    return 0;
  } finally {
    if (values.keep) log(`sf-sync screenshot: data kept in ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    setTimeout(() => process.exit(code), 2000).unref();
  },
  (error: unknown) => {
    process.stderr.write(`sf-sync screenshot: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 2000).unref();
  },
);
