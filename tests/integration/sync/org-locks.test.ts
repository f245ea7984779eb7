import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/core/config/load.js';
import { nitForIndex } from '../../../src/emulators/sqlserver/index.js';
import { startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { bucketsAddUp, SIZES } from './helpers.js';

async function world(
  sizes: Parameters<typeof startLocalEnvironment>[0]['sizes'],
  salesforceOptions: Parameters<typeof startLocalEnvironment>[0]['salesforceOptions'] = {},
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-locks-'));
  const env = await startLocalEnvironment({
    config: loadConfig('config/sync.config.json'),
    dataDir: dir,
    sizes,
    salesforceOptions,
  });
  return {
    env,
    async stop() {
      await env.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function run(input: unknown, retryIntervalScale = 0.001, onTaskEvent?: (e: TaskEvent) => void) {
  const events: TaskEvent[] = [];
  const result = await runSync({
    input,
    retryIntervalScale,
    onTaskEvent: (e) => {
      events.push(e);
      onTaskEvent?.(e);
    },
  });
  return { ...result, events };
}

const upsertFailures = (events: TaskEvent[]) =>
  events.filter((e) => e.type === 'TaskFailed' && e.stateName === 'Upsert');

/**
 * Salesforce locks a child's parent for the whole request that writes the child; two requests
 * in flight with children of one parent collide (UNABLE_TO_LOCK_ROW). The emulator models that
 * lock deterministically and counts the records that lost (`lockConflicts`).
 */
describe('parent row locks', () => {
  describe('at the default concurrency, on data with many children per parent, where any overlap on a parent conflicts', () => {
    const sizes = {
      ITALCOL: { terceros: 300, sucursales: 1500, acuerdos: 900 },
      CASABLANCA: { terceros: 40, sucursales: 60, acuerdos: 30 },
      SANTA_REYES: { terceros: 20, sucursales: 25, acuerdos: 12 },
    };
    let w: Awaited<ReturnType<typeof world>>;
    beforeAll(async () => {
      // A write holds its parents 40 ms; a waiter gives up after 5 ms: two requests in flight
      // with a parent in common always collide, whatever the machine's load.
      w = await world(sizes, { lockHoldMs: 40, lockWaitMs: 5 });
    }, 120000);
    afterAll(async () => {
      await w?.stop();
    });

    it('sends one parent’s children together and never two requests on one parent at once: 0 lock conflicts', async () => {
      const result = await run({});
      expect(result.status).toBe('SUCCEEDED');
      expect(w.env.salesforce?.counters().lockConflicts).toBe(0);
      expect(upsertFailures(result.events)).toEqual([]);
      expect(result.summary?.totals.failed).toBe(0);
      // Grouping by parent keeps 200 records a request: ceil(sent / 200) per company and entity.
      let requests = 0;
      for (const company of Object.values(result.summary?.companies ?? {}))
        for (const e of Object.values(company.entities)) requests += Math.ceil((e.created + e.updated) / 200);
      expect(result.salesforce.dataCalls).toBe(requests);
      bucketsAddUp(result.summary);
    }, 180000);
  });

  describe('when another writer holds the parents', () => {
    let w: Awaited<ReturnType<typeof world>>;
    beforeAll(async () => {
      // Every write request holds its parents 150 ms; a waiter gives up after 20 ms.
      w = await world(SIZES, { lockHoldMs: 150, lockWaitMs: 20 });
      const first = await run({ entities: ['terceros'] });
      expect(first.status).toBe('SUCCEEDED');
    }, 120000);
    afterAll(async () => {
      await w?.stop();
    });

    it('retries the locked records to success through the definition’s Retry', async () => {
      const other = await w.env.app.salesforceClient(1);
      let outside: Promise<unknown> | undefined;
      const nits = Array.from({ length: SIZES.ITALCOL.terceros }, (_, i) => nitForIndex('ITALCOL', i));
      const result = await run({ companies: ['ITALCOL'], entities: ['sucursales'] }, 0.05, (e) => {
        if (e.type !== 'TaskStarted' || e.stateName !== 'Upsert' || outside) return;
        // Another integration writes a store under every ITALCOL account just as ours starts.
        outside = other.upsertCollection(
          'RetailStore',
          'ti_external_id__c',
          nits.map((nit, i) => ({
            ti_external_id__c: `OTRO-${i}`,
            Name: `Otro ${i}`,
            Account: { ti_external_id__c: `ITALCOL-${nit}` },
          })),
        );
      });
      const outsideResults = (await outside) as Array<{ success: boolean }>;
      expect(outsideResults.filter((r) => r.success).length).toBeGreaterThan(0);
      expect(w.env.salesforce?.counters().lockConflicts).toBeGreaterThan(0);
      const retried = upsertFailures(result.events);
      expect(retried.length).toBeGreaterThan(0);
      expect(retried.every((e) => e.error?.name === 'SalesforceUnavailableError')).toBe(true);
      expect(result.status).toBe('SUCCEEDED');
      const sucursales = result.summary?.companies.ITALCOL?.entities.sucursales;
      expect(sucursales?.failed).toBe(0);
      expect(sucursales?.created).toBe(SIZES.ITALCOL.sucursales - (sucursales?.rejected ?? 0));
    }, 120000);
  });
});
