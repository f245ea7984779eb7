import { account, type ErrorBody, type Org, type SaveResult, startOrg, store } from './support.js';

let org: Org;

beforeAll(async () => {
  org = await startOrg();
});

afterAll(async () => {
  await org.close();
});

const upsert = (object: string, records: unknown[], allOrNone = false) =>
  org.api<SaveResult[]>('PATCH', `/composite/sobjects/${object}/ti_external_id__c`, { allOrNone, records });

describe('sObject Collections upsert', () => {
  it('creates then updates up to 200 records, results in request order', async () => {
    const records = Array.from({ length: 200 }, (_, i) => account(`C${i}`));
    const first = await upsert('Account', records);
    expect(first.status).toBe(200);
    expect(first.body).toHaveLength(200);
    expect(first.body.every((r) => r.success && r.created === true && /^001\w{15}$/.test(r.id ?? ''))).toBe(
      true,
    );
    const second = await upsert(
      'Account',
      records.map((r) => ({ ...r, Phone: '555' })),
    );
    expect(second.body.map((r) => r.id)).toEqual(first.body.map((r) => r.id));
    expect(second.body.every((r) => r.success && r.created === false)).toBe(true);
  });

  it('refuses more than 200 records with 400 EXCEEDED_ID_LIMIT', async () => {
    const reply = await upsert(
      'Account',
      Array.from({ length: 201 }, (_, i) => account(`X${i}`)),
    );
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([
      {
        errorCode: 'EXCEEDED_ID_LIMIT',
        message: 'record limit reached. cannot submit more than 200 records into this call',
      },
    ]);
  });

  it('fails records alone when allOrNone is false', async () => {
    const reply = await upsert('Account', [
      account('P1'),
      account('P2', { Name: null }),
      account('P3', { BillingCity: 'x'.repeat(41) }),
      account('P4', { ti_email__c: 'bad' }),
      account('P5'),
    ]);
    expect(reply.body.map((r) => (r.success ? 'ok' : r.errors[0]?.statusCode))).toEqual([
      'ok',
      'REQUIRED_FIELD_MISSING',
      'STRING_TOO_LONG',
      'INVALID_EMAIL_ADDRESS',
      'ok',
    ]);
    expect(reply.body[1]).toEqual({
      success: false,
      errors: [
        {
          statusCode: 'REQUIRED_FIELD_MISSING',
          message: 'Required fields are missing: [Name]',
          fields: ['Name'],
        },
      ],
    });
  });

  it('rolls everything back when allOrNone is true and one record fails', async () => {
    const reply = await upsert(
      'Account',
      [account('R1'), account('R2', { Name: null }), account('R3')],
      true,
    );
    expect(reply.body.map((r) => r.errors[0]?.statusCode)).toEqual([
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
      'REQUIRED_FIELD_MISSING',
      'ALL_OR_NONE_OPERATION_ROLLED_BACK',
    ]);
    const count = await org.api<{ totalSize: number }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE ti_external_id__c IN ('ITALCOL-R1','ITALCOL-R3')")}`,
    );
    expect(count.body.totalSize).toBe(0);
  });

  it('fails every record that repeats an external ID inside the request', async () => {
    const reply = await upsert('Account', [account('D1'), account('D2'), account('d1', { Name: 'again' })]);
    expect(reply.body[0]).toEqual({
      success: false,
      errors: [
        {
          statusCode: 'DUPLICATE_VALUE',
          message: 'Duplicate external id specified: ITALCOL-D1',
          fields: ['ti_external_id__c'],
        },
      ],
    });
    expect(reply.body[1]?.success).toBe(true);
    expect(reply.body[2]?.errors[0]?.statusCode).toBe('DUPLICATE_VALUE');
  });

  it('links children to parents by nested external ID and reports unknown parents', async () => {
    await upsert('Account', [account('900123456-7')]);
    const stores = await upsert('RetailStore', [store(1, '900123456-7'), store(2, 'MISSING')]);
    expect(stores.body[0]?.success).toBe(true);
    expect(stores.body[1]?.errors).toEqual([
      {
        statusCode: 'INVALID_FIELD',
        message:
          'Foreign key external ID: ITALCOL-MISSING not found for field ti_external_id__c in entity Account',
        fields: [],
      },
    ]);
    const deals = await upsert('ti_acuerdo__c', [
      {
        attributes: { type: 'ti_acuerdo__c' },
        ti_external_id__c: 'ITALCOL-AC1',
        Name: 'Acuerdo 1',
        ti_fecha_inicio__c: '2024-01-01',
        ti_cuenta__r: { ti_external_id__c: 'ITALCOL-900123456-7' },
        ti_sucursal__r: { ti_external_id__c: 'ITALCOL-S1' },
        ti_porcentaje_descuento__c: 5.5,
      },
      {
        attributes: { type: 'ti_acuerdo__c' },
        ti_external_id__c: 'ITALCOL-AC2',
        Name: 'Sin fecha',
        ti_cuenta__r: { ti_external_id__c: 'ITALCOL-900123456-7' },
      },
      {
        attributes: { type: 'ti_acuerdo__c' },
        ti_external_id__c: 'ITALCOL-AC3',
        Name: 'Descuento enorme',
        ti_fecha_inicio__c: '2024-01-01',
        ti_cuenta__r: { ti_external_id__c: 'ITALCOL-900123456-7' },
        ti_porcentaje_descuento__c: 1000,
      },
    ]);
    expect(deals.body[0]?.success).toBe(true);
    expect(deals.body[1]?.errors[0]).toMatchObject({
      statusCode: 'REQUIRED_FIELD_MISSING',
      fields: ['ti_fecha_inicio__c'],
    });
    expect(deals.body[2]?.errors[0]?.statusCode).toBe('NUMBER_OUTSIDE_VALID_RANGE');
  });

  it('answers 400 INVALID_FIELD for the whole request when a record has an unknown field', async () => {
    const reply = await upsert('Account', [account('U1'), account('U2', { Bogus__c: 'x' })]);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([
      { errorCode: 'INVALID_FIELD', message: "No such column 'Bogus__c' on sobject of type Account" },
    ]);
    const count = await org.api<{ totalSize: number }>(
      'GET',
      `/query?q=${encodeURIComponent("SELECT COUNT() FROM Account WHERE ti_external_id__c = 'ITALCOL-U1'")}`,
    );
    expect(count.body.totalSize).toBe(0);
  });

  it('answers 400 JSON_PARSER_ERROR for a value of the wrong JSON type, naming where it is', async () => {
    const body = JSON.stringify(
      { allOrNone: false, records: [account('T1', { ti_cupo_credito__c: 'mucho' })] },
      null,
      1,
    );
    const reply = await org.api<ErrorBody>('PATCH', '/composite/sobjects/Account/ti_external_id__c', body);
    expect(reply.status).toBe(400);
    expect(reply.body[0]?.errorCode).toBe('JSON_PARSER_ERROR');
    expect(reply.body[0]?.message).toMatch(
      /^Cannot deserialize instance of currency from VALUE_STRING value mucho .* at \[line:10, column:\d+\]$/,
    );
  });

  it('refuses records of another type than the URI names, and an external ID field that is not one', async () => {
    const wrongType = await upsert('Account', [store(9, 'X')]);
    expect(wrongType.status).toBe(400);
    expect((wrongType.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALID_TYPE');
    const notExternal = await org.api<ErrorBody>('PATCH', '/composite/sobjects/Account/Phone', {
      records: [account(1)],
    });
    expect(notExternal.status).toBe(400);
    expect(notExternal.body[0]?.errorCode).toBe('INVALID_FIELD');
  });

  it('clears a field with null and refuses null for a required one', async () => {
    await upsert('Account', [account('N1', { Phone: '123' })]);
    const reply = await upsert('Account', [account('N1', { Phone: null }), account('N1b', { Name: null })]);
    expect(reply.body[0]?.success).toBe(true);
    expect(reply.body[1]?.errors[0]?.statusCode).toBe('REQUIRED_FIELD_MISSING');
    const read = await org.api<Record<string, unknown>>(
      'GET',
      '/sobjects/Account/ti_external_id__c/ITALCOL-N1',
    );
    expect(read.body.Phone).toBeNull();
  });
});

describe('sObject Collections create, update, retrieve and delete', () => {
  it('creates mixed types, updates by id, retrieves and deletes', async () => {
    const created = await org.api<SaveResult[]>('POST', '/composite/sobjects', {
      allOrNone: false,
      records: [
        account('M1'),
        { attributes: { type: 'Account' }, Name: 'sin clave' },
        account('M2', { Id: '001000000000000AAA' }),
      ],
    });
    expect(created.status).toBe(200);
    expect(created.body.map((r) => r.success)).toEqual([true, true, false]);
    expect(created.body[2]?.errors[0]?.statusCode).toBe('INVALID_FIELD_FOR_INSERT_UPDATE');
    const [a, b] = created.body.map((r) => r.id as string);

    const updated = await org.api<SaveResult[]>('PATCH', '/composite/sobjects', {
      records: [
        { attributes: { type: 'Account' }, id: a, Name: 'renamed' },
        { attributes: { type: 'Account' }, Name: 'no id' },
        { attributes: { type: 'Account' }, id: '001000000000000AAA', Name: 'ghost' },
      ],
    });
    expect(updated.body.map((r) => (r.success ? 'ok' : r.errors[0]?.statusCode))).toEqual([
      'ok',
      'MISSING_ARGUMENT',
      'INVALID_CROSS_REFERENCE_KEY',
    ]);

    const retrieved = await org.api<Array<Record<string, unknown> | null>>(
      'GET',
      `/composite/sobjects/Account?ids=${a},${b},001000000000000AAA&fields=Name`,
    );
    expect(retrieved.body.map((r) => r?.Name ?? null)).toEqual(['renamed', 'sin clave', null]);

    const deleted = await org.api<SaveResult[]>(
      'DELETE',
      `/composite/sobjects?ids=${a},${b}&allOrNone=false`,
    );
    expect(deleted.body).toEqual([
      { id: a, success: true, errors: [] },
      { id: b, success: true, errors: [] },
    ]);
  });

  it('needs attributes.type on each record of a create', async () => {
    const reply = await org.api<ErrorBody>('POST', '/composite/sobjects', { records: [{ Name: 'x' }] });
    expect(reply.status).toBe(400);
    expect(reply.body[0]?.errorCode).toBe('INVALID_TYPE');
  });
});
