import { account, type ErrorBody, type Org, type SaveResult, startOrg, store } from './support.js';

let org: Org;

type Page = {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
};

const q = (soql: string, headers?: Record<string, string>) =>
  org.api<Page>('GET', `/query?q=${encodeURIComponent(soql)}`, undefined, headers);

beforeAll(async () => {
  org = await startOrg();
  const accounts = Array.from({ length: 450 }, (_, i) =>
    account(String(i).padStart(3, '0'), {
      BillingCity: i % 3 === 0 ? 'Bogotá' : i % 3 === 1 ? 'Medellín' : null,
      ti_cupo_credito__c: i * 10,
      ti_activo__c: i % 2 === 0,
      ti_fecha_modificacion__c: `2024-01-${String((i % 28) + 1).padStart(2, '0')}T12:00:00Z`,
    }),
  );
  for (let i = 0; i < accounts.length; i += 200) {
    const reply = await org.api<SaveResult[]>('PATCH', '/composite/sobjects/Account/ti_external_id__c', {
      records: accounts.slice(i, i + 200),
    });
    if (!reply.body.every((r) => r.success)) throw new Error(JSON.stringify(reply.body));
  }
  await org.api('PATCH', '/composite/sobjects/RetailStore/ti_external_id__c', {
    records: [store(1, '001', { City: 'Cali' }), store(2, '002')],
  });
});

afterAll(async () => {
  await org.close();
});

describe('SOQL query', () => {
  it('selects fields with WHERE =, ORDER BY and LIMIT', async () => {
    const reply = await q(
      "SELECT Id, Name, ti_cupo_credito__c FROM Account WHERE BillingCity = 'bogotá' ORDER BY ti_cupo_credito__c DESC LIMIT 3",
    );
    expect(reply.status).toBe(200);
    expect(reply.body.totalSize).toBe(3);
    expect(reply.body.done).toBe(true);
    expect(reply.body.records.map((r) => r.Name)).toEqual(['Cliente 447', 'Cliente 444', 'Cliente 441']);
    expect(reply.body.records[0]).toEqual({
      attributes: {
        type: 'Account',
        url: expect.stringMatching(/^\/services\/data\/v62\.0\/sobjects\/Account\/001\w{15}$/),
      },
      Id: expect.any(String),
      Name: 'Cliente 447',
      ti_cupo_credito__c: 4470,
    });
  });

  it('combines IN, AND, OR, NOT, LIKE, booleans, numbers, datetimes and null', async () => {
    const count = async (where: string) =>
      (await q(`SELECT COUNT() FROM Account WHERE ${where}`)).body.totalSize;
    expect(await count("ti_external_id__c IN ('ITALCOL-000', 'italcol-001', 'ITALCOL-999')")).toBe(2);
    expect(await count("ti_external_id__c NOT IN ('ITALCOL-000')")).toBe(449);
    expect(await count("BillingCity = 'Bogotá' AND ti_activo__c = true")).toBe(75);
    expect(
      await count("(BillingCity = 'Bogotá' OR BillingCity = 'Medellín') AND NOT ti_activo__c = true"),
    ).toBe(150);
    expect(await count('BillingCity = null')).toBe(150);
    expect(await count('BillingCity != null')).toBe(300);
    expect(await count("Name LIKE 'Cliente 44%'")).toBe(10);
    expect(await count("Name LIKE '%nte 0_1'")).toBe(10);
    expect(await count('ti_cupo_credito__c >= 4000 AND ti_cupo_credito__c < 4100')).toBe(10);
    expect(await count('ti_fecha_modificacion__c > 2024-01-27T00:00:00Z')).toBe(32);
  });

  it('reads parent fields through relationships', async () => {
    const reply = await q(
      'SELECT Name, City, Account.Name, Account.ti_external_id__c FROM RetailStore ORDER BY Name',
    );
    expect(
      reply.body.records.map(({ attributes: _a, ...r }) => ({
        ...r,
        Account: { ...(r.Account as object), attributes: undefined },
      })),
    ).toEqual([
      {
        Name: 'Sucursal 1',
        City: 'Cali',
        Account: { attributes: undefined, Name: 'Cliente 001', ti_external_id__c: 'ITALCOL-001' },
      },
      {
        Name: 'Sucursal 2',
        City: null,
        Account: { attributes: undefined, Name: 'Cliente 002', ti_external_id__c: 'ITALCOL-002' },
      },
    ]);
    const parent = reply.body.records[0]?.Account as { attributes: { type: string } };
    expect(parent.attributes.type).toBe('Account');
  });

  it('pages through nextRecordsUrl with Sforce-Query-Options batchSize', async () => {
    const first = await q('SELECT Id FROM Account ORDER BY Name', {
      'sforce-query-options': 'batchSize=200',
    });
    expect(first.body).toMatchObject({ totalSize: 450, done: false });
    expect(first.body.records).toHaveLength(200);
    expect(first.body.nextRecordsUrl).toMatch(/^\/services\/data\/v62\.0\/query\/01g\w{15}-200$/);
    const second = await org.api<Page>('GET', first.body.nextRecordsUrl as string);
    expect(second.body.records).toHaveLength(200);
    const third = await org.api<Page>('GET', second.body.nextRecordsUrl as string);
    expect(third.body).toMatchObject({ totalSize: 450, done: true });
    expect(third.body.records).toHaveLength(50);
    expect(third.body.nextRecordsUrl).toBeUndefined();
    const ids = new Set(
      [...first.body.records, ...second.body.records, ...third.body.records].map((r) => r.Id),
    );
    expect(ids.size).toBe(450);
    const gone = await org.api<ErrorBody>('GET', second.body.nextRecordsUrl as string);
    expect(gone.status).toBe(400);
    expect(gone.body[0]?.errorCode).toBe('INVALID_QUERY_LOCATOR');
  });

  it('answers 2000 records per page by default', async () => {
    const reply = await q('SELECT Id FROM Account');
    expect(reply.body.records).toHaveLength(450);
    expect(reply.body.done).toBe(true);
  });

  it.each([
    [
      'an unknown field',
      'SELECT Nope FROM Account',
      'INVALID_FIELD',
      "No such column 'Nope' on entity 'Account'",
    ],
    [
      'an unknown object',
      'SELECT Id FROM Contact',
      'INVALID_TYPE',
      "sObject type 'Contact' is not supported",
    ],
    [
      'an unknown relationship',
      'SELECT Owner.Name FROM Account',
      'INVALID_FIELD',
      "Didn't understand relationship 'Owner'",
    ],
    ['a syntax error', 'SELECT Id FORM Account', 'MALFORMED_QUERY', "unexpected token: 'FORM'"],
    [
      'a quoted number',
      "SELECT Id FROM Account WHERE ti_cupo_credito__c = '5'",
      'INVALID_QUERY_FILTER_OPERATOR',
      'must be of type double',
    ],
  ])('refuses %s with %s', async (_what, soql, errorCode, message) => {
    const reply = await q(soql);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([{ errorCode, message: expect.stringContaining(message) }]);
  });

  it('points at the error position', async () => {
    const reply = await q('SELECT Id, Nope FROM Account');
    expect((reply.body as unknown as ErrorBody)[0]?.message).toMatch(
      /^\nSELECT Id, Nope FROM Account\n {11}\^\nERROR at Row:1:Column:12\n/,
    );
  });

  it('needs a query string', async () => {
    const reply = await org.api<ErrorBody>('GET', '/query');
    expect(reply.body).toEqual([
      { errorCode: 'MALFORMED_QUERY', message: 'A query string has to be specified' },
    ]);
  });
});
