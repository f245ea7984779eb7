import {
  account,
  call,
  type ErrorBody,
  type Org,
  passwordToken,
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
    });
  });

  it('serves counters and resets them over the admin surface, which is not counted', async () => {
    const counters = await call(org.emulator.url, 'GET', '/__emulator/counters', undefined);
    expect(counters.body).toEqual(org.emulator.counters());
    expect((await call(org.emulator.url, 'POST', '/__emulator/counters/reset', undefined)).status).toBe(204);
    expect(org.emulator.counters()).toEqual({ apiUsage: 0, byEndpoint: {} });
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
    await expect(passwordToken(org.emulator)).resolves.toEqual(expect.any(String));
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
    const token = await passwordToken(org.emulator);
    const results: number[] = [];
    for (let i = 0; i < 5; i++) results.push((await call(org.emulator.url, 'GET', '/limits', token)).status);
    expect(results).toEqual([200, 200, 200, 401, 401]);
    const fresh = await passwordToken(org.emulator);
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
});
