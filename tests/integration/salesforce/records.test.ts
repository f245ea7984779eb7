import { type ErrorBody, type Org, startOrg } from './support.js';

let org: Org;

beforeAll(async () => {
  org = await startOrg();
});

afterAll(async () => {
  await org.close();
});

type Describe = {
  name: string;
  keyPrefix: string;
  fields: Array<Record<string, unknown>>;
  childRelationships: Array<Record<string, unknown>>;
};

describe('describe', () => {
  it('lists the three objects with their key prefixes', async () => {
    const reply = await org.api<{ sobjects: Array<{ name: string; keyPrefix: string; custom: boolean }> }>(
      'GET',
      '/sobjects',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.sobjects.map((o) => [o.name, o.keyPrefix, o.custom])).toEqual([
      ['Account', '001', false],
      ['RetailStore', '0ZS', false],
      ['ti_acuerdo__c', 'a0A', true],
    ]);
  });

  it('describes fields with type, length, required, external ID, unique and relationships', async () => {
    const reply = await org.api<Describe>('GET', '/sobjects/ti_acuerdo__c/describe');
    expect(reply.status).toBe(200);
    const field = (name: string) => reply.body.fields.find((f) => f.name === name);
    expect(field('Name')).toMatchObject({ type: 'string', length: 80, nillable: false, createable: true });
    expect(field('ti_external_id__c')).toMatchObject({
      type: 'string',
      length: 80,
      externalId: true,
      unique: true,
      idLookup: true,
    });
    expect(field('ti_cuenta__c')).toMatchObject({
      type: 'reference',
      referenceTo: ['Account'],
      relationshipName: 'ti_cuenta__r',
      nillable: false,
    });
    expect(field('ti_sucursal__c')).toMatchObject({
      referenceTo: ['RetailStore'],
      relationshipName: 'ti_sucursal__r',
      nillable: true,
    });
    expect(field('ti_porcentaje_descuento__c')).toMatchObject({ type: 'percent', precision: 5, scale: 2 });
    expect(field('ti_descripcion__c')).toMatchObject({ type: 'textarea', length: 32768 });
    expect(field('Id')).toMatchObject({ type: 'id', createable: false, updateable: false });
    expect(field('SystemModstamp')).toMatchObject({ type: 'datetime', createable: false });
    const account = await org.api<Describe>('GET', '/sobjects/account/describe');
    expect(account.body.name).toBe('Account');
    expect(account.body.childRelationships).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          childSObject: 'RetailStore',
          field: 'AccountId',
          relationshipName: 'RetailStores',
        }),
      ]),
    );
    const basic = await org.api<{ objectDescribe: { name: string } }>('GET', '/sobjects/RetailStore');
    expect(basic.body.objectDescribe.name).toBe('RetailStore');
  });

  it('answers 404 NOT_FOUND for an unknown object', async () => {
    const reply = await org.api<ErrorBody>('GET', '/sobjects/Contact/describe');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual([
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
    ]);
  });
});

describe('single records', () => {
  it('creates, reads, updates and deletes an Account', async () => {
    const created = await org.api<{ id: string }>('POST', '/sobjects/Account', {
      Name: 'Italcol',
      ti_external_id__c: 'CRUD-1',
      ti_cupo_credito__c: 1500.555,
      ti_activo__c: true,
      ti_fecha_modificacion__c: '2024-05-01T10:00:00-05:00',
    });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({ id: expect.stringMatching(/^001\w{15}$/), success: true, errors: [] });
    const id = created.body.id;
    const read = await org.api<Record<string, unknown>>('GET', `/sobjects/Account/${id}`);
    expect(read.body).toMatchObject({
      attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${id}` },
      Id: id,
      Name: 'Italcol',
      ti_cupo_credito__c: 1500.56,
      ti_activo__c: true,
      ti_fecha_modificacion__c: '2024-05-01T15:00:00.000+0000',
      Phone: null,
      CreatedDate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$/),
    });
    const byShortId = await org.api('GET', `/sobjects/Account/${id.slice(0, 15)}?fields=Name,Phone`);
    expect(byShortId.body).toEqual({ attributes: expect.any(Object), Name: 'Italcol', Phone: null });

    const updated = await org.api('PATCH', `/sobjects/Account/${id}`, {
      Phone: '+57 1 555 0000',
      ti_activo__c: null,
    });
    expect(updated.status).toBe(204);
    const after = await org.api<Record<string, unknown>>('GET', `/sobjects/Account/${id}`);
    expect(after.body).toMatchObject({ Phone: '+57 1 555 0000', ti_activo__c: null, Name: 'Italcol' });

    expect((await org.api('DELETE', `/sobjects/Account/${id}`)).status).toBe(204);
    expect((await org.api('GET', `/sobjects/Account/${id}`)).status).toBe(404);
  });

  it('upserts by external ID: 201 created, then 200 updated, and reads by external ID', async () => {
    const first = await org.api('PATCH', '/sobjects/Account/ti_external_id__c/UPS-1', { Name: 'Uno' });
    expect(first.status).toBe(201);
    expect(first.body).toEqual({ id: expect.any(String), success: true, errors: [], created: true });
    const second = await org.api('PATCH', '/sobjects/Account/ti_external_id__c/UPS-1', { Name: 'Uno bis' });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      id: (first.body as { id: string }).id,
      success: true,
      errors: [],
      created: false,
    });
    const read = await org.api<Record<string, unknown>>('GET', '/sobjects/Account/ti_external_id__c/ups-1');
    expect(read.body).toMatchObject({ Name: 'Uno bis', ti_external_id__c: 'UPS-1' });
    const old = await org.api('PATCH', '/services/data/v45.0/sobjects/Account/ti_external_id__c/UPS-1', {
      Name: 'v45',
    });
    expect(old.status).toBe(204);
  });

  it('takes POST with ?_HttpMethod=PATCH as a PATCH', async () => {
    const reply = await org.api('POST', '/sobjects/Account/ti_external_id__c/UPS-POST?_HttpMethod=PATCH', {
      Name: 'via POST',
    });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({ success: true, created: true });
  });

  it('answers 404 for an upsert on a field that is not an external ID', async () => {
    const reply = await org.api<ErrorBody>('PATCH', '/sobjects/Account/Phone/123', { Name: 'x' });
    expect(reply.status).toBe(404);
    expect(reply.body[0]?.errorCode).toBe('NOT_FOUND');
  });

  it('links a RetailStore to its Account by nested external ID or by Id', async () => {
    const parent = await org.api<{ id: string }>('PATCH', '/sobjects/Account/ti_external_id__c/PARENT-1', {
      Name: 'Padre',
    });
    const byExt = await org.api<{ id: string }>('POST', '/sobjects/RetailStore', {
      Name: 'Tienda 1',
      ti_external_id__c: 'STORE-1',
      Account: { ti_external_id__c: 'PARENT-1' },
    });
    expect(byExt.status).toBe(201);
    const byId = await org.api('POST', '/sobjects/RetailStore', {
      Name: 'Tienda 2',
      AccountId: parent.body.id,
    });
    expect(byId.status).toBe(201);
    const read = await org.api<Record<string, unknown>>('GET', `/sobjects/RetailStore/${byExt.body.id}`);
    expect(read.body.AccountId).toBe(parent.body.id);
    const deleteParent = await org.api<ErrorBody>('DELETE', `/sobjects/Account/${parent.body.id}`);
    expect(deleteParent.status).toBe(400);
    expect(deleteParent.body[0]?.errorCode).toBe('DELETE_FAILED');
  });

  it.each([
    [
      'an unknown field',
      { Name: 'x', Nope__c: 1 },
      'INVALID_FIELD',
      "No such column 'Nope__c' on sobject of type Account",
    ],
    [
      'a missing required field',
      { Phone: '1' },
      'REQUIRED_FIELD_MISSING',
      'Required fields are missing: [Name]',
    ],
    [
      'a null required field',
      { Name: null },
      'REQUIRED_FIELD_MISSING',
      'Required fields are missing: [Name]',
    ],
    [
      'a string too long',
      { Name: 'x', BillingCity: 'c'.repeat(41) },
      'STRING_TOO_LONG',
      `Billing City: data value too large: ${'c'.repeat(41)} (max length=40)`,
    ],
    [
      'an invalid email',
      { Name: 'x', ti_email__c: 'not-an-email' },
      'INVALID_EMAIL_ADDRESS',
      'Email: invalid email address: not-an-email',
    ],
    [
      'a number beyond precision',
      { Name: 'x', ti_cupo_credito__c: 1e16 },
      'NUMBER_OUTSIDE_VALID_RANGE',
      'Cupo de crédito: value outside of valid range on numeric field: 10000000000000000',
    ],
    [
      'a read-only field',
      { Name: 'x', CreatedDate: '2020-01-01T00:00:00Z' },
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      expect.stringContaining('Unable to create/update fields: CreatedDate'),
    ],
  ])('refuses %s with 400 %s', async (_what, body, errorCode, message) => {
    const reply = await org.api<ErrorBody>('POST', '/sobjects/Account', body);
    expect(reply.status).toBe(400);
    expect(reply.body[0]).toMatchObject({ errorCode, message });
  });

  it.each([
    [
      'malformed JSON',
      '{"Name": "x",}',
      /^Unexpected character \('\}' \(code 125\)\): was expecting double-quote to start field name at \[line:1, column:15\]$/,
    ],
    ['an empty body', '', /^No content to map due to end-of-input/],
    [
      'a string for a boolean',
      '{"Name":"x",\n "ti_activo__c":"yes"}',
      /^Cannot deserialize instance of boolean from VALUE_STRING value yes or request may be missing a required field at \[line:2, column:\d+\]$/,
    ],
    [
      'a bad date',
      '{"Name":"x","ti_fecha_modificacion__c":"2024-13-01"}',
      /^Cannot deserialize instance of datetime from VALUE_STRING value 2024-13-01/,
    ],
    [
      'an object for a string',
      '{"Name":{"a":1}}',
      /^Cannot deserialize instance of string from START_OBJECT/,
    ],
  ])('answers JSON_PARSER_ERROR for %s', async (_what, text, message) => {
    const reply = await org.api<ErrorBody>('POST', '/sobjects/Account', text);
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([{ errorCode: 'JSON_PARSER_ERROR', message: expect.stringMatching(message) }]);
  });

  it('refuses a second record with the same unique external ID (DUPLICATE_VALUE)', async () => {
    const first = await org.api<{ id: string }>('POST', '/sobjects/Account', {
      Name: 'a',
      ti_external_id__c: 'DUP-1',
    });
    const second = await org.api<ErrorBody>('POST', '/sobjects/Account', {
      Name: 'b',
      ti_external_id__c: 'dup-1',
    });
    expect(second.status).toBe(400);
    expect(second.body[0]).toEqual({
      errorCode: 'DUPLICATE_VALUE',
      message: `duplicate value found: ti_external_id__c duplicates value on record with id: ${first.body.id}`,
      fields: ['ti_external_id__c'],
    });
  });

  it('refuses a parent that does not exist, by external ID or by Id', async () => {
    const byExt = await org.api<ErrorBody>('POST', '/sobjects/RetailStore', {
      Name: 'x',
      Account: { ti_external_id__c: 'NOPE' },
    });
    expect(byExt.body[0]).toMatchObject({
      errorCode: 'INVALID_FIELD',
      message: 'Foreign key external ID: NOPE not found for field ti_external_id__c in entity Account',
    });
    const byId = await org.api<ErrorBody>('POST', '/sobjects/RetailStore', {
      Name: 'x',
      AccountId: '001000000000000AAA',
    });
    expect(byId.body[0]?.errorCode).toBe('INVALID_CROSS_REFERENCE_KEY');
    const wrongType = await org.api<ErrorBody>('POST', '/sobjects/RetailStore', {
      Name: 'x',
      AccountId: '0ZS000000000000',
    });
    expect(wrongType.body[0]?.errorCode).toBe('FIELD_INTEGRITY_EXCEPTION');
  });

  it('answers 405 for a method the resource does not take and 404 for an unknown resource', async () => {
    const wrong = await org.api<ErrorBody>('PUT', '/sobjects/Account', {});
    expect(wrong.status).toBe(405);
    expect(wrong.body[0]?.errorCode).toBe('METHOD_NOT_ALLOWED');
    expect((await org.api('GET', '/nothing/here')).status).toBe(404);
    expect((await org.api('POST', '/services/data/v30.0/composite/sobjects', { records: [] })).status).toBe(
      404,
    );
  });

  it('lists versions and resources', async () => {
    const versions = await org.api<Array<{ version: string; label: string }>>('GET', '/services/data');
    expect(versions.body.at(-1)).toEqual({
      label: "Winter '25",
      url: '/services/data/v62.0',
      version: '62.0',
    });
    const resources = await org.api<Record<string, string>>('GET', '/');
    expect(resources.body.sobjects).toBe('/services/data/v62.0/sobjects');
  });
});
