import type { SyncConfig } from '../../../src/core/config/load.js';
import { entry } from '../../../src/core/snapshot/entry.js';
import type { RemoveRecord } from '../../../src/core/sync/extract.js';
import { remove } from '../../../src/core/sync/remove.js';
import { FakeSalesforce } from '../fakes/salesforce.js';
import { CO, configWith, entries, failures, RUN, sameTable, type World, world } from './world.js';

const task = {
  runId: RUN,
  company: CO,
  entity: 'terceros',
  mode: 'delta' as const,
  operation: 'remove' as const,
};
const noWait = { random: () => 0 };

const removing = (onDelete: unknown): SyncConfig =>
  configWith((raw) => Object.assign(raw.entities.terceros ?? {}, { onDelete }));

/**
 * `n` Accounts in the org and in the snapshot (synced), whose keys Extract found gone from the
 * view: staged for removal and counted on the entity record, as Extract leaves them.
 */
async function stageRemovals(w: World, org: FakeSalesforce, n: number): Promise<RemoveRecord[]> {
  const records: RemoveRecord[] = Array.from({ length: n }, (_, i) => {
    const key = `K-${i + 1}`;
    const sfId = org.seed(
      'Account',
      { ti_external_id__c: `ITALCOL-${key}`, ti_activo__c: true },
      'ti_external_id__c',
    );
    return { identity: key.toLowerCase(), key, sfId, hash: `h${i + 1}` };
  });
  await w.snapshots.append(
    CO,
    'terceros',
    'earlier',
    records.map((r) =>
      entry({ identity: r.identity, key: r.key, hash: r.hash, status: 'synced', sfId: r.sfId }),
    ),
  );
  await w.store.putStage(RUN, CO, 'terceros', 'DEL', 1, records);
  await w.store.setEntity(RUN, {
    company: CO,
    entity: 'terceros',
    status: 'extracted',
    extracted: 0,
    skipped: 0,
    pages: 0,
    failedPages: 0,
    toRemove: n,
  });
  return records;
}

describe('remove: records whose keys left the view', () => {
  it('deletes by Id 200 a request; deleted entries keep neither Id nor hash; the entity counts them', async () => {
    const w = await world(removing('delete'));
    const org = new FakeSalesforce();
    const records = await stageRemovals(w, org, 450);

    const result = await remove(w.app, task, { client: org.client(), ...noWait });

    expect(result).toEqual({
      done: true,
      sent: 450,
      requests: 3,
      created: 0,
      updated: 0,
      failed: 0,
      progress: 450,
      waitSeconds: 0,
      removed: 450,
    });
    expect(org.requests.map((r) => [r.kind, r.ids.length])).toEqual([
      ['delete', 200],
      ['delete', 200],
      ['delete', 50],
    ]);
    expect(org.requests.flatMap((r) => r.ids)).toEqual(records.map((r) => r.sfId));
    expect(org.records.size).toBe(0);
    const snapshot = await entries(w, 'terceros');
    expect(snapshot.find((e) => e.identity === 'k-1')).toEqual({
      identity: 'k-1',
      key: 'K-1',
      hash: '',
      status: 'deleted',
    });
    expect(snapshot.every((e) => e.status === 'deleted' && e.sfId === undefined)).toBe(true);
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.toRemove, record?.removed, record?.removeFailed]).toEqual([450, 450, 0]);
  });

  it('treats ENTITY_IS_DELETED as removed, counts other refusals failed with their code', async () => {
    const w = await world(removing('delete'));
    const org = new FakeSalesforce();
    const records = await stageRemovals(w, org, 4);
    const [gone, , refused] = records as [RemoveRecord, RemoveRecord, RemoveRecord, RemoveRecord];
    org.records.delete(gone.sfId); // deleted in Salesforce by someone else
    org.reject.set(refused.sfId, {
      statusCode: 'DELETE_FAILED',
      message:
        'Your attempt to delete K-3 could not be completed because it is associated with the following retail stores.',
      fields: [],
    });

    const result = await remove(w.app, task, { client: org.client(), ...noWait });

    expect(result).toMatchObject({ done: true, removed: 3, failed: 1, progress: 4, requests: 1 });
    expect(await failures(w)).toEqual([['K-3', 'failed', 'DELETE_FAILED']]);
    expect((await w.store.getFailures(RUN))[0]?.message).toBe(
      `removing ${refused.sfId}: Your attempt to delete K-3 could not be completed because it is associated with the following retail stores.`,
    );
    expect((await entries(w, 'terceros')).map((e) => [e.identity, e.status])).toEqual([
      ['k-1', 'deleted'],
      ['k-2', 'deleted'],
      ['k-3', 'synced'], // still in Salesforce: the next run tries again
      ['k-4', 'deleted'],
    ]);
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.removed, record?.removeFailed]).toEqual([3, 1]);
  });

  it('deactivates by updating the configured field; the record stays, with its Id', async () => {
    const w = await world(removing({ deactivate: { field: 'ti_activo__c', value: false } }));
    const org = new FakeSalesforce();
    const records = await stageRemovals(w, org, 3);

    const result = await remove(w.app, task, { client: org.client(), ...noWait });

    expect(result).toMatchObject({ done: true, removed: 3, failed: 0, requests: 1 });
    expect(org.requests.map((r) => [r.kind, r.ids])).toEqual([['update', records.map((r) => r.sfId)]]);
    expect([...org.records.values()].map((r) => r.fields.ti_activo__c)).toEqual([false, false, false]);
    expect((await entries(w, 'terceros')).map((e) => [e.identity, e.status, e.sfId, e.hash])).toEqual(
      records.map((r) => [r.identity, 'deleted', r.sfId, r.hash]),
    );
  });

  it('a 503 leaves its removals pending; progress is saved per request, so the next round sends only those', async () => {
    const w = await world(
      configWith((raw) => Object.assign(raw.entities.terceros ?? {}, { onDelete: 'delete', maxInFlight: 1 })),
    );
    const org = new FakeSalesforce();
    const records = await stageRemovals(w, org, 450);
    org.faults.set(2, { kind: 'unavailable', retryAfter: 3 });

    const first = await remove(w.app, task, { client: org.client(), ...noWait });

    expect(first).toMatchObject({ done: false, removed: 250, waitSeconds: 3, requests: 3 });
    expect(await w.store.getProgress(RUN, CO, 'terceros', 1, 'DEL')).toBe(
      `${'d'.repeat(200)}${'.'.repeat(200)}${'d'.repeat(50)}`,
    );
    const second = await remove(sameTable(w), task, { client: org.client(), ...noWait });
    expect(org.requests.slice(3).map((r) => r.ids)).toEqual([records.slice(200, 400).map((r) => r.sfId)]);
    expect(second).toMatchObject({ done: true, removed: 200, requests: 1 });
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.removed, record?.removeFailed]).toEqual([450, 0]);
  });

  it('sends nothing when Extract staged no removal, and nothing in a dry run (counted as removed)', async () => {
    const idle = await world(removing('delete'));
    const org = new FakeSalesforce();
    expect(await remove(idle.app, task, { client: org.client() })).toMatchObject({
      done: true,
      removed: 0,
      requests: 0,
    });

    const dry = await world(removing('delete'), { dryRun: true });
    await stageRemovals(dry, org, 5);
    expect(await remove(dry.app, task, { client: org.client() })).toMatchObject({
      done: true,
      removed: 5,
      requests: 0,
    });
    expect(org.requests).toEqual([]);
    expect(org.records.size).toBe(5);
    expect((await entries(dry, 'terceros')).every((e) => e.status === 'synced')).toBe(true);
  });
});
