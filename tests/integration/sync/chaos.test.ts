import {
  ASTRAL,
  bucketSums,
  type ChaosWorld,
  differences,
  hostileRows,
  rng,
  type Snapshot,
  salesforceFaults,
  snapshot,
  sqlCuts,
  startChaosWorld,
} from '../../../bench/chaos.js';
import { SIZES } from './helpers.js';

const HOSTILE = hostileRows();

/**
 * Item 7 of issue 13, the short (CI) version of `npm run chaos`: the demo data plus hostile source
 * values, synced once without faults (the reference) and once through Salesforce faults (503s,
 * row locks, session expiry, lost responses, a sticky 500) and SQL Server connections cut mid-reply.
 * Every row lands in one bucket, the org ends up holding exactly what the fault-free run produced,
 * and one more run sends nothing.
 */
describe('a full local sync through chaos: Salesforce faults, SQL Server cuts, hostile values', () => {
  const uncaught: unknown[] = [];
  const unhandled: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  let world: ChaosWorld | undefined;
  let expected: Snapshot;
  let reference: { extracted: number; rejected: number };

  beforeAll(async () => {
    process.on('uncaughtException', onUncaught);
    process.on('unhandledRejection', onUnhandled);
    const clean = await startChaosWorld(SIZES);
    try {
      const first = await clean.run({});
      expect(first.status).toBe('SUCCEEDED');
      expect(first.summary?.totals.failed).toBe(0);
      const italcol = first.summary?.companies.ITALCOL?.entities;
      // Every hostile row was read (none lost or doubled by the driver or the emulator).
      expect({
        terceros: italcol?.terceros?.extracted,
        sucursales: italcol?.sucursales?.extracted,
        acuerdos: italcol?.acuerdos?.extracted,
      }).toEqual({
        terceros: SIZES.ITALCOL.terceros + HOSTILE.terceros_view.length,
        sucursales: SIZES.ITALCOL.sucursales + HOSTILE.sucursales_view.length,
        acuerdos: SIZES.ITALCOL.acuerdos + HOSTILE.acuerdos_view.length,
      });
      reference = {
        extracted: first.summary?.totals.extracted ?? -1,
        rejected: first.summary?.totals.rejected ?? -1,
      };
      const again = await clean.run({});
      expect(again.salesforce.dataCalls).toBe(0);
      expected = await snapshot(clean.env, clean.config);
    } finally {
      await clean.stop();
    }
  }, 120000);

  afterAll(async () => {
    await world?.stop();
    process.off('uncaughtException', onUncaught);
    process.off('unhandledRejection', onUnhandled);
  });

  it('keeps astral, SQL- and HTML-looking text exact, and rejects numbers Salesforce cannot store', async () => {
    const accounts = expected.terceros ?? {};
    expect(accounts['ITALCOL-CH-EMOJI-1']?.Name).toBe(ASTRAL);
    expect(accounts['ITALCOL-CH-SQL-1']?.Name).toBe("Robert'); DROP TABLE terceros;--");
    expect(accounts['ITALCOL-CH-HTML-1']?.Name).toBe('<script>alert("x")</script>&amp;<b>bold</b>');
    expect(accounts['ITALCOL-CH-NUM-TINY']?.ti_cupo_credito__c).toBe(0.01);
    // 9999999999999999.99 arrives in Salesforce as the double 1e16: rejected before sending.
    expect(accounts['ITALCOL-CH-NUM-MAX']).toBeUndefined();
    expect(accounts['ITALCOL-CH-NUM-MIN']).toBeUndefined();
  });

  it('ends in one bucket per row, the fault-free org, and nothing left to send', async () => {
    world = await startChaosWorld(SIZES);
    const sf = world.env.salesforce;
    const sql = world.env.sqlserver;
    if (!sf || !sql) throw new Error('no emulators');
    sf.setFaults(salesforceFaults(13));
    const cuts = sqlCuts(rng(7), 6000);
    sql.setFaults(cuts);
    const stormy = await world.run({});
    const fired =
      cuts.reduce((n, f) => n + (f.times ?? 1), 0) -
      sql.pendingFaults().reduce((n, f) => n + (f.times ?? 1), 0);
    sf.setFaults({});
    sql.setFaults([]);

    // One bucket per extracted row, every row extracted despite the cuts, each cut retried.
    expect(bucketSums(stormy.summary).filter((b) => b.sum !== b.extracted)).toEqual([]);
    expect(stormy.summary?.totals.extracted).toBe(reference.extracted);
    const retriedExtracts = stormy.events.filter(
      (e) =>
        e.type === 'TaskFailed' && e.stateName === 'Extract' && e.error?.name === 'SourceUnavailableError',
    );
    expect(retriedExtracts.length).toBe(fired);
    expect(fired).toBeGreaterThan(0);
    // Salesforce's faults were met (rounds looped or retried), and only the sticky-500 record failed:
    // alone, with Salesforce's code, its two children rejected for it, no entity failed.
    const upserts = stormy.events.filter((e) => e.stateName === 'Upsert' && e.type !== 'TaskStarted');
    expect(upserts.length).toBeGreaterThan(9);
    const failed = (await world.env.app.store.getFailures(stormy.runId)).filter((f) => f.bucket === 'failed');
    expect(failed.map((f) => ({ company: f.company, entity: f.entity, key: f.key, code: f.code }))).toEqual([
      { company: 'ITALCOL', entity: 'terceros', key: 'CH-STICKY-1', code: 'UNKNOWN_EXCEPTION' },
    ]);
    expect(stormy.summary?.totals.rejected).toBe(reference.rejected + 2);
    const statuses = Object.values(stormy.summary?.companies ?? {}).flatMap((c) =>
      Object.values(c.entities).map((e) => e.status),
    );
    expect(new Set(statuses)).toEqual(new Set(['completed']));

    // Once the sticky 500 is gone, a run converges to exactly what the fault-free run holds.
    const calm = await world.run({});
    expect({
      status: calm.status,
      failed: calm.summary?.totals.failed,
      rejected: calm.summary?.totals.rejected,
    }).toEqual({
      status: 'SUCCEEDED',
      failed: 0,
      rejected: reference.rejected,
    });
    expect(differences(expected, await snapshot(world.env, world.config))).toEqual([]);

    const last = await world.run({});
    expect(last.salesforce.dataCalls).toBe(0);
    expect(last.summary?.totals.failed).toBe(0);
    expect({ uncaught, unhandled }).toEqual({ uncaught: [], unhandled: [] });
  }, 120000);
});
