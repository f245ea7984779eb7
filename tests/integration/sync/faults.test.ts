import net from 'node:net';
import { changeRows, terceroRow } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, failuresOf, startWorld, type TestWorld } from './helpers.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Outages and expired sessions are retried to success; a dead database fails its company alone. */
describe('the sync workflow under faults', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
    const first = await world.run({});
    expect(first.status).toBe('SUCCEEDED');
  }, 180000);
  afterAll(async () => {
    await world?.stop();
  });

  afterEach(() => {
    world.env.salesforce?.setFaults({});
  });

  it('retries pages through a Salesforce outage on some requests until they succeed', async () => {
    world.env.salesforce?.setFaults({ seed: 11, unavailableShare: 0.3 });
    const result = await world.run({ mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    const retried = result.events.filter(
      (e) => e.type === 'TaskFailed' && e.error?.name === 'SalesforceUnavailableError',
    );
    expect(retried.length).toBeGreaterThan(0);
    expect(result.summary?.totals.failed).toBe(0);
    expect(result.summary?.totals.created).toBe(0);
    bucketsAddUp(result.summary);
  });

  it('sends locked rows again in the next round, and only them', async () => {
    world.env.salesforce?.setFaults({ seed: 5, lockRowShare: 0.2 });
    const result = await world.run({ mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.summary?.totals.failed).toBe(0);
    type Round = { sent: number; progress: number; done: boolean };
    const rounds = new Map<string, Round[]>();
    for (const e of result.events.filter((e) => e.type === 'TaskSucceeded' && e.stateName === 'Upsert')) {
      const { company, entity } = e.input as { company: string; entity: string };
      const list = rounds.get(`${company}/${entity}`) ?? [];
      list.push(e.output as Round);
      rounds.set(`${company}/${entity}`, list);
    }
    // Each round sends exactly what the one before left pending (locked rows), and settles each record once.
    let settled = 0;
    let looped = 0;
    for (const list of rounds.values()) {
      list.forEach((r, n) => {
        const before = list[n - 1];
        if (before) expect(r.sent).toBe(before.sent - before.progress);
        settled += r.progress;
      });
      const last = list[list.length - 1] as Round;
      expect({ done: last.done, left: last.sent - last.progress }).toEqual({ done: true, left: 0 });
      looped += list.length - 1;
    }
    expect(looped).toBeGreaterThan(0);
    expect(settled).toBe(result.summary?.totals.updated);
    // Only a round that settled nothing (its every record locked again) is left to the Retry.
    const retried = result.events.filter((e) => e.type === 'TaskFailed' && e.stateName === 'Upsert');
    for (const e of retried) expect(e.error?.cause).toContain('hit a transient Salesforce error');
    bucketsAddUp(result.summary);
  });

  it('refreshes an expired session once and goes on', async () => {
    world.env.salesforce?.setFaults({ expireSessionAfterCalls: 2 });
    const result = await world.run({ mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    expect(result.salesforce.authCalls).toBeGreaterThan(1);
    expect(result.summary?.totals.failed).toBe(0);
  });

  it('isolates a record Salesforce answers HTTP 500 for every time: it alone fails UNKNOWN_EXCEPTION, not as an outage', async () => {
    const poisoned = terceroRow('SANTA_REYES', 0).nit;
    world.env.salesforce?.setFaults({ unknownExceptionMatch: [`"SANTA_REYES-${poisoned}"`] });
    const result = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'], mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    const terceros = result.summary?.companies.SANTA_REYES?.entities.terceros;
    expect(terceros?.status).toBe('completed');
    expect(terceros?.failed).toBe(1);
    const failed = (await failuresOf(result.runId)).filter((f) => f.bucket === 'failed');
    expect(failed.map((f) => [f.key, f.code])).toEqual([[poisoned, 'UNKNOWN_EXCEPTION']]);
    // Split in halves down to the record (log2 of the batch, two requests a level), never retried as an outage.
    const sent = (terceros?.updated ?? 0) + 1;
    expect(result.salesforce.dataCalls).toBe(1 + 2 * Math.ceil(Math.log2(sent)));
    expect(result.events.filter((e) => e.type === 'TaskFailed' && e.stateName === 'Upsert')).toEqual([]);
    bucketsAddUp(result.summary);
  });

  it('treats HTTP 500 on every request as an outage: the definition retries the step, then fails the entity', async () => {
    world.env.salesforce?.setFaults({ unknownExceptionShare: 1 });
    const result = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'], mode: 'full' });
    expect(result.status).toBe('COMPLETED_WITH_FAILURES');
    const terceros = result.summary?.companies.SANTA_REYES?.entities.terceros;
    expect(terceros?.status).toBe('failed');
    expect(terceros?.error).toContain('kept answering with HTTP 500');
    const attempts = result.events.filter((e) => e.type === 'TaskFailed' && e.stateName === 'Upsert');
    expect(attempts.map((e) => e.error?.name)).toEqual(Array(5).fill('SalesforceUnavailableError'));
    // Per attempt, one batch: the request, its two halves (both fail: once is allowed, two bad
    // records), their four quarters (both fail again: an outage, left pending) = 7 requests.
    expect(result.salesforce.dataCalls).toBe(5 * 7);
    bucketsAddUp(result.summary);
  });

  it('sends rows that failed again on the next run', async () => {
    const changed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'SANTA_REYES',
      view: 'terceros_view',
      share: 0.25,
      kinds: { updated: 1 },
      seed: 3,
    });
    expect(changed.updated).toBeGreaterThan(0);
    world.env.salesforce?.setFaults({ seed: 2, lockRowShare: 1 });
    const failing = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'] });
    expect(failing.status).toBe('COMPLETED_WITH_FAILURES');
    const failed = failing.summary?.companies.SANTA_REYES?.entities.terceros;
    expect(failed?.status).toBe('failed');
    expect(failed?.failed).toBeGreaterThan(0);
    expect(failed?.updated).toBe(0);
    bucketsAddUp(failing.summary);

    world.env.salesforce?.setFaults({});
    const again = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'] });
    expect(again.status).toBe('SUCCEEDED');
    const sent = again.summary?.companies.SANTA_REYES?.entities.terceros;
    expect((sent?.created ?? 0) + (sent?.updated ?? 0)).toBe(failed?.failed);
    expect(sent?.failed).toBe(0);
  });

  it('fails a company whose database is unreachable, skips its children and syncs the others', async () => {
    const saved = process.env.DB_PORT_CASABLANCA;
    // Each local run builds its app (pools included) from the environment as it is then.
    process.env.DB_PORT_CASABLANCA = String(await closedPort());
    try {
      const result = await world.run({ mode: 'full' });
      expect(result.status).toBe('COMPLETED_WITH_FAILURES');
      expect(result.execution.error).toBe('SyncCompletedWithFailures');
      const c = result.summary?.companies;
      expect(c?.CASABLANCA?.status).toBe('failed');
      expect(c?.CASABLANCA?.entities.terceros?.status).toBe('failed');
      expect(c?.CASABLANCA?.entities.terceros?.error).toContain('SourceUnavailableError');
      expect(c?.CASABLANCA?.entities.sucursales?.status).toBe('skipped');
      expect(c?.CASABLANCA?.entities.acuerdos?.status).toBe('skipped');
      expect(c?.ITALCOL?.status).toBe('completed');
      expect(c?.SANTA_REYES?.status).toBe('completed');
      expect(c?.ITALCOL?.entities.acuerdos?.updated).toBeGreaterThan(0);
      const retried = result.events.filter(
        (e) =>
          e.type === 'TaskFailed' && e.stateName === 'Extract' && e.error?.name === 'SourceUnavailableError',
      );
      expect(retried.length).toBe(4); // the first attempt and the three retries of the definition
      bucketsAddUp(result.summary);
    } finally {
      process.env.DB_PORT_CASABLANCA = saved;
    }
  });
});
