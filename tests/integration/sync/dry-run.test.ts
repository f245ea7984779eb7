import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../../src/cli/main.js';
import type { SyncApp } from '../../../src/core/app.js';
import { parentMappings } from '../../../src/core/sync/dry-run.js';
import type { RunSummary } from '../../../src/core/sync/report.js';
import type { OutRecord } from '../../../src/core/sync/transform.js';
import { changeRows } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, startWorld, type TestWorld } from './helpers.js';

const COMPANIES = ['ITALCOL', 'CASABLANCA', 'SANTA_REYES'];
const ENTITIES = ['terceros', 'sucursales', 'acuerdos'];

/** Every snapshot item the store holds (head, chunks, journal: their keys and bytes), as one comparable list. */
async function mappings(app: SyncApp): Promise<string[]> {
  const { table } = app.store;
  const out: string[] = [];
  for (const c of COMPANIES)
    for (const e of ENTITIES)
      for (const item of await table.query(`SNAP#${c}#${e}`)) {
        if (item.sk?.S === 'LEASE') continue; // the run's lease: taken and given back by dry runs too
        const data = item.data?.B ? Buffer.from(item.data.B).toString('base64') : '';
        out.push([c, e, item.sk?.S, item.version?.S, item.journalUpTo?.S, data].join('|'));
      }
  return out.sort();
}

/** Per company and entity: what a run did (or would do), bucket by bucket. */
function buckets(s: RunSummary | undefined) {
  return Object.fromEntries(
    Object.entries(s?.companies ?? {}).flatMap(([c, co]) =>
      Object.entries(co.entities).map(([e, x]) => [
        `${c}/${e}`,
        [x.extracted, x.created, x.updated, x.unchanged, x.rejected, x.failed, x.skipped],
      ]),
    ),
  );
}

/** Requests Salesforce received other than for a token. */
function dataRequests(byEndpoint: Record<string, number> | undefined): Record<string, number> {
  return Object.fromEntries(
    Object.entries(byEndpoint ?? {}).filter(([k, n]) => k !== 'oauth.token' && n > 0),
  );
}

describe('dry runs', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
    const first = await world.run({});
    expect(first.status).toBe('SUCCEEDED');
  }, 180000);
  afterAll(async () => {
    await world?.stop();
  });

  it('writes nothing, leaves the mappings as they were, and a real run then does exactly what it announced', async () => {
    const changed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      share: 0.2,
      seed: 5,
    });
    expect(changed.updated).toBeGreaterThan(0);
    const before = await mappings(world.env.app);
    world.env.salesforce?.resetCounters();

    const dry = await world.run({ dryRun: true });
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.summary?.dryRun).toBe(true);
    bucketsAddUp(dry.summary);
    expect(dry.salesforce.dataCalls).toBe(0);
    expect(dataRequests(world.env.salesforce?.counters().byEndpoint)).toEqual({});
    expect(await mappings(world.env.app)).toEqual(before);

    const terceros = dry.summary?.companies.ITALCOL?.entities.terceros;
    expect(terceros?.updated).toBeGreaterThan(0);
    expect(terceros?.created).toBeGreaterThan(0);
    expect(terceros?.preview).toHaveLength(5);
    for (const r of terceros?.preview ?? []) {
      expect(r.operation === 'create' || r.operation === 'update').toBe(true);
      expect(typeof r.payload.Name).toBe('string');
    }
    // Nothing changed in the other companies: nothing to send, nothing to preview.
    expect(dry.summary?.companies.CASABLANCA?.entities.terceros?.preview).toEqual([]);

    // The terceros it would create count as present parents for the dry run's later waves only.
    const { store } = world.env.app;
    const pages = await store.getPages(dry.runId, 'ITALCOL', 'terceros');
    const staged = (
      await Promise.all(
        pages
          .filter((p) => p.toSend > 0)
          .map((p) => store.getStage<OutRecord>(dry.runId, 'ITALCOL', 'terceros', 'OUT', p.page)),
      )
    ).flat();
    const creates = staged.filter((r) => !r.sfId).map((r) => r.key);
    expect(creates).toHaveLength(terceros?.created ?? -1);
    const asParents = await parentMappings(store, dry.runId, 'ITALCOL', 'terceros', creates, true);
    expect(creates.map((k) => asParents.get(k)?.status)).toEqual(creates.map(() => 'synced'));
    expect((await parentMappings(store, dry.runId, 'ITALCOL', 'terceros', creates, false)).size).toBe(0);

    const real = await world.run({});
    expect(real.status).toBe('SUCCEEDED');
    expect(real.summary?.dryRun).toBeUndefined();
    expect(buckets(real.summary)).toEqual(buckets(dry.summary));
    expect(await mappings(world.env.app)).not.toEqual(before);
  }, 180000);

  it('with diff reads the would-be updates, 200 a query, and shows the fields that changed', async () => {
    await changeRows({ dataDir: `${world.dir}/sqlserver`, company: 'CASABLANCA', share: 0.2, seed: 9 });
    const before = await mappings(world.env.app);
    world.env.salesforce?.resetCounters();

    const dry = await world.run({ dryRun: true, diff: true, companies: ['CASABLANCA'] });
    expect(dry.status).toBe('SUCCEEDED');
    expect(await mappings(world.env.app)).toEqual(before);
    const entities = dry.summary?.companies.CASABLANCA?.entities ?? {};
    let queries = 0;
    for (const name of ENTITIES) {
      const e = entities[name];
      const updates = e?.updated ?? 0;
      queries += Math.ceil(updates / 200);
      // Every would-be update differs from what Salesforce holds (its hash changed) and is found there.
      expect({
        name,
        compared: e?.diff?.compared,
        differing: e?.diff?.differing,
        missing: e?.diff?.missing,
      }).toEqual({ name, compared: updates, differing: updates, missing: 0 });
    }
    expect(dataRequests(world.env.salesforce?.counters().byEndpoint)).toEqual({ query: queries });

    // changeRows updates telefono, cupo_credito and fecha_modificacion of terceros.
    const terceros = entities.terceros?.diff;
    expect(terceros?.records.length).toBe(Math.min(20, entities.terceros?.updated ?? 0));
    const changedFields = ['Phone', 'ti_cupo_credito__c', 'ti_fecha_modificacion__c'];
    const seen = new Set(terceros?.records.flatMap((r) => r.changes.map((c) => c.field)));
    expect([...seen].sort()).toEqual(changedFields);
    for (const r of terceros?.records ?? []) {
      expect(r.changes.map((c) => c.field)).toContain('ti_fecha_modificacion__c');
      for (const c of r.changes) expect(c.current).not.toEqual(c.next);
    }
  }, 180000);

  it('refuses diff without dryRun, naming the accepted form', async () => {
    const result = await world.run({ diff: true });
    expect(result.status).toBe('FAILED');
    expect(result.error).toContain(
      '"diff": true compares a dry run\'s updates with Salesforce: give it with "dryRun": true.',
    );
  }, 60000);
});

/** main() in this process, its stdout kept. */
async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  const out: string[] = [];
  const o = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk));
    return true;
  });
  const e = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    return { code: await main(args), stdout: out.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('npm start -- --dry-run / --diff', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-dry-cli-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the usual --json summary with "dryRun": true and the buckets it would fill, then a real run fills them', async () => {
    const common = [
      'run',
      '--json',
      '--quiet',
      '--data-dir',
      dir,
      '--demo-rows',
      '20',
      '--company',
      'SANTA_REYES',
    ];
    const first = await cli(common);
    expect(first.code).toBe(0);
    const dry = await cli([...common, '--diff', '--mode', 'full']);
    expect(dry.code).toBe(0);
    const summary = JSON.parse(dry.stdout);
    expect(summary.dryRun).toBe(true);
    // One diff query per entity (fewer than 200 would-be updates each); full mode resends what is there.
    expect(summary.salesforce.dataCalls).toBe(3);
    for (const e of Object.values(
      summary.companies.SANTA_REYES.entities,
    ) as RunSummary['companies'][string]['entities'][string][]) {
      expect(e.created).toBe(0);
      expect(e.diff).toEqual({ compared: e.updated, differing: 0, missing: 0, records: [] });
    }
    const real = JSON.parse((await cli([...common, '--mode', 'full'])).stdout);
    expect(real.dryRun).toBeUndefined();
    expect(real.totals).toEqual(summary.totals);
  }, 180000);

  it('refuses --dry-run beside --input (exit 2)', async () => {
    const out = await cli(['run', '--dry-run', '--input', '{}', '--data-dir', dir]);
    expect(out.code).toBe(2);
  });
});

describe('a dry run before the first sync', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
  }, 180000);
  afterAll(async () => {
    await world?.stop();
  });

  it('counts the children of parents it would create as sent, as the first real run then does', async () => {
    const dry = await world.run({ dryRun: true });
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.salesforce.dataCalls).toBe(0);
    const real = await world.run({});
    expect(real.status).toBe('SUCCEEDED');
    expect(real.summary?.totals.created).toBeGreaterThan(0);
    expect(buckets(dry.summary)).toEqual(buckets(real.summary));
  }, 180000);
});
