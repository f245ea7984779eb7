import type { LocalRunResult } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { bucketsAddUp, SIZES, startWorld, type TestWorld } from './helpers.js';

const ROWS = Object.values(SIZES).reduce((n, c) => n + c.terceros + c.sucursales + c.acuerdos, 0);

/** Upsert rounds that returned done: false (progress made, records left pending) and were looped. */
const loopedRounds = (events: TaskEvent[]) =>
  events.filter(
    (e) =>
      e.type === 'TaskSucceeded' &&
      e.stateName === 'Upsert' &&
      (e.output as { done?: boolean }).done === false,
  );

/** Every row in exactly one bucket, none failed or skipped: what the run did is all Salesforce's yes. */
function converged(result: LocalRunResult, written: 'created' | 'updated'): void {
  expect(result.status).toBe('SUCCEEDED');
  const t = result.summary?.totals;
  expect({ extracted: t?.extracted, failed: t?.failed, skipped: t?.skipped }).toEqual({
    extracted: ROWS,
    failed: 0,
    skipped: 0,
  });
  // The demo data holds rows the mapping rejects by design; every other row was written.
  expect((t?.[written] ?? 0) + (t?.rejected ?? 0)).toBe(ROWS);
  expect(t?.rejected).toBeGreaterThan(0);
  bucketsAddUp(result.summary);
}

/** A bad night: sustained Salesforce faults; each round that makes progress is looped, not retried. */
describe('the sync workflow through a bad night', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
  }, 60000);
  afterAll(async () => {
    await world?.stop();
  });
  afterEach(() => {
    world.env.salesforce?.setFaults({});
  });

  it('converges in one execution, run after run, with 20% 503s, 5% locked rows and a session expiry every 50 calls', async () => {
    world.env.salesforce?.setFaults({
      seed: 7,
      unavailableShare: 0.2,
      lockRowShare: 0.05,
      expireSessionAfterCalls: 50,
    });
    const first = await world.run({});
    converged(first, 'created');
    const looped = loopedRounds(first.events);
    expect(looped.length).toBeGreaterThan(0);
    for (const e of looped) expect((e.output as { progress: number }).progress).toBeGreaterThan(0);
    // Full runs send every row again: enough calls for sessions to expire under the same faults.
    let authCalls = first.salesforce.authCalls;
    for (const seed of [8, 9]) {
      world.env.salesforce?.setFaults({
        seed,
        unavailableShare: 0.2,
        lockRowShare: 0.05,
        expireSessionAfterCalls: 50,
      });
      const full = await world.run({ mode: 'full' });
      converged(full, 'updated');
      expect(full.summary?.totals.created).toBe(0);
      authCalls += full.salesforce.authCalls;
    }
    expect(authCalls).toBeGreaterThan(1);
    // Without faults, one more run sends nothing.
    world.env.salesforce?.setFaults({});
    const again = await world.run({});
    expect(again.status).toBe('SUCCEEDED');
    expect(again.salesforce.dataCalls).toBe(0);
    expect((again.summary?.totals.unchanged ?? 0) + (again.summary?.totals.rejected ?? 0)).toBe(ROWS);
  }, 300000);
});
