import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createSyncApp, type SyncApp } from '../../../src/core/app.js';
import { SnapshotStore } from '../../../src/core/snapshot/store.js';
import { upsert } from '../../../src/core/sync/upsert.js';
import { changeRows } from '../../../src/emulators/sqlserver/index.js';
import type { LambdaHandler } from '../../../src/local/stepfunctions.js';
import { bucketsAddUp, failuresOf, startWorld, type TestWorld } from './helpers.js';

/**
 * Issue 10 through the real definition, handlers, emulators and dynalite: Extract diffs each view
 * with the snapshot of what Salesforce acknowledged, so an unchanged entity costs no Transform, no
 * Upsert and no Salesforce call; keys that leave the view are removed as the config says, behind
 * the mass-deletion guard; a killed Upsert leaves the snapshot so the next run sends exactly what
 * was not acknowledged; two executions never sync one entity at once.
 */
describe('work in proportion to what changed', () => {
  let world: TestWorld;
  const savedPath = process.env.SYNC_CONFIG_PATH;
  // biome-ignore lint/suspicious/noExplicitAny: the config file is free-form JSON here
  const useConfig = (edit: (raw: Record<string, any>) => void) => {
    const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
    edit(raw);
    const file = path.join(world.dir, `sync.config.${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(raw));
    process.env.SYNC_CONFIG_PATH = file;
  };
  /** An app as a Lambda would build it from the environment now, closed after `work`. */
  const withApp = async <T>(work: (app: SyncApp) => Promise<T>): Promise<T> => {
    const app = createSyncApp();
    try {
      return await work(app);
    } finally {
      await app.close();
    }
  };
  const records = (object: string, company: string) =>
    withApp(async (app) => {
      const sf = await app.salesforceClient(1);
      const all = await sf.query<{ Id: string; ti_external_id__c: string; ti_activo__c?: boolean }>(
        `SELECT Id, ti_external_id__c, ti_activo__c FROM ${object}`,
      );
      return all.filter((r) => r.ti_external_id__c?.toUpperCase().startsWith(`${company}-`));
    });
  const tasks = (events: Array<{ type: string; functionName: string; input: unknown }>, fn: string) =>
    events.filter(
      (e) =>
        e.type === 'TaskStarted' &&
        e.functionName === fn &&
        (e.input as { operation?: string }).operation !== 'remove',
    );

  beforeAll(async () => {
    world = await startWorld();
    useConfig((raw) => {
      raw.entities.acuerdos.onDelete = 'delete';
      raw.entities.sucursales.onDelete = { deactivate: { field: 'ti_activo__c', value: false } };
    });
  }, 120000);
  afterAll(async () => {
    if (savedPath === undefined) delete process.env.SYNC_CONFIG_PATH;
    else process.env.SYNC_CONFIG_PATH = savedPath;
    await world?.stop();
  });

  it('an unchanged rerun stages nothing: no Transform, no Upsert, no Salesforce data call', async () => {
    const first = await world.run({});
    expect(first.status).toBe('SUCCEEDED');
    bucketsAddUp(first.summary);
    const again = await world.run({});
    expect(again.status).toBe('SUCCEEDED');
    expect(tasks(again.events, 'transform')).toEqual([]);
    expect(tasks(again.events, 'upsert')).toEqual([]);
    expect(again.salesforce.dataCalls).toBe(0);
    const t = again.summary?.totals;
    expect(t?.created).toBe(0);
    expect(t?.updated).toBe(0);
    // Rows rejected before and unchanged since are still reported rejected, not sent again.
    expect(t?.rejected).toBe(first.summary?.totals.rejected);
    expect((t?.unchanged ?? 0) + (t?.rejected ?? 0)).toBe(t?.extracted);
    bucketsAddUp(again.summary);
  });

  it('a delta sends only the changed rows: one Transform per page of changes, ⌈changed/200⌉ requests', async () => {
    const changed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      view: 'terceros_view',
      share: 0.2,
      kinds: { updated: 1 },
      seed: 11,
    });
    expect(changed.updated).toBeGreaterThan(5);
    const before = world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert'] ?? 0;
    const result = await world.run({});
    expect(result.status).toBe('SUCCEEDED');
    const terceros = result.summary?.companies.ITALCOL?.entities.terceros;
    // A changed dirty row stays rejected; every other changed row is updated.
    expect(terceros?.updated).toBeGreaterThanOrEqual(changed.updated - 3);
    expect(terceros?.updated).toBeLessThanOrEqual(changed.updated);
    expect(result.summary?.totals.updated).toBe(terceros?.updated);
    expect(result.salesforce.dataCalls).toBe(1);
    expect(world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert']).toBe(before + 1);
    const transforms = tasks(result.events, 'transform').map((e) => {
      const i = e.input as { company: string; entity: string };
      return `${i.company}/${i.entity}`;
    });
    expect(transforms).toEqual(['ITALCOL/terceros']);
    bucketsAddUp(result.summary);
  });

  it('removes what left the view: deletes, deactivates, and counts it as deleted', async () => {
    const acuerdosBefore = await records('ti_acuerdo__c', 'ITALCOL');
    const inactiveBefore = (await records('RetailStore', 'ITALCOL')).filter((r) => r.ti_activo__c === false);
    const gone = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      view: 'acuerdos_view',
      share: 0.08,
      kinds: { deleted: 1 },
      seed: 3,
    });
    const closed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      view: 'sucursales_view',
      share: 0.05,
      kinds: { deleted: 1 },
      seed: 4,
    });
    expect(gone.deleted).toBeGreaterThan(0);
    expect(closed.deleted).toBeGreaterThan(0);
    const result = await world.run({ companies: ['ITALCOL'] });
    expect(result.status).toBe('SUCCEEDED');
    const e = result.summary?.companies.ITALCOL?.entities;
    expect(e?.acuerdos?.deleted).toBe(gone.deleted);
    expect(e?.sucursales?.deleted).toBe(closed.deleted);
    expect(result.summary?.totals.left).toBe(gone.deleted + closed.deleted);
    expect(world.env.salesforce?.counters().byEndpoint['composite.sobjects.delete']).toBe(1);
    expect((await records('ti_acuerdo__c', 'ITALCOL')).length).toBe(acuerdosBefore.length - gone.deleted);
    // Deactivated: the records stay, with the field set; the snapshot keeps their Ids as deleted.
    const { snapshot } = await withApp((app) =>
      new SnapshotStore(app.store.table).load('ITALCOL', 'sucursales'),
    );
    const deactivated = snapshot.entries.filter((x) => x.status === 'deleted');
    expect(deactivated).toHaveLength(closed.deleted);
    const stores = new Map((await records('RetailStore', 'ITALCOL')).map((r) => [r.Id, r]));
    expect(deactivated.map((x) => stores.get(x.sfId ?? '')?.ti_activo__c)).toEqual(
      deactivated.map(() => false),
    );
    expect(inactiveBefore.every((r) => stores.get(r.Id)?.ti_activo__c === false)).toBe(true);
    bucketsAddUp(result.summary);

    // Removed once: the next run has nothing to remove, send or transform.
    const again = await world.run({ companies: ['ITALCOL'] });
    expect(again.summary?.totals.deleted).toBe(0);
    expect(again.salesforce.dataCalls).toBe(0);
    expect(tasks(again.events, 'transform')).toEqual([]);
  });

  it('the guard refuses to remove more than maxDeletePercent; a confirmed run removes them', async () => {
    const beforeIds = (await records('ti_acuerdo__c', 'ITALCOL')).map((r) => r.Id);
    const before = beforeIds.length;
    const gone = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      view: 'acuerdos_view',
      share: 0.2,
      kinds: { deleted: 1 },
      seed: 5,
    });
    expect(gone.deleted / before).toBeGreaterThan(0.1);
    const refused = await world.run({ companies: ['ITALCOL'] });
    expect(refused.status).toBe('COMPLETED_WITH_FAILURES');
    const acuerdos = refused.summary?.companies.ITALCOL?.entities.acuerdos;
    expect(acuerdos?.status).toBe('failed');
    expect(acuerdos?.error).toBe(
      `DeletionGuardError: ITALCOL/acuerdos: the run would remove ${gone.deleted} of ${before} record(s) in Salesforce (${((100 * gone.deleted) / before).toFixed(1)}%), more than maxDeletePercent 10%; nothing was removed. To confirm, run again with {"allowMassDelete": true} (or {"allowMassDelete": ["acuerdos"]}) in the execution input.`,
    );
    expect(acuerdos?.deleted).toBe(0);
    // The other entities went on.
    expect(refused.summary?.companies.ITALCOL?.entities.terceros?.status).toBe('completed');
    // Nothing removed (a row whose repeated key is gone now may have been created: not a removal).
    const kept = new Set((await records('ti_acuerdo__c', 'ITALCOL')).map((r) => r.Id));
    expect(beforeIds.filter((id) => !kept.has(id))).toEqual([]);

    const confirmed = await world.run({ companies: ['ITALCOL'], allowMassDelete: ['acuerdos'] });
    expect(confirmed.status).toBe('SUCCEEDED');
    expect(confirmed.summary?.companies.ITALCOL?.entities.acuerdos?.deleted).toBe(gone.deleted);
    const after = new Set((await records('ti_acuerdo__c', 'ITALCOL')).map((r) => r.Id));
    expect(beforeIds.filter((id) => !after.has(id))).toHaveLength(gone.deleted);
  });

  it('an empty view removes nothing: the guard takes it for a broken view', async () => {
    useConfig((raw) => {
      raw.entities.acuerdos.onDelete = 'delete';
      raw.entities.acuerdos.maxDeletePercent = 100;
      raw.companies.SANTA_REYES.entities = {
        acuerdos: { source: { query: 'SELECT * FROM acuerdos_view WHERE 1 = 0' } },
      };
    });
    const before = (await records('ti_acuerdo__c', 'SANTA_REYES')).length;
    expect(before).toBeGreaterThan(0);
    const result = await world.run({ companies: ['SANTA_REYES'], entities: ['acuerdos'] });
    expect(result.summary?.companies.SANTA_REYES?.entities.acuerdos?.error).toMatch(
      new RegExp(
        `^DeletionGuardError: SANTA_REYES/acuerdos: the view returned no rows while ${before} record`,
      ),
    );
    expect((await records('ti_acuerdo__c', 'SANTA_REYES')).length).toBe(before);
    useConfig((raw) => {
      raw.entities.acuerdos.onDelete = 'delete';
      raw.entities.sucursales.onDelete = { deactivate: { field: 'ti_activo__c', value: false } };
    });
  });

  it('a run killed mid-Upsert leaves the snapshot so the next run sends exactly what was not acknowledged', async () => {
    useConfig((raw) => {
      raw.entities.terceros.batchSize = 5;
      raw.entities.terceros.maxInFlight = 1;
    });
    const changed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'CASABLANCA',
      view: 'terceros_view',
      share: 0.9,
      kinds: { updated: 1 },
      seed: 21,
    });
    expect(changed.updated).toBeGreaterThan(15);
    const K = 2;
    let requests = 0;
    // The Upsert Lambda: K requests answered and acknowledged, then the (K+1)th reaches Salesforce
    // (it commits there) and the process dies before reading the answer.
    const dying: LambdaHandler = async (event) => {
      const task = event as { runId: string; company: string; entity: string; mode: 'delta' | 'full' };
      const app = createSyncApp();
      const real = await app.salesforceClient(1);
      const client = Object.create(real) as typeof real;
      client.upsertCollection = async (...args: Parameters<typeof real.upsertCollection>) => {
        requests += 1;
        const results = await real.upsertCollection(...args);
        if (requests > K)
          throw Object.assign(new Error('Runtime exited with error: signal: killed'), {
            name: 'Runtime.ExitError',
          });
        return results;
      };
      try {
        return await upsert(app, task, { client });
      } finally {
        await app.close();
      }
    };
    const upsertsBefore = world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert'] ?? 0;
    const killed = await world.run(
      { companies: ['CASABLANCA'], entities: ['terceros'] },
      { handlers: { upsert: dying } },
    );
    expect(killed.status).toBe('COMPLETED_WITH_FAILURES');
    expect(requests).toBe(K + 1);
    const acknowledged = K * 5;

    const pages = await withApp((app) => app.store.getPages(killed.runId, 'CASABLANCA', 'terceros'));
    const staged = pages.reduce((n, p) => n + p.toSend, 0);
    expect(staged).toBeGreaterThan(acknowledged + 5);

    const next = await world.run({ companies: ['CASABLANCA'], entities: ['terceros'] });
    expect(next.status).toBe('SUCCEEDED');
    const terceros = next.summary?.companies.CASABLANCA?.entities.terceros;
    // What the killed run staged, less what Salesforce acknowledged before the kill; the request
    // in flight at the kill is sent again (Salesforce answers "updated": it had committed it).
    // (created: rows that were not in Salesforce before, e.g. a dirty row the change made valid.)
    expect((terceros?.updated ?? 0) + (terceros?.created ?? 0)).toBe(staged - acknowledged);
    expect(next.salesforce.dataCalls).toBe(Math.ceil((staged - acknowledged) / 5));
    expect(world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert']).toBe(
      upsertsBefore + K + 1 + next.salesforce.dataCalls,
    );
    useConfig((raw) => {
      raw.entities.acuerdos.onDelete = 'delete';
      raw.entities.sucursales.onDelete = { deactivate: { field: 'ti_activo__c', value: false } };
    });
  });

  it('two overlapping executions never sync one entity at once: the later one skips it, naming the other', async () => {
    const [a, b] = await Promise.all([
      world.run({ companies: ['SANTA_REYES'], mode: 'full' }),
      world.run({ companies: ['SANTA_REYES'], mode: 'full' }),
    ]);
    const terceros = [a, b].map((r) => r.summary?.companies.SANTA_REYES?.entities.terceros);
    const skipped = terceros.filter((t) => t?.status === 'skipped');
    const synced = terceros.filter((t) => t?.status === 'completed');
    expect(skipped).toHaveLength(1);
    expect(synced).toHaveLength(1);
    const other = skipped[0] === terceros[0] ? b.runId : a.runId;
    expect(skipped[0]?.error).toMatch(
      new RegExp(`^another run \\(${other}\\) is syncing SANTA_REYES/terceros`),
    );
    // The lease is given back at the end: a later run syncs the entity again.
    const later = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'] });
    expect(later.summary?.companies.SANTA_REYES?.entities.terceros?.status).toBe('completed');
  });

  it('the snapshot holds every key with its Salesforce Id, compacted after the run', async () => {
    const loaded = await withApp((app) => new SnapshotStore(app.store.table).load('ITALCOL', 'terceros'));
    expect(loaded.journal).toEqual([]);
    const inSalesforce = await records('Account', 'ITALCOL');
    const synced = loaded.snapshot.entries.filter((e) => e.status === 'synced');
    expect(synced.length).toBe(inSalesforce.length);
    expect(new Set(synced.map((e) => e.sfId))).toEqual(new Set(inSalesforce.map((r) => r.Id)));
    const failures = await failuresOf(
      (await world.run({ companies: ['ITALCOL'], entities: ['terceros'] })).runId,
    );
    expect(failures.every((f) => f.bucket === 'rejected')).toBe(true);
  });
});
