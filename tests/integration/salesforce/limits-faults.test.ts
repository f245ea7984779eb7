import {
  account,
  call,
  clientCredentialsToken,
  type ErrorBody,
  type Org,
  type SaveResult,
  startOrg,
} from './support.js';

describe('daily API limit and counters', () => {
  let org: Org;

  beforeAll(async () => {
    org = await startOrg({ dailyApiLimit: 5 });
  });

  afterAll(async () => {
    await org.close();
  });

  it('reports usage in Sforce-Limit-Info and refuses calls past the limit with 403', async () => {
    org.emulator.resetCounters();
    const statuses: Array<[number, string | null]> = [];
    for (let i = 0; i < 7; i++) {
      const reply = await org.api('GET', '/limits');
      statuses.push([reply.status, reply.headers.get('sforce-limit-info')]);
    }
    expect(statuses).toEqual([
      [200, 'api-usage=1/5'],
      [200, 'api-usage=2/5'],
      [200, 'api-usage=3/5'],
      [200, 'api-usage=4/5'],
      [200, 'api-usage=5/5'],
      [403, 'api-usage=5/5'],
      [403, 'api-usage=5/5'],
    ]);
    const refused = await org.api<ErrorBody>('GET', '/sobjects');
    expect(refused.body).toEqual([
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ]);
    expect(org.emulator.counters()).toEqual({
      apiUsage: 5,
      byEndpoint: { limits: 7, 'sobjects.describe': 1 },
      lockConflicts: 0,
      concurrentRequestRefusals: 0,
    });
  });

  it('serves counters and resets them over the admin surface, which is not counted', async () => {
    const counters = await call(org.emulator.url, 'GET', '/__emulator/counters', undefined);
    expect(counters.body).toEqual(org.emulator.counters());
    expect((await call(org.emulator.url, 'POST', '/__emulator/counters/reset', undefined)).status).toBe(204);
    expect(org.emulator.counters()).toEqual({
      apiUsage: 0,
      byEndpoint: {},
      lockConflicts: 0,
      concurrentRequestRefusals: 0,
    });
    const limits = await org.api<{ DailyApiRequests: { Max: number; Remaining: number } }>('GET', '/limits');
    expect(limits.body.DailyApiRequests).toEqual({ Max: 5, Remaining: 4 });
  });
});

describe('faults', () => {
  let org: Org;

  beforeAll(async () => {
    org = await startOrg();
  });

  afterEach(() => {
    org.emulator.setFaults({});
  });

  afterAll(async () => {
    await org.close();
  });

  const statuses = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await org.api('GET', '/limits')).status);
    return out;
  };

  it('answers a share of REST requests with 503 SERVER_UNAVAILABLE, the same ones for the same seed', async () => {
    org.emulator.setFaults({ seed: 42, unavailableShare: 0.5 });
    const first = await statuses(40);
    org.emulator.setFaults({ seed: 42, unavailableShare: 0.5 });
    const again = await statuses(40);
    expect(again).toEqual(first);
    const unavailable = first.filter((s) => s === 503).length;
    expect(unavailable).toBeGreaterThan(8);
    expect(unavailable).toBeLessThan(32);
    const reply = await (async () => {
      for (;;) {
        const r = await org.api<ErrorBody>('GET', '/limits');
        if (r.status === 503) return r;
      }
    })();
    expect(reply.body).toEqual([
      { message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' },
    ]);
    org.emulator.setFaults({ seed: 7, unavailableShare: 0.5 });
    expect(await statuses(40)).not.toEqual(first);
  });

  it('leaves OAuth alone when requests are unavailable', async () => {
    org.emulator.setFaults({ unavailableShare: 1 });
    await expect(clientCredentialsToken(org.emulator)).resolves.toEqual(expect.any(String));
    expect((await org.api('GET', '/limits')).status).toBe(503);
  });

  it('fails a share of written records with UNABLE_TO_LOCK_ROW', async () => {
    org.emulator.setFaults({ seed: 3, lockRowShare: 0.3 });
    const records = Array.from({ length: 100 }, (_, i) => account(`L${i}`));
    const reply = await org.api<SaveResult[]>('PATCH', '/composite/sobjects/Account/ti_external_id__c', {
      records,
    });
    const locked = reply.body.filter((r) => r.errors[0]?.statusCode === 'UNABLE_TO_LOCK_ROW');
    expect(locked.length).toBeGreaterThan(10);
    expect(locked.length).toBeLessThan(50);
    expect(reply.body.filter((r) => r.success).length).toBe(100 - locked.length);
    expect(locked[0]?.errors[0]?.message).toBe(
      'unable to obtain exclusive access to this record or 1 records',
    );
  });

  it('expires every session after N REST calls made with it', async () => {
    org.emulator.setFaults({ expireSessionAfterCalls: 3 });
    const token = await clientCredentialsToken(org.emulator);
    const results: number[] = [];
    for (let i = 0; i < 5; i++) results.push((await call(org.emulator.url, 'GET', '/limits', token)).status);
    expect(results).toEqual([200, 200, 200, 401, 401]);
    const fresh = await clientCredentialsToken(org.emulator);
    expect((await call(org.emulator.url, 'GET', '/limits', fresh)).status).toBe(200);
  });

  it('adds latency to every request', async () => {
    org.emulator.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await org.api('GET', '/limits');
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('takes faults over the admin surface and refuses invalid ones, naming what is accepted', async () => {
    const set = await call(org.emulator.url, 'POST', '/__emulator/faults', undefined, {
      unavailableShare: 1,
    });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ unavailableShare: 1 });
    expect((await org.api('GET', '/limits')).status).toBe(503);
    const bad = await call<{ error: string }>(org.emulator.url, 'POST', '/__emulator/faults', undefined, {
      unavailableShare: 2,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(
      /unavailableShare.*Accepted: \{seed\?: integer, unavailableShare\?: 0\.\.1/,
    );
    expect(() => org.emulator.setFaults({ lockRowShare: -1 })).toThrow(/lockRowShare/);
    await call(org.emulator.url, 'POST', '/__emulator/faults', undefined, {});
    expect((await org.api('GET', '/limits')).status).toBe(200);
  });

  const UNKNOWN_MESSAGE =
    /^An unexpected error occurred\. Please include this ErrorId if you contact support: \d+-\d+ \(-?\d+\)$/;

  it('answers the next N REST requests 500 UNKNOWN_EXCEPTION with Salesforce body, counted as usage', async () => {
    org.emulator.resetCounters();
    org.emulator.setFaults({ unknownExceptionNext: 2 });
    const replies = [];
    for (let i = 0; i < 3; i++) replies.push(await org.api<ErrorBody>('GET', '/limits'));
    expect(replies.map((r) => r.status)).toEqual([500, 500, 200]);
    expect(replies[0]?.body).toEqual([
      { message: expect.stringMatching(UNKNOWN_MESSAGE), errorCode: 'UNKNOWN_EXCEPTION' },
    ]);
    expect(org.emulator.counters().apiUsage).toBe(3);
  });

  it('fails the same payloads with 500 every time for a sticky share, and writes nothing for them', async () => {
    org.emulator.setFaults({ seed: 5, unknownExceptionShare: 0.5 });
    const send = (n: number) =>
      org.api<ErrorBody>('PATCH', '/composite/sobjects/Account/ti_external_id__c', {
        records: [account(`U${n}`)],
      });
    const first: Array<Awaited<ReturnType<typeof send>>> = [];
    for (let n = 0; n < 30; n++) first.push(await send(n));
    const again: typeof first = [];
    for (let n = 29; n >= 0; n--) again.unshift(await send(n));
    expect(again.map((r) => r.status)).toEqual(first.map((r) => r.status));
    const errorIds = (replies: typeof first) => replies.map((r) => (r.status === 500 ? r.text : ''));
    expect(errorIds(again)).toEqual(errorIds(first));
    const failed = first.flatMap((r, n) => (r.status === 500 ? [n] : []));
    expect(failed.length).toBeGreaterThan(5);
    expect(failed.length).toBeLessThan(25);
    expect(first.filter((r) => r.status !== 500).every((r) => r.status === 200)).toBe(true);
    org.emulator.setFaults({});
    const written = await org.api<{ totalSize: number }>(
      'GET',
      `/query?q=${encodeURIComponent(`SELECT COUNT() FROM Account WHERE ti_external_id__c = 'ITALCOL-U${failed[0]}'`)}`,
    );
    expect(written.body.totalSize).toBe(0);
  });

  it('fails requests whose body contains a given text with 500, every time', async () => {
    org.emulator.setFaults({ unknownExceptionMatch: ['ITALCOL-POISON'] });
    const path = '/composite/sobjects/Account/ti_external_id__c';
    const poisoned = [];
    for (let i = 0; i < 2; i++)
      poisoned.push((await org.api('PATCH', path, { records: [account('POISON')] })).status);
    expect(poisoned).toEqual([500, 500]);
    expect((await org.api('PATCH', path, { records: [account('HEALTHY')] })).status).toBe(200);
  });

  it('loses the answer of the next N requests after running them: the write is committed, the connection cut', async () => {
    org.emulator.setFaults({ lostResponseNext: 1 });
    const path = '/composite/sobjects/Account/ti_external_id__c';
    await expect(org.api('PATCH', path, { records: [account('LOST')] })).rejects.toThrow();
    const written = await org.api<{ totalSize: number }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE ti_external_id__c = 'ITALCOL-LOST'")}`,
    );
    expect(written.status).toBe(200);
    expect(written.body.totalSize).toBe(1);
    const again = await org.api<SaveResult[]>('PATCH', path, { records: [account('LOST')] });
    expect(again.body.map((r) => [r.success, r.created])).toEqual([[true, false]]);
  });
});

describe('concurrent long-running requests', () => {
  let org: Org;

  beforeAll(async () => {
    // Writes last 1.5 s; a request is long after 300 ms; two long ones at once are the limit.
    org = await startOrg({ concurrentLongRequests: 2, longRequestMs: 300, lockHoldMs: 1500 });
  });

  afterAll(async () => {
    await org.close();
  });

  it('refuses new requests with 403 ConcurrentRequests while the limit of long requests runs, then serves again', async () => {
    org.emulator.resetCounters();
    const path = '/composite/sobjects/Account/ti_external_id__c';
    const slow = [1, 2].map((n) => org.api<SaveResult[]>('PATCH', path, { records: [account(`C${n}`)] }));
    const received = () => org.emulator.counters().byEndpoint['composite.sobjects.upsert'] ?? 0;
    while (received() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    const early = await org.api('GET', '/limits'); // the two are running, not long yet
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = await org.api<ErrorBody>('GET', '/limits');
    const done = await Promise.all(slow);
    const after = await org.api('GET', '/limits');
    expect([early.status, refused.status, after.status]).toEqual([200, 403, 200]);
    expect(refused.body).toEqual([
      {
        message: 'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
        errorCode: 'REQUEST_LIMIT_EXCEEDED',
      },
    ]);
    expect(done.map((r) => r.body[0]?.success)).toEqual([true, true]);
    expect(org.emulator.counters()).toMatchObject({ apiUsage: 4, concurrentRequestRefusals: 1 });
  });
});
