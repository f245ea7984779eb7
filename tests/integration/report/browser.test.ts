import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { failuresCommand } from '../../../src/cli/commands/failures.js';
import type { Output } from '../../../src/cli/commands/output.js';
import { summaryJson } from '../../../src/cli/format.js';
import type { SyncApp } from '../../../src/core/app.js';
import { cachedToken } from '../../../src/core/sync/auth.js';
import { FAILURE_COLUMNS } from '../../../src/report/csv.js';
import { saveApiCalls } from '../../../src/report/data.js';
import { writeReport } from '../../../src/report/write.js';
import { startWorld, type TestWorld } from '../sync/helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Someone deletes, in Salesforce, a SANTA_REYES retail store that agreements point at: the sync
 * still believes it is there, so sending those agreements again fails them record by record
 * (INVALID_FIELD: foreign key external ID not found), as Salesforce answers.
 */
async function deleteReferencedStore(app: SyncApp): Promise<string> {
  const { store, config } = app;
  await app.authenticate();
  const token = await cachedToken(store, config);
  const base = `${token?.instanceUrl}/services/data/v${config.raw.salesforce.apiVersion}`;
  const headers = { authorization: `Bearer ${token?.accessToken}` };
  const soql =
    "SELECT ti_sucursal__r.ti_external_id__c FROM ti_acuerdo__c WHERE ti_external_id__c LIKE 'SANTA_REYES-%' AND ti_sucursal__c != null LIMIT 1";
  const found = await fetch(`${base}/query?q=${encodeURIComponent(soql)}`, { headers });
  expect(found.status).toBe(200);
  const body = (await found.json()) as { records: Array<{ ti_sucursal__r: { ti_external_id__c: string } }> };
  const external = body.records[0]?.ti_sucursal__r.ti_external_id__c as string;
  const deleted = await fetch(
    `${base}/sobjects/RetailStore/ti_external_id__c/${encodeURIComponent(external)}`,
    {
      method: 'DELETE',
      headers,
    },
  );
  expect(deleted.status).toBe(204);
  return external;
}

const silent: Output = { stdout: () => undefined, stderr: () => undefined };

interface Watched {
  page: Page;
  requests: string[];
  errors: string[];
}

async function open(context: BrowserContext, file: string): Promise<Watched> {
  const page = await context.newPage();
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  await page.goto(pathToFileURL(file).href);
  return { page, requests, errors };
}

/**
 * A real local run with rejected rows (the demo data's dirty rows) and failed rows (every row
 * locked in Salesforce), its report opened in Debian's headless Chromium and its error file
 * read back with a CSV library.
 */
describe('the run report in a real browser', () => {
  let world: TestWorld;
  let context: BrowserContext;
  let out: string;
  let profile: string;
  let run: Awaited<ReturnType<TestWorld['run']>>;

  beforeAll(async () => {
    out = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-report-'));
    profile = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-chromium-'));
    world = await startWorld();
    expect((await world.run({})).status).toBe('SUCCEEDED');
    await deleteReferencedStore(world.env.app);
    run = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros', 'acuerdos'], mode: 'full' });
    await saveApiCalls(world.env.app.store, run.runId, run.salesforce);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      args: FLAGS,
      headless: true,
    });
  }, 240000);

  afterAll(async () => {
    await context?.close();
    await world?.stop();
    rmSync(profile, { recursive: true, force: true });
    process.stderr.write(`report screenshots kept in ${out}\n`);
  });

  it('had rejected and failed rows to show', () => {
    expect(run.status).toBe('SUCCEEDED');
    expect(run.summary?.totals.rejected).toBeGreaterThan(0);
    expect(run.summary?.totals.failed).toBeGreaterThan(0);
  });

  it('loads with no console errors and no network request, its totals equal the JSON summary, the code filter narrows the list', async () => {
    const file = await writeReport(world.env.app.store, run.runId, path.join(out, `${run.runId}.html`));
    expect(file).toBeDefined();
    const { page, requests, errors } = await open(context, file as string);
    const json = summaryJson(run) as { totals: Record<string, number>; status: string };

    const totals = await page.$$eval('#totals td[data-total]', (cells) =>
      Object.fromEntries(cells.map((c) => [c.getAttribute('data-total'), Number(c.textContent)])),
    );
    expect(totals).toEqual(json.totals);
    expect(await page.textContent('#run-status')).toBe(json.status);
    expect(await page.textContent('[data-api="data"]')).toBe(String(run.salesforce.dataCalls));

    const failures = await world.env.app.store.getFailures(run.runId);
    const rows = page.locator('#failures tr.failure');
    expect(await rows.count()).toBe(failures.length);
    const code = failures.find((f) => f.bucket === 'failed')?.code as string;
    const withCode = failures.filter((f) => f.code === code).length;
    expect(withCode).toBeLessThan(failures.length);
    await page.selectOption('#f-code', code);
    expect(await page.locator('#failures tr.failure:visible').count()).toBe(withCode);
    expect(await page.textContent('#shown')).toBe(String(withCode));
    const codes = await page.$$eval('#failures tr.failure:not([hidden])', (r) =>
      r.map((x) => x.getAttribute('data-code')),
    );
    expect(new Set(codes)).toEqual(new Set([code]));

    await page.fill('#f-text', failures.find((f) => f.code === code)?.key as string);
    expect(await page.textContent('#shown')).toBe('1');

    const shot = path.join(out, 'report.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file as string).href]);
    await page.close();
  }, 60000);

  it('writes an error file that parses back to the run failures', async () => {
    const csv = path.join(out, 'failures.csv');
    const code = await failuresCommand(
      world.env.app.store,
      world.env.app.config,
      { runId: run.runId, csv },
      silent,
    );
    expect(code).toBe(0);
    const bytes = readFileSync(csv);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const records = parse(bytes, { bom: true, columns: true }) as Record<string, string>[];
    const failures = await world.env.app.store.getFailures(run.runId);
    expect(Object.keys(records[0] ?? {})).toEqual([...FAILURE_COLUMNS]);
    const objects: Record<string, string> = {
      terceros: 'Account',
      sucursales: 'RetailStore',
      acuerdos: 'ti_acuerdo__c',
    };
    expect(records).toEqual(
      failures.map((f) => ({
        company: f.company,
        entity: f.entity,
        key: f.key,
        external_id: `${f.company}-${f.key}`,
        object: objects[f.entity],
        operation: 'upsert (ti_external_id__c)',
        bucket: f.bucket,
        error_code: f.code,
        message: f.message,
        fields: (f.fields ?? []).join(';'),
      })),
    );
    expect(new Set(records.map((r) => r.bucket))).toEqual(new Set(['rejected', 'failed']));
  });

  it('shows values from the ERP as text, never as markup', async () => {
    const store = world.env.app.store;
    const hostile = '<script>alert("x")</script><img src="http://127.0.0.1:9/x.png">';
    await store.putFailures(run.runId, 'SANTA_REYES', 'terceros', [
      {
        key: `K${hostile}`,
        bucket: 'rejected',
        code: 'STRING_TOO_LONG',
        message: `Name: ${hostile}`,
        fields: ['Name'],
      },
    ]);
    const file = await writeReport(store, run.runId, path.join(out, 'hostile.html'));
    const { page, requests, errors } = await open(context, file as string);
    await page.fill('#f-text', 'alert');
    expect(await page.textContent('#shown')).toBe('1');
    expect(await page.textContent('#failures tr.failure:not([hidden]) td.key')).toBe(`K${hostile}`);
    expect(await page.locator('#failures img, #failures script').count()).toBe(0);
    expect(errors).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file as string).href]);
    expect(existsSync(file as string)).toBe(true);
    await page.close();
  }, 60000);
});
