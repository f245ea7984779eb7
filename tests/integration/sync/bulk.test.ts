import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncApp } from '../../../src/core/app.js';
import { loadConfig } from '../../../src/core/config/load.js';
import type { EntitySummary } from '../../../src/core/sync/report.js';
import type { BulkFaults } from '../../../src/emulators/salesforce/bulk-rules.js';
import { terceroRow } from '../../../src/emulators/sqlserver/index.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { bucketsAddUp, failuresOf } from './helpers.js';

/**
 * Issue 11, item 1, through the real definition, handlers, emulators and dynalite: above an
 * entity's bulkThreshold its staged records travel in Bulk API 2.0 jobs that the state machine
 * waits for (BulkWait → BulkPoll → BulkFinish), below it by sObject Collections; every record's
 * outcome reaches the summary, the failures and the snapshot as on the Collections path.
 */
const SIZES = {
  ITALCOL: { terceros: 300, sucursales: 220, acuerdos: 30 },
  CASABLANCA: { terceros: 60, sucursales: 40, acuerdos: 10 },
  SANTA_REYES: { terceros: 10, sucursales: 10, acuerdos: 5 },
};

describe('Bulk API 2.0 driven by the state machine', () => {
  let env: LocalEnvironment;
  let dir: string;
  const saved = {
    config: process.env.SYNC_CONFIG_PATH,
    part: process.env.SF_SYNC_BULK_PART_BYTES,
    poll: process.env.SF_SYNC_BULK_FIRST_POLL_SECONDS,
  };

  /** The repo's config with a bulkThreshold for each listed entity. */
  const useThresholds = (thresholds: Record<string, number>) => {
    const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
    for (const [entity, n] of Object.entries(thresholds)) raw.entities[entity].bulkThreshold = n;
    const file = path.join(dir, `sync.config.${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(raw));
    process.env.SYNC_CONFIG_PATH = file;
  };
  const setEnv = (name: string, value: string | undefined) => {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  };
  const sf = () => env.salesforce as NonNullable<LocalEnvironment['salesforce']>;
  const calls = () => ({ ...sf().counters().byEndpoint });
  const delta = (before: Record<string, number>, key: string) => (calls()[key] ?? 0) - (before[key] ?? 0);
  const faults = (f: BulkFaults) => sf().setBulkFaults(f);

  const run = async (input: unknown) => {
    const events: TaskEvent[] = [];
    const result = await runSync({ input, retryIntervalScale: 0.001, onTaskEvent: (e) => events.push(e) });
    return { ...result, events };
  };
  /** The Tasks started for one company's entity, by state name. */
  const started = (events: TaskEvent[], company: string, entity: string) =>
    events
      .filter((e) => e.type === 'TaskStarted')
      .filter((e) => {
        const i = e.input as { company?: string; entity?: string };
        return i.company === company && i.entity === entity;
      })
      .map((e) => e.stateName);
  const entityOf = (r: Awaited<ReturnType<typeof run>>, company: string, entity: string) =>
    r.summary?.companies[company]?.entities[entity] as EntitySummary;
  const sent = (e: EntitySummary) => e.created + e.updated + e.failed;
  const query = async <T>(soql: string): Promise<T[]> => {
    const app = createSyncApp();
    try {
      return await (await app.salesforceClient(1)).query<T>(soql);
    } finally {
      await app.close();
    }
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-bulk-'));
    env = await startLocalEnvironment({
      config: loadConfig('config/sync.config.json'),
      dataDir: dir,
      sizes: SIZES,
    });
    // The Wait state holds SecondsPath seconds locally too: poll at once unless a test says otherwise.
    process.env.SF_SYNC_BULK_FIRST_POLL_SECONDS = '0';
  }, 120000);
  afterAll(async () => {
    setEnv('SYNC_CONFIG_PATH', saved.config);
    setEnv('SF_SYNC_BULK_PART_BYTES', saved.part);
    setEnv('SF_SYNC_BULK_FIRST_POLL_SECONDS', saved.poll);
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(() => {
    faults({});
    delete process.env.SF_SYNC_BULK_PART_BYTES;
    process.env.SF_SYNC_BULK_FIRST_POLL_SECONDS = '0';
  });

  it('above the threshold goes by Bulk in several parts, with parents by external ID; below by Collections', async () => {
    useThresholds({ terceros: 100, sucursales: 100, acuerdos: 10 });
    process.env.SF_SYNC_BULK_PART_BYTES = '16384';
    const before = calls();
    const result = await run({ companies: ['ITALCOL', 'CASABLANCA'] });
    expect(result.status).toBe('SUCCEEDED');
    bucketsAddUp(result.summary);

    // ITALCOL's terceros and sucursales stage more than 100 records, its acuerdos more than 10:
    // Bulk jobs, no Upsert task.
    for (const entity of ['terceros', 'sucursales', 'acuerdos']) {
      const states = started(result.events, 'ITALCOL', entity);
      expect(states).not.toContain('Upsert');
      expect(states.filter((s) => s === 'BulkStart')).toHaveLength(1);
      expect(states.filter((s) => s === 'BulkFinish')).toHaveLength(1);
      expect(entityOf(result, 'ITALCOL', entity).failed).toBe(0);
    }
    expect(sent(entityOf(result, 'ITALCOL', 'terceros'))).toBeGreaterThan(100);
    expect(sent(entityOf(result, 'ITALCOL', 'sucursales'))).toBeGreaterThan(100);
    expect(sent(entityOf(result, 'ITALCOL', 'acuerdos'))).toBeGreaterThan(10);
    const jobs = delta(before, 'bulk.ingest.create');
    // 16 KB parts: each entity's CSV needs several jobs, each uploaded once and closed.
    expect(jobs).toBeGreaterThan(4);
    expect(delta(before, 'bulk.ingest.upload')).toBe(jobs);
    expect(delta(before, 'bulk.ingest.uploadComplete')).toBe(jobs);
    expect(delta(before, 'bulk.ingest.successfulResults')).toBe(jobs);
    expect(delta(before, 'bulk.ingest.failedResults')).toBe(jobs);
    expect(delta(before, 'bulk.ingest.unprocessedRecords')).toBe(jobs);

    // The rest goes by Collections: exactly ⌈sent/200⌉ upserts per entity.
    const collections = [
      ['CASABLANCA', 'terceros'],
      ['CASABLANCA', 'sucursales'],
      ['CASABLANCA', 'acuerdos'],
    ] as const;
    let upserts = 0;
    for (const [company, entity] of collections) {
      expect(started(result.events, company, entity)).not.toContain('BulkStart');
      upserts += Math.ceil(sent(entityOf(result, company, entity)) / 200);
    }
    expect(delta(before, 'composite.sobjects.upsert')).toBe(upserts);

    // Every ITALCOL store created by Bulk points at its account, found by the account's external ID.
    const stores = entityOf(result, 'ITALCOL', 'sucursales');
    expect(stores.created).toBe(sent(stores));
    const accounts = await query<{ Id: string; ti_external_id__c: string }>(
      'SELECT Id, ti_external_id__c FROM Account',
    );
    const accountIds = new Set(
      accounts.filter((a) => a.ti_external_id__c.startsWith('ITALCOL-')).map((a) => a.Id),
    );
    expect(accountIds.size).toBe(entityOf(result, 'ITALCOL', 'terceros').created);
    const retail = (
      await query<{ AccountId: string; ti_external_id__c: string }>(
        'SELECT AccountId, ti_external_id__c FROM RetailStore',
      )
    ).filter((r) => r.ti_external_id__c.startsWith('ITALCOL-'));
    expect(retail).toHaveLength(stores.created);
    expect(retail.filter((r) => !accountIds.has(r.AccountId))).toEqual([]);
    // Agreements: their account always, their store when the row names one (#N/A in the plain column otherwise).
    const storeIds = new Set(
      (
        await query<{ Id: string; ti_external_id__c: string }>(
          'SELECT Id, ti_external_id__c FROM RetailStore',
        )
      )
        .filter((r) => r.ti_external_id__c.startsWith('ITALCOL-'))
        .map((r) => r.Id),
    );
    const agreements = (
      await query<{ ti_cuenta__c: string; ti_sucursal__c: string | null; ti_external_id__c: string }>(
        'SELECT ti_cuenta__c, ti_sucursal__c, ti_external_id__c FROM ti_acuerdo__c',
      )
    ).filter((r) => r.ti_external_id__c.startsWith('ITALCOL-'));
    expect(agreements).toHaveLength(entityOf(result, 'ITALCOL', 'acuerdos').created);
    expect(agreements.filter((a) => !accountIds.has(a.ti_cuenta__c))).toEqual([]);
    expect(agreements.filter((a) => a.ti_sucursal__c !== null && !storeIds.has(a.ti_sucursal__c))).toEqual(
      [],
    );
    expect(agreements.filter((a) => a.ti_sucursal__c === null).length).toBeGreaterThan(0);
    expect(agreements.filter((a) => a.ti_sucursal__c !== null).length).toBeGreaterThan(0);
  }, 180000);

  it('1% of a job failing: those records end failed with Salesforce reason, and the next run retries them', async () => {
    useThresholds({ terceros: 100 });
    faults({
      failShare: 0.01,
      failError: {
        statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Rejected by a validation rule',
        fields: ['Name'],
      },
    });
    const result = await run({ companies: ['ITALCOL'], entities: ['terceros'], mode: 'full' });
    // Failed records are a bucket of a completed entity (as on the Collections path), not a failed run.
    expect(result.status).toBe('SUCCEEDED');
    bucketsAddUp(result.summary);
    const terceros = entityOf(result, 'ITALCOL', 'terceros');
    const failed = Math.floor(sent(terceros) * 0.01);
    expect(failed).toBeGreaterThan(1);
    expect(terceros.failed).toBe(failed);
    expect(terceros.created + terceros.updated).toBe(sent(terceros) - failed);
    const failures = (await failuresOf(result.runId)).filter((f) => f.bucket === 'failed');
    expect(failures).toHaveLength(failed);
    for (const f of failures) {
      expect(f).toMatchObject({
        company: 'ITALCOL',
        entity: 'terceros',
        code: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Rejected by a validation rule',
        fields: ['Name'],
      });
    }

    // The next run (no fault) sends exactly those again: below the threshold, one Collections request.
    faults({});
    const before = calls();
    const again = await run({ companies: ['ITALCOL'], entities: ['terceros'] });
    expect(again.status).toBe('SUCCEEDED');
    const retried = entityOf(again, 'ITALCOL', 'terceros');
    expect(retried.created + retried.updated).toBe(failed);
    expect(retried.failed).toBe(0);
    expect(delta(before, 'composite.sobjects.upsert')).toBe(1);
    expect(delta(before, 'bulk.ingest.create')).toBe(0);
    bucketsAddUp(again.summary);
  }, 180000);

  it('resends unprocessed records in new jobs, at most two rounds more; then they fail with a clear code', async () => {
    useThresholds({ terceros: 100 });
    // 10% left unprocessed by every job: 3 rounds settle them all (⌊n/10⌋, ⌊⌊n/10⌋/10⌋, then 0).
    faults({ unprocessedShare: 0.1 });
    let before = calls();
    const settled = await run({ companies: ['ITALCOL'], entities: ['terceros'], mode: 'full' });
    expect(settled.status).toBe('SUCCEEDED');
    const all = entityOf(settled, 'ITALCOL', 'terceros');
    expect(all.failed).toBe(0);
    expect(all.created + all.updated).toBe(sent(all));
    expect(started(settled.events, 'ITALCOL', 'terceros').filter((s) => s === 'BulkFinish')).toHaveLength(3);
    expect(delta(before, 'bulk.ingest.create')).toBe(3);
    bucketsAddUp(settled.summary);

    // Half left unprocessed by every job: after the third job the rest fail SF_SYNC_BULK_UNPROCESSED.
    faults({ unprocessedShare: 0.5 });
    before = calls();
    const stuck = await run({ companies: ['ITALCOL'], entities: ['terceros'], mode: 'full' });
    expect(stuck.status).toBe('SUCCEEDED');
    const terceros = entityOf(stuck, 'ITALCOL', 'terceros');
    const n = sent(terceros);
    const left = Math.floor(Math.floor(Math.floor(n * 0.5) * 0.5) * 0.5);
    expect(terceros.failed).toBe(left);
    expect(terceros.created + terceros.updated).toBe(n - left);
    expect(delta(before, 'bulk.ingest.create')).toBe(3);
    const failures = (await failuresOf(stuck.runId)).filter((f) => f.bucket === 'failed');
    expect(failures.map((f) => f.code)).toEqual(Array(left).fill('SF_SYNC_BULK_UNPROCESSED'));
    bucketsAddUp(stuck.summary);
  }, 180000);

  it('an aborted job fails its entity only', async () => {
    useThresholds({ terceros: 100 });
    faults({ abortAfterRecords: 100 });
    const result = await run({ companies: ['ITALCOL', 'CASABLANCA'], entities: ['terceros'], mode: 'full' });
    expect(result.status).toBe('COMPLETED_WITH_FAILURES');
    const italcol = entityOf(result, 'ITALCOL', 'terceros');
    expect(italcol.status).toBe('failed');
    expect(italcol.error).toMatch(
      /^BulkJobError: Bulk upsert job \w+ of Account ended Aborted \(\d+ record\(s\) processed\)/,
    );
    const casablanca = entityOf(result, 'CASABLANCA', 'terceros');
    expect(casablanca.status).toBe('completed');
    expect(casablanca.failed).toBe(0);
    expect(casablanca.created + casablanca.updated).toBe(sent(casablanca));
    expect(started(result.events, 'ITALCOL', 'terceros').slice(-2)).toEqual(['BulkPoll', 'EntityFailed']);
    bucketsAddUp(result.summary);
  }, 180000);

  it('hands records a duplicate rule blocked to Collections, which sends them with allowSave', async () => {
    useThresholds({ terceros: 100 });
    // An Account another source holds with the name and city of ITALCOL's tercero 10: the org's
    // duplicate rule alerts on it, and a Bulk job cannot carry the allowSave header.
    const row = terceroRow('ITALCOL', 10);
    const app = createSyncApp();
    try {
      const twin = await (await app.salesforceClient(1)).upsertCollection(
        'Account',
        'ti_external_id__c',
        [{ ti_external_id__c: 'OTRO-ERP-1', Name: row.razon_social, BillingCity: row.ciudad }],
        { duplicateRules: 'allowSave' },
      );
      expect(twin[0]?.success).toBe(true);
    } finally {
      await app.close();
    }
    const before = calls();
    const result = await run({ companies: ['ITALCOL'], entities: ['terceros'], mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    const terceros = entityOf(result, 'ITALCOL', 'terceros');
    expect(terceros.failed).toBe(0);
    const states = started(result.events, 'ITALCOL', 'terceros');
    expect(states.slice(states.indexOf('BulkFinish'))).toEqual(['BulkFinish', 'Upsert']);
    expect(delta(before, 'bulk.ingest.create')).toBe(1);
    expect(delta(before, 'composite.sobjects.upsert')).toBe(1);
    const upsert = result.events.find((e) => e.stateName === 'Upsert' && e.type === 'TaskSucceeded');
    expect((upsert?.output as { sent?: number } | undefined)?.sent).toBe(1);
    const twins = await query<{ ti_external_id__c: string }>(
      `SELECT ti_external_id__c FROM Account WHERE BillingCity = '${row.ciudad}' AND Name = '${String(row.razon_social).replace(/'/g, "\\'")}' ORDER BY ti_external_id__c`,
    );
    expect(twins.map((t) => t.ti_external_id__c)).toEqual([`ITALCOL-${row.nit}`, 'OTRO-ERP-1']);
    bucketsAddUp(result.summary);
  }, 180000);

  it('waits for a job through the Wait loop: one poll per Wait until it is done', async () => {
    useThresholds({ terceros: 100 });
    // Waits of 1, 2 then 4 s: by the first poll the job has long finished; the fault shows it
    // InProgress to the first two polls, so exactly three polls and three Waits.
    process.env.SF_SYNC_BULK_FIRST_POLL_SECONDS = '1';
    faults({ inProgressPolls: 2 });
    const before = calls();
    const result = await run({ companies: ['ITALCOL'], entities: ['terceros'], mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    const states = started(result.events, 'ITALCOL', 'terceros');
    expect(states.filter((s) => s.startsWith('Bulk'))).toEqual([
      'BulkStart',
      'BulkPoll',
      'BulkPoll',
      'BulkPoll',
      'BulkFinish',
    ]);
    expect(delta(before, 'bulk.ingest.info')).toBe(3);
    const polls = result.events.filter((e) => e.stateName === 'BulkPoll' && e.type === 'TaskSucceeded');
    expect(polls.map((e) => (e.output as { waitSeconds: number }).waitSeconds)).toEqual([2, 4, 0]);
    bucketsAddUp(result.summary);
  }, 180000);
});
