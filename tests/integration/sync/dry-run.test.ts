import { defaultContext } from '../../../src/core/sync/context.js';
import type { RunSummary } from '../../../src/core/sync/report.js';
import { changeRows } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, startWorld, type TestWorld } from './helpers.js';

const COMPANIES = ['ITALCOL', 'CASABLANCA', 'SANTA_REYES'];
const ENTITIES = ['terceros', 'sucursales', 'acuerdos'];

/** Every mapping the store holds (content hash, Salesforce Id, status, run), as one comparable list. */
async function mappings(): Promise<string[]> {
  const { table } = defaultContext().store;
  const out: string[] = [];
  for (const c of COMPANIES)
    for (const e of ENTITIES)
      for (const item of await table.query(`MAP#${c}#${e}`))
        out.push(
          [c, e, item.sk?.S, item.hash?.S, item.sfId?.S, item.status?.S, item.runId?.S, item.at?.S].join('|'),
        );
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
    const before = await mappings();
    world.env.salesforce?.resetCounters();

    const dry = await world.run({ dryRun: true });
    expect(dry.status).toBe('SUCCEEDED');
    expect(dry.summary?.dryRun).toBe(true);
    bucketsAddUp(dry.summary);
    expect(dry.salesforce.dataCalls).toBe(0);
    expect(dataRequests(world.env.salesforce?.counters().byEndpoint)).toEqual({});
    expect(await mappings()).toEqual(before);

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

    const real = await world.run({});
    expect(real.status).toBe('SUCCEEDED');
    expect(real.summary?.dryRun).toBeUndefined();
    expect(buckets(real.summary)).toEqual(buckets(dry.summary));
    expect(await mappings()).not.toEqual(before);
  }, 180000);

  it('with diff reads the would-be updates, 200 a query, and shows the fields that changed', async () => {
    await changeRows({ dataDir: `${world.dir}/sqlserver`, company: 'CASABLANCA', share: 0.2, seed: 9 });
    const before = await mappings();
    world.env.salesforce?.resetCounters();

    const dry = await world.run({ dryRun: true, diff: true, companies: ['CASABLANCA'] });
    expect(dry.status).toBe('SUCCEEDED');
    expect(await mappings()).toEqual(before);
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
