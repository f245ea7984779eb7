import { SalesforceUnavailableError } from '../../../src/core/errors.js';
import type { OutRecord } from '../../../src/core/sync/transform.js';
import { upsert } from '../../../src/core/sync/upsert.js';
import { FakeSalesforce } from '../fakes/salesforce.js';
import { CO, configWith, entries, failures, itemKeys, RUN, sameTable, type World, world } from './world.js';

const task = { runId: RUN, company: CO, entity: 'terceros', mode: 'delta' as const };
const ext = (n: number) => `ITALCOL-${n}`;

/** Stages `sizes` OUT pages of terceros records as Transform does (keys 1..n across pages). */
async function stageOut(w: World, sizes: number[]): Promise<number[]> {
  let n = 0;
  const keys: number[] = [];
  for (const [i, size] of sizes.entries()) {
    const records: OutRecord[] = Array.from({ length: size }, () => {
      n += 1;
      keys.push(n);
      return { key: String(n), identity: String(n), hash: `h${n}`, payload: { Name: `Tercero ${n}` } };
    });
    await w.store.putStage(RUN, CO, 'terceros', 'OUT', i + 1, records);
    await w.store.setPage(RUN, CO, 'terceros', i + 1, { rows: size, toSend: size, status: 'transformed' });
  }
  return keys;
}

const synced = async (w: World) =>
  (await entries(w, 'terceros')).filter((e) => e.status === 'synced').map((e) => e.identity);
const sortedKeys = (ids: string[]) => ids.map((id) => id.replace('ITALCOL-', '')).sort();
const noWait = { random: () => 0 };

describe('upsert: the entity staged changes to Salesforce, 200 a request', () => {
  it('packs 450 records of three pages into 200 + 200 + 50, journals every answer and compacts the snapshot when done', async () => {
    const w = await world();
    await stageOut(w, [150, 150, 150]);
    const org = new FakeSalesforce();
    const existing = org.seed('Account', { ti_external_id__c: 'italcol-7' }, 'ti_external_id__c');

    const result = await upsert(w.app, task, { client: org.client(), ...noWait });

    expect(result).toEqual({
      done: true,
      sent: 450,
      requests: 3,
      created: 449,
      updated: 1,
      failed: 0,
      progress: 450,
      waitSeconds: 0,
    });
    expect(org.requests.map((r) => [r.kind, r.ids.length])).toEqual([
      ['upsert', 200],
      ['upsert', 200],
      ['upsert', 50],
    ]);
    const snapshot = await entries(w, 'terceros');
    expect(snapshot).toHaveLength(450);
    expect(
      snapshot.every((e) => e.status === 'synced' && e.sfId === org.idOf('Account', ext(Number(e.identity)))),
    ).toBe(true);
    expect(snapshot.find((e) => e.identity === '7')).toEqual({
      identity: '7',
      hash: 'h7',
      status: 'synced',
      sfId: existing,
    });
    // Compacted: HEAD and the base's chunks only, no journal item left.
    expect(itemKeys(w.table, `SNAP#${CO}#terceros`, 'J#')).toEqual([]);
    expect((await w.snapshots.head(CO, 'terceros'))?.entries).toBe(450);
    const pages = await w.store.getPages(RUN, CO, 'terceros');
    expect(pages.map((p) => [p.page, p.status, p.created + p.updated])).toEqual([
      [1, 'upserted', 150],
      [2, 'upserted', 150],
      [3, 'upserted', 150],
    ]);
  });

  it('a Lambda killed mid-way leaves exactly the answered records synced; the retry sends only the others', async () => {
    const w = await world();
    const keys = await stageOut(w, [400, 400]);
    const org = new FakeSalesforce();
    org.faults.set(2, { kind: 'kill' });

    await expect(upsert(w.app, task, { client: org.client(), ...noWait })).rejects.toThrow(
      'the Lambda was killed while the request was out',
    );

    const answered = org.requests.filter((r) => r.answered).flatMap((r) => r.ids);
    const killed = org.requests[1]?.ids ?? [];
    expect(killed).toHaveLength(200);
    expect(answered.length).toBeGreaterThanOrEqual(200);
    expect((await synced(w)).sort()).toEqual(sortedKeys(answered));
    expect(killed.some((id) => answered.includes(id))).toBe(false);
    expect(itemKeys(w.table, `SNAP#${CO}#terceros`, 'HEAD')).toEqual([]); // not compacted: not done

    const before = org.requests.length;
    const retry = await upsert(sameTable(w), task, { client: org.client(), ...noWait });

    const resent = org.requests.slice(before).flatMap((r) => r.ids);
    expect(sortedKeys(resent)).toEqual(
      keys
        .map((k) => ext(k))
        .filter((id) => !answered.includes(id))
        .map((id) => id.replace('ITALCOL-', ''))
        .sort(),
    );
    expect(retry.done).toBe(true);
    expect(retry.sent).toBe(800 - answered.length);
    expect((await synced(w)).length).toBe(800);
    expect(org.records.size).toBe(800);
  });

  it('a 503 with Retry-After leaves its request pending for the next round, after the wait Salesforce asked for', async () => {
    const w = await world(
      configWith((raw) => Object.assign(raw.entities.terceros ?? {}, { maxInFlight: 1 })),
    );
    await stageOut(w, [500]);
    const org = new FakeSalesforce();
    org.faults.set(2, { kind: 'unavailable', retryAfter: 7 });

    const first = await upsert(w.app, task, { client: org.client(), ...noWait });

    expect(first).toEqual({
      done: false,
      sent: 300,
      requests: 3,
      created: 300,
      updated: 0,
      failed: 0,
      progress: 300,
      waitSeconds: 7,
    });
    const refused = org.requests[1]?.ids ?? [];
    expect(await w.store.getProgress(RUN, CO, 'terceros', 1)).toBe(
      `${'c'.repeat(200)}${'.'.repeat(200)}${'c'.repeat(100)}`,
    );

    const second = await upsert(sameTable(w), task, { client: org.client(), ...noWait });

    expect(org.requests.slice(3).map((r) => r.ids)).toEqual([refused]);
    expect(second).toMatchObject({ done: true, sent: 200, requests: 1, created: 200 });
    expect((await synced(w)).length).toBe(500);
  });

  it('a round where every request is refused throws SalesforceUnavailableError and journals nothing', async () => {
    const w = await world();
    await stageOut(w, [300]);
    const org = new FakeSalesforce();
    org.faults.set(1, { kind: 'unavailable' });
    org.faults.set(2, { kind: 'unavailable' });

    const error = await upsert(w.app, task, { client: org.client(), ...noWait }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SalesforceUnavailableError);
    expect((error as Error).message).toBe(
      '300 record(s) were in requests Salesforce refused for now (Salesforce upsert Account answered 503 SERVER_UNAVAILABLE: Server temporarily unavailable); the step is retried for them',
    );
    expect(await entries(w, 'terceros')).toEqual([]);
    expect(org.records.size).toBe(0);
  });

  it('UNABLE_TO_LOCK_ROW keeps those records pending; the next round sends exactly them', async () => {
    const w = await world();
    await stageOut(w, [10]);
    const org = new FakeSalesforce();
    org.lockOnce.add('italcol-3');
    org.lockOnce.add('italcol-8');

    const first = await upsert(w.app, task, { client: org.client(), random: () => 0.99 });

    expect(first).toMatchObject({ done: false, created: 8, progress: 8, waitSeconds: 2 });
    expect(await w.store.getProgress(RUN, CO, 'terceros', 1)).toBe('cc.cccc.cc');
    const second = await upsert(sameTable(w), task, { client: org.client(), ...noWait });
    expect(org.requests.map((r) => r.ids.length)).toEqual([10, 2]);
    expect(org.requests[1]?.ids).toEqual(['ITALCOL-3', 'ITALCOL-8']);
    expect(second).toMatchObject({ done: true, created: 2 });
  });

  it('a lost answer leaves its records pending (the upsert may have been committed); resent, they come back updated', async () => {
    const w = await world();
    await stageOut(w, [250]);
    const org = new FakeSalesforce();
    org.faults.set(1, { kind: 'lost' });

    const first = await upsert(w.app, task, { client: org.client(), ...noWait });
    expect(first).toMatchObject({ done: false, sent: 50, created: 50, progress: 50 });
    expect(org.records.size).toBe(250); // Salesforce did commit the lost request
    expect((await synced(w)).length).toBe(50); // but only answers reach the snapshot

    const second = await upsert(sameTable(w), task, { client: org.client(), ...noWait });
    expect(second).toMatchObject({ done: true, sent: 200, created: 0, updated: 200 });
    expect(org.records.size).toBe(250);
    expect((await synced(w)).length).toBe(250);
  });

  it('a record Salesforce refuses fails with its code: snapshot entry failed (retried next run), failure recorded, page counted', async () => {
    const w = await world();
    await stageOut(w, [3]);
    const org = new FakeSalesforce();
    org.reject.set('italcol-2', {
      statusCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
      message: 'NIT inválido',
      fields: ['AccountNumber'],
    });

    const result = await upsert(w.app, task, { client: org.client(), ...noWait });

    expect(result).toMatchObject({ done: true, created: 2, failed: 1, progress: 3 });
    expect((await entries(w, 'terceros')).map((e) => [e.identity, e.status, e.code])).toEqual([
      ['1', 'synced', undefined],
      ['2', 'failed', 'FIELD_CUSTOM_VALIDATION_EXCEPTION'],
      ['3', 'synced', undefined],
    ]);
    expect(await failures(w)).toEqual([['2', 'failed', 'FIELD_CUSTOM_VALIDATION_EXCEPTION']]);
    const page = await w.store.getPage(RUN, CO, 'terceros', 1);
    expect([page?.status, page?.created, page?.failed]).toEqual(['upserted', 2, 1]);
  });

  it('idMap: a create whose answer was lost is not sent again (it may exist): it fails as SF_SYNC_CREATE_RESPONSE_LOST', async () => {
    const idMap = configWith((raw) => {
      const terceros: Record<string, unknown> = raw.entities.terceros ?? {};
      delete terceros.externalIdField;
      terceros.strategy = 'idMap';
    });
    const w = await world(idMap);
    const org = new FakeSalesforce();
    const known = org.seed('Account', { Name: 'Tercero 3' });
    const records: OutRecord[] = [1, 2, 3].map((n) => ({
      key: String(n),
      identity: String(n),
      hash: `h${n}`,
      payload: { Name: `Tercero ${n}` },
      ...(n === 3 ? { sfId: known } : {}),
    }));
    await w.store.putStage(RUN, CO, 'terceros', 'OUT', 1, records);
    await w.store.setPage(RUN, CO, 'terceros', 1, { rows: 3, toSend: 3, status: 'transformed' });
    org.faults.set(1, { kind: 'lost' });

    const result = await upsert(w.app, task, { client: org.client(), ...noWait });

    expect(org.requests.map((r) => [r.kind, r.ids])).toEqual([
      ['create', ['', '']],
      ['update', [known]],
    ]);
    expect(result).toMatchObject({ done: true, created: 0, updated: 1, failed: 2 });
    expect(org.records.size).toBe(3); // the lost creates were committed: sending them again would duplicate them
    expect(await failures(w)).toEqual([
      ['1', 'failed', 'SF_SYNC_CREATE_RESPONSE_LOST'],
      ['2', 'failed', 'SF_SYNC_CREATE_RESPONSE_LOST'],
    ]);
    expect((await entries(w, 'terceros')).map((e) => [e.identity, e.status, e.sfId])).toEqual([
      ['1', 'failed', undefined],
      ['2', 'failed', undefined],
      ['3', 'synced', known],
    ]);
  });
});
