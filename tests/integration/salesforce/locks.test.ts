/**
 * Row locks, as a real org takes them: a request writing children of an Account holds that
 * Account's lock for its duration (and an update holds its own record's); a concurrent request
 * with children of the same Account waits up to lockWaitMs and then fails those records
 * UNABLE_TO_LOCK_ROW; children of other Accounts go through. Counted in counters().lockConflicts.
 */
import { account, call, type ErrorBody, type Org, type SaveResult, startOrg, store } from './support.js';

const UPSERT_STORES = '/composite/sobjects/RetailStore/ti_external_id__c';
const UPSERT_ACCOUNTS = '/composite/sobjects/Account/ti_external_id__c';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const lockMessage = (...ids: string[]) =>
  `unable to obtain exclusive access to this record or ${ids.length} records: ${ids.join(',')}`;

async function accountIds(org: Org, keys: string[]): Promise<string[]> {
  const reply = await org.api<SaveResult[]>('PATCH', UPSERT_ACCOUNTS, {
    records: keys.map((k) => account(k)),
  });
  expect(reply.body.every((r) => r.success)).toBe(true);
  return reply.body.map((r) => r.id as string);
}

const stores = (from: number, count: number, accountKey: string) =>
  Array.from({ length: count }, (_, i) => store(`${accountKey}-${from + i}`, accountKey));

const requestsReceived = (org: Org) =>
  Object.values(org.emulator.counters().byEndpoint).reduce((sum, n) => sum + n, 0);

/**
 * Sends `first`, then `second` once the emulator has received the first: it takes its locks in
 * the same turn of the event loop as it is counted, so the second always finds them held.
 */
async function overlapping<T>(org: Org, first: [string, string, unknown], second: [string, string, unknown]) {
  const before = requestsReceived(org);
  const a = org.api<T>(...first);
  while (requestsReceived(org) === before) await sleep(5);
  const b = org.api<T>(...second);
  return Promise.all([a, b]);
}

describe('parent row locks (a write holds 400 ms, others wait 100 ms)', () => {
  let org: Org;
  let ids: string[];

  beforeAll(async () => {
    org = await startOrg({ lockHoldMs: 400, lockWaitMs: 100 });
    ids = await accountIds(org, ['A', 'B', 'C']);
  });

  afterAll(async () => {
    await org.close();
  });

  beforeEach(() => org.emulator.resetCounters());

  it('fails the second of two concurrent upserts of one Account’s RetailStores with UNABLE_TO_LOCK_ROW', async () => {
    const [first, second] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(1, 3, 'A') }],
      ['PATCH', UPSERT_STORES, { records: stores(4, 2, 'A') }],
    );
    expect(first.body.map((r) => r.success)).toEqual([true, true, true]);
    const locked = { statusCode: 'UNABLE_TO_LOCK_ROW', message: lockMessage(ids[0] as string), fields: [] };
    expect(second.status).toBe(200);
    expect(second.body).toEqual([
      { success: false, errors: [locked] },
      { success: false, errors: [locked] },
    ]);
    expect(org.emulator.counters().lockConflicts).toBe(2);
  });

  it('lets concurrent upserts of different Accounts’ RetailStores through', async () => {
    const [first, second] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(10, 3, 'A') }],
      ['PATCH', UPSERT_STORES, { records: stores(10, 3, 'B') }],
    );
    expect([...first.body, ...second.body].map((r) => r.success)).toEqual([
      true,
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(org.emulator.counters().lockConflicts).toBe(0);
  });

  it('fails only the records under the locked parent in a mixed request', async () => {
    const [, mixed] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(20, 1, 'A') }],
      [
        'PATCH',
        UPSERT_STORES,
        { records: [...stores(21, 1, 'A'), ...stores(21, 1, 'C'), ...stores(22, 1, 'A')] },
      ],
    );
    expect(mixed.body.map((r) => r.errors[0]?.statusCode ?? 'ok')).toEqual([
      'UNABLE_TO_LOCK_ROW',
      'ok',
      'UNABLE_TO_LOCK_ROW',
    ]);
    expect(org.emulator.counters().lockConflicts).toBe(2);
  });

  it('locks parents named by Id as well, and refuses a single-record upsert with 400', async () => {
    const byId = { attributes: { type: 'RetailStore' }, Name: 'Por Id', AccountId: ids[1] };
    const [, single] = await overlapping<ErrorBody>(
      org,
      ['POST', '/composite/sobjects', { records: [{ ...byId, ti_external_id__c: 'ID-1' }] }],
      ['PATCH', '/sobjects/RetailStore/ti_external_id__c/ID-2', { Name: 'Uno', AccountId: ids[1] }],
    );
    expect(single.status).toBe(400);
    expect(single.body).toEqual([
      { message: lockMessage(ids[1] as string), errorCode: 'UNABLE_TO_LOCK_ROW', fields: [] },
    ]);
  });

  it('rolls back the whole request with allOrNone when one record cannot lock its parent', async () => {
    const [, all] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(30, 1, 'A') }],
      ['PATCH', UPSERT_STORES, { allOrNone: true, records: [...stores(31, 1, 'B'), ...stores(31, 1, 'A')] }],
    );
    expect(all.body.map((r) => r.errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'UNABLE_TO_LOCK_ROW',
    ]);
    const query = encodeURIComponent(
      "SELECT COUNT() FROM RetailStore WHERE ti_external_id__c = 'ITALCOL-SB-31'",
    );
    expect((await org.api<{ totalSize: number }>('GET', `/query?q=${query}`)).body.totalSize).toBe(0);
  });

  it('locks a record being updated: a concurrent update of the same Account fails, another Account does not', async () => {
    const [[first, same], other] = await Promise.all([
      overlapping<SaveResult[]>(
        org,
        ['PATCH', UPSERT_ACCOUNTS, { records: [account('A')] }],
        ['PATCH', UPSERT_ACCOUNTS, { records: [account('A', { Name: 'Otra vez' })] }],
      ),
      sleep(20).then(() => org.api<SaveResult[]>('PATCH', UPSERT_ACCOUNTS, { records: [account('C')] })),
    ]);
    expect(first.body[0]?.success).toBe(true);
    expect(same.body).toEqual([
      {
        success: false,
        errors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', message: lockMessage(ids[0] as string), fields: [] }],
      },
    ]);
    expect(other.body[0]?.success).toBe(true);
  });
});

describe('parent row locks (a write holds 100 ms, others wait 1 s)', () => {
  let org: Org;

  beforeAll(async () => {
    org = await startOrg({ lockHoldMs: 100, lockWaitMs: 1000 });
    await accountIds(org, ['A']);
  });

  afterAll(async () => {
    await org.close();
  });

  it('lets the second request wait for the lock and then succeed, after the first', async () => {
    org.emulator.resetCounters();
    const started = Date.now();
    const [first, second] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(1, 2, 'A') }],
      ['PATCH', UPSERT_STORES, { records: stores(3, 2, 'A') }],
    );
    expect([...first.body, ...second.body].map((r) => r.success)).toEqual([true, true, true, true]);
    // The second ran only once the first let go: 100 ms each, one after the other.
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    expect(org.emulator.counters().lockConflicts).toBe(0);
  });

  it('changes lock timing while running, from code and over the admin surface', async () => {
    expect(org.emulator.setLockSettings({ lockWaitMs: 0 })).toEqual({
      lockWaitMs: 0,
      lockHoldMs: 100,
      recordCostMs: 0.05,
    });
    const [, refused] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(10, 1, 'A') }],
      ['PATCH', UPSERT_STORES, { records: stores(11, 1, 'A') }],
    );
    expect(refused.body[0]?.errors[0]?.statusCode).toBe('UNABLE_TO_LOCK_ROW');
    const admin = `${org.emulator.url}/__emulator/locks`;
    const set = await call(org.emulator.url, 'POST', '/__emulator/locks', undefined, { lockWaitMs: 1000 });
    expect(set).toMatchObject({
      status: 200,
      body: { lockWaitMs: 1000, lockHoldMs: 100, recordCostMs: 0.05 },
    });
    const bad = await call<{ error: string }>(org.emulator.url, 'POST', '/__emulator/locks', undefined, {
      lockWaitMs: -1,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(
      /^invalid lock settings: lockWaitMs: .*Accepted: \{lockWaitMs\?: 0\.\.600000/,
    );
    expect(await (await fetch(admin)).json()).toEqual({
      lockWaitMs: 1000,
      lockHoldMs: 100,
      recordCostMs: 0.05,
    });
  });
});

type Job = { id: string; state: string; numberRecordsProcessed: number; numberRecordsFailed: number };
const STORE_HEADER = 'ti_external_id__c,Name,Account.ti_external_id__c';

/** An Open RetailStore upsert job with its CSV uploaded: rows [store key, account key]. */
async function openJob(org: Org, rows: Array<[string, string]>): Promise<string> {
  const job = await org.api<Job>('POST', '/jobs/ingest', {
    object: 'RetailStore',
    operation: 'upsert',
    externalIdFieldName: 'ti_external_id__c',
    contentType: 'CSV',
    lineEnding: 'LF',
  });
  const csv = [STORE_HEADER, ...rows.map(([s, a]) => `ITALCOL-S${s},Sucursal ${s},ITALCOL-${a}`)].join('\n');
  const uploaded = await org.api('PUT', `/jobs/ingest/${job.body.id}/batches`, `${csv}\n`, {
    'content-type': 'text/csv',
  });
  expect(uploaded.status).toBe(201);
  return job.body.id;
}

const closeJob = (org: Org, id: string) =>
  org.api<Job>('PATCH', `/jobs/ingest/${id}`, { state: 'UploadComplete' });

/** Polls the job until `done` holds for its info. */
async function jobUntil(org: Org, id: string, done: (job: Job) => boolean): Promise<Job> {
  for (let i = 0; i < 2000; i++) {
    const info = (await org.api<Job>('GET', `/jobs/ingest/${id}`)).body;
    if (done(info)) return info;
    await sleep(5);
  }
  throw new Error(`job ${id} never reached the expected state`);
}

const finished = (job: Job) => job.state === 'JobComplete' || job.state === 'Failed';
const failedLines = async (org: Org, id: string) =>
  (await org.api('GET', `/jobs/ingest/${id}/failedResults`)).text.trimEnd().split('\n').slice(1);

describe('row locks in Bulk API 2.0 jobs (a chunk or request holds 400 ms, others wait 100 ms)', () => {
  let org: Org;
  let ids: string[];

  beforeAll(async () => {
    org = await startOrg({ lockHoldMs: 400, lockWaitMs: 100, recordCostMs: 0 });
    ids = await accountIds(org, ['A', 'B']);
  });

  afterAll(async () => {
    await org.close();
  });

  beforeEach(() => org.emulator.resetCounters());

  it('fails a job’s records under an Account a Collections request holds, in failedResults; the others load', async () => {
    const job = await openJob(org, [
      ['J1', 'A'],
      ['J2', 'B'],
      ['J3', 'A'],
    ]);
    const [collections, closed] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(100, 2, 'A') }],
      ['PATCH', `/jobs/ingest/${job}`, { state: 'UploadComplete' }],
    );
    expect(collections.body.map((r) => r.success)).toEqual([true, true]);
    expect((closed.body as unknown as Job).state).toBe('UploadComplete');
    const done = await jobUntil(org, job, finished);
    expect(done).toMatchObject({ state: 'JobComplete', numberRecordsProcessed: 3, numberRecordsFailed: 2 });
    const error = `UNABLE_TO_LOCK_ROW:${lockMessage(ids[0] as string)}: --`;
    expect(await failedLines(org, job)).toEqual([
      `"","${error}","ITALCOL-SJ1","Sucursal J1","ITALCOL-A"`,
      `"","${error}","ITALCOL-SJ3","Sucursal J3","ITALCOL-A"`,
    ]);
    const loaded = (await org.api('GET', `/jobs/ingest/${job}/successfulResults`)).text.trimEnd().split('\n');
    expect(loaded.slice(1)).toEqual([expect.stringMatching(/^"0ZS\w{15}","true","ITALCOL-SJ2",/)]);
    expect(org.emulator.counters().lockConflicts).toBe(2);
  });

  it('holds a chunk’s parents while it runs: a Collections request for the same Account fails, another Account’s goes through', async () => {
    const job = await openJob(org, [
      ['K1', 'A'],
      ['K2', 'A'],
    ]);
    await closeJob(org, job);
    // The chunk has committed and holds Account A for its 400 ms of processing.
    await jobUntil(org, job, (j) => j.numberRecordsProcessed === 2);
    const [same, other] = await Promise.all([
      org.api<SaveResult[]>('PATCH', UPSERT_STORES, { records: stores(200, 1, 'A') }),
      org.api<SaveResult[]>('PATCH', UPSERT_STORES, { records: stores(200, 1, 'B') }),
    ]);
    expect(same.body).toEqual([
      {
        success: false,
        errors: [{ statusCode: 'UNABLE_TO_LOCK_ROW', message: lockMessage(ids[0] as string), fields: [] }],
      },
    ]);
    expect(other.body[0]?.success).toBe(true);
    expect(await jobUntil(org, job, finished)).toMatchObject({
      state: 'JobComplete',
      numberRecordsFailed: 0,
    });
  });
});

describe('row locks between the parallel internal batches of one Bulk job', () => {
  let org: Org;
  let ids: string[];

  beforeAll(async () => {
    org = await startOrg({ lockHoldMs: 20, lockWaitMs: 0, recordCostMs: 0 });
    ids = await accountIds(org, ['A']);
  });

  afterAll(async () => {
    await org.close();
  });

  it('processes 10,000-record batches in parallel: the second batch’s chunk finds the Account locked by the first', async () => {
    const rows = Array.from({ length: 10_001 }, (_, i): [string, string] => [`P${i}`, 'A']);
    const job = await openJob(org, rows);
    await closeJob(org, job);
    const done = await jobUntil(org, job, finished);
    expect(done).toMatchObject({
      state: 'JobComplete',
      numberRecordsProcessed: 10_001,
      numberRecordsFailed: 1,
    });
    expect(await failedLines(org, job)).toEqual([
      `"","UNABLE_TO_LOCK_ROW:${lockMessage(ids[0] as string)}: --","ITALCOL-SP10000","Sucursal P10000","ITALCOL-A"`,
    ]);
    expect(org.emulator.counters().lockConflicts).toBe(1);
  });
});

describe('row locks in Bulk jobs within the wait (a request holds 100 ms, others wait 1 s)', () => {
  let org: Org;

  beforeAll(async () => {
    org = await startOrg({ lockHoldMs: 100, lockWaitMs: 1000, recordCostMs: 0 });
    await accountIds(org, ['A']);
  });

  afterAll(async () => {
    await org.close();
  });

  it('lets a job’s chunk wait for the Collections request to let go, then load every record', async () => {
    const job = await openJob(org, [['W1', 'A']]);
    const [collections] = await overlapping<SaveResult[]>(
      org,
      ['PATCH', UPSERT_STORES, { records: stores(300, 1, 'A') }],
      ['PATCH', `/jobs/ingest/${job}`, { state: 'UploadComplete' }],
    );
    expect(collections.body[0]?.success).toBe(true);
    expect(await jobUntil(org, job, finished)).toMatchObject({
      state: 'JobComplete',
      numberRecordsProcessed: 1,
      numberRecordsFailed: 0,
    });
    expect(org.emulator.counters().lockConflicts).toBe(0);
    // The chunk wrote only once the request had let go, its 100 ms later.
    const soql =
      "SELECT ti_external_id__c, CreatedDate FROM RetailStore WHERE ti_external_id__c IN ('ITALCOL-SA-300', 'ITALCOL-SW1') ORDER BY CreatedDate";
    const created = await org.api<{ records: Array<{ ti_external_id__c: string; CreatedDate: string }> }>(
      'GET',
      `/query?q=${encodeURIComponent(soql)}`,
    );
    const [first, second] = created.body.records;
    expect([first?.ti_external_id__c, second?.ti_external_id__c]).toEqual(['ITALCOL-SA-300', 'ITALCOL-SW1']);
    const gap = Date.parse(String(second?.CreatedDate)) - Date.parse(String(first?.CreatedDate));
    expect(gap).toBeGreaterThanOrEqual(95);
  });
});
