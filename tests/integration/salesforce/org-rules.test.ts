/**
 * The org refuses what a new Salesforce org refuses — duplicate rules, state and country/territory
 * picklists, restricted picklists, field-level security, validation rules, UTF-16 lengths, the
 * date range — through real HTTP, and each org setting turns its behaviour off.
 */
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  account,
  call,
  type ErrorBody,
  type Org,
  type SaveResult,
  startOrg,
  store,
  tempDir,
} from './support.js';

const FIXTURE_SCHEMA = join(process.cwd(), 'tests/fixtures/salesforce/org-rules-schema.json');

type DuplicateError = SaveResult['errors'][number] & {
  duplicateResult?: { matchResults: Array<{ matchRecords: Array<{ record: { Id: string } }> }> };
};
type Results = Array<Omit<SaveResult, 'errors'> & { errors: DuplicateError[] }>;

const upsert = (org: Org, object: string, records: unknown[], headers: Record<string, string> = {}) =>
  org.api<Results>(
    'PATCH',
    `/composite/sobjects/${object}/ti_external_id__c`,
    { allOrNone: false, records },
    headers,
  );

const ALLOW_SAVE = { 'Sforce-Duplicate-Rule-Header': 'allowSave=true; includeRecordDetails=false' };

const read = async (org: Org, object: string, key: string, fields: string) =>
  (
    await org.api<Record<string, unknown>>(
      'GET',
      `/sobjects/${object}/ti_external_id__c/${encodeURIComponent(key)}?fields=${fields}`,
    )
  ).body;

const failure = (statusCode: string, message: string, fields: string[]) => ({
  success: false,
  errors: [{ statusCode, message, fields }],
});

type Job = Record<string, unknown> & { id: string; state: string };

/** Runs a Bulk API 2.0 upsert job to completion and answers its failedResults lines. */
async function bulkUpsert(org: Org, object: string, csv: string): Promise<string[]> {
  const job = (
    await org.api<Job>('POST', '/jobs/ingest', {
      object,
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      contentType: 'CSV',
      lineEnding: 'LF',
    })
  ).body;
  await org.api('PUT', `/jobs/ingest/${job.id}/batches`, csv, { 'content-type': 'text/csv' });
  await org.api('PATCH', `/jobs/ingest/${job.id}`, { state: 'UploadComplete' });
  for (let i = 0; i < 300; i++) {
    const info = await org.api<Job>('GET', `/jobs/ingest/${job.id}`);
    if (info.body.state === 'JobComplete') break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return (await org.api('GET', `/jobs/ingest/${job.id}/failedResults`)).text.trimEnd().split('\n');
}

describe('duplicate rules (Standard Account Duplicate Rule, alert on create and edit)', () => {
  let org: Org;
  let firstId: string;
  let savedDuplicateId: string;
  beforeAll(async () => {
    org = await startOrg();
    const reply = await upsert(org, 'Account', [
      account('D1', {
        Name: 'Distribuidora Andina S.A.S.',
        BillingCity: 'Medellín',
        Phone: '+57 (4) 444-1234',
      }),
    ]);
    firstId = reply.body[0]?.id as string;
  });
  afterAll(async () => {
    await org.close();
  });

  it('blocks a create whose normalised name and billing city match (Collections: the documented shape)', async () => {
    const reply = await upsert(org, 'Account', [
      account('D2', { Name: 'DISTRIBUIDORA ANDINA SAS', BillingCity: 'medellin' }),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([failure('DUPLICATES_DETECTED', 'Use one of these records?', [])]);
    expect(await read(org, 'Account', 'ITALCOL-D2', 'Id')).toEqual([
      { errorCode: 'NOT_FOUND', message: 'The requested resource does not exist' },
    ]);
  });

  it('matches on the phone digits too, and not on the name alone', async () => {
    const reply = await upsert(org, 'Account', [
      account('D3', { Name: 'Distribuidora Andina Ltda.', Phone: '5744441234' }),
      account('D4', { Name: 'Distribuidora Andina', BillingCity: 'Cali', Phone: '602 555 0000' }),
    ]);
    expect(reply.body.map((r) => (r.success ? 'ok' : r.errors[0]?.statusCode))).toEqual([
      'DUPLICATES_DETECTED',
      'ok',
    ]);
  });

  it('saves the duplicate with Sforce-Duplicate-Rule-Header allowSave=true', async () => {
    const reply = await upsert(
      org,
      'Account',
      [account('D5', { Name: 'Distribuidora Andina S.A.S', BillingCity: 'MEDELLIN' })],
      ALLOW_SAVE,
    );
    expect(reply.body).toEqual([
      { id: expect.stringMatching(/^001\w{15}$/), success: true, errors: [], created: true },
    ]);
    savedDuplicateId = reply.body[0]?.id as string;
  });

  it('alerts on edit too: updating either of two duplicates fails without the header', async () => {
    const again = await upsert(org, 'Account', [
      account('D1', {
        Name: 'Distribuidora Andina S.A.S.',
        BillingCity: 'Medellín',
        Phone: '+57 (4) 444-1234',
      }),
    ]);
    expect(again.body[0]?.errors[0]?.statusCode).toBe('DUPLICATES_DETECTED');
    const allowed = await upsert(
      org,
      'Account',
      [account('D1', { Name: 'Distribuidora Andina S.A.S.', ti_activo__c: true })],
      ALLOW_SAVE,
    );
    expect(allowed.body).toEqual([{ id: firstId, success: true, errors: [], created: false }]);
  });

  it('ignores the header before API v52.0, where it does not exist', async () => {
    const reply = await org.api<Results>(
      'PATCH',
      '/services/data/v51.0/composite/sobjects/Account/ti_external_id__c',
      { records: [account('D11', { Name: 'Distribuidora Andina', BillingCity: 'Medellín' })] },
      ALLOW_SAVE,
    );
    expect(reply.body[0]?.errors[0]?.statusCode).toBe('DUPLICATES_DETECTED');
  });

  it('answers a single-record create 400 with duplicateResut (sic) naming the duplicate', async () => {
    const reply = await org.api<ErrorBody>('POST', '/sobjects/Account', {
      ti_external_id__c: 'ITALCOL-D6',
      Name: 'distribuidora andina, s.a.s.',
      BillingCity: 'Medellin',
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([
      {
        duplicateResut: {
          allowSave: true,
          duplicateRule: 'Standard_Account_Duplicate_Rule',
          duplicateRuleEntityType: 'Account',
          errorMessage: 'Use one of these records?',
          matchResults: [
            {
              entityType: 'Account',
              errors: [],
              matchEngine: 'FuzzyMatchEngine',
              matchRecords: [firstId, savedDuplicateId].map((id) => ({
                additionalInformation: [],
                fieldDiffs: [],
                matchConfidence: 100,
                record: {
                  attributes: { type: 'Account', url: `/services/data/v62.0/sobjects/Account/${id}` },
                  Id: id,
                },
              })),
              rule: 'Standard_Account_Match_Rule_v1_0',
              size: 2,
              success: true,
            },
          ],
        },
        errorCode: 'DUPLICATES_DETECTED',
        message: 'Use one of these records?',
      },
    ]);
    const allowed = await org.api(
      'PATCH',
      '/sobjects/Account/ti_external_id__c/ITALCOL-D6',
      { Name: 'distribuidora andina, s.a.s.', BillingCity: 'Medellin' },
      ALLOW_SAVE,
    );
    expect(allowed.status).toBe(201);
  });

  it('blocks Bulk API 2.0 rows (no duplicate rule header there)', async () => {
    const failed = await bulkUpsert(
      org,
      'Account',
      'ti_external_id__c,Name,BillingCity\nITALCOL-D7,Distribuidora Andina SAS,Medellín\n',
    );
    expect(failed).toEqual([
      '"sf__Id","sf__Error","ti_external_id__c","Name","BillingCity"',
      '"","DUPLICATES_DETECTED:Use one of these records?: --","ITALCOL-D7","Distribuidora Andina SAS","Medellín"',
    ]);
  });

  it('lets the rule be deactivated per object or for all', async () => {
    org.emulator.setOrgSettings({ duplicateRules: { Account: false } });
    const perObject = await upsert(org, 'Account', [
      account('D8', { Name: 'Distribuidora Andina', BillingCity: 'Medellín' }),
    ]);
    org.emulator.setOrgSettings({ duplicateRules: false });
    const all = await upsert(org, 'Account', [
      account('D9', { Name: 'Distribuidora Andina', BillingCity: 'Medellín' }),
    ]);
    org.emulator.setOrgSettings({});
    const back = await upsert(org, 'Account', [
      account('D10', { Name: 'Distribuidora Andina', BillingCity: 'Medellín' }),
    ]);
    expect(
      [perObject, all, back].map((r) => (r.body[0]?.success ? 'ok' : r.body[0]?.errors[0]?.statusCode)),
    ).toEqual(['ok', 'ok', 'DUPLICATES_DETECTED']);
  });
});

describe('state and country/territory picklists', () => {
  let org: Org;
  beforeAll(async () => {
    org = await startOrg();
  });
  afterAll(async () => {
    await org.close();
  });

  it('takes codes and fills the names with the integration values (Account and RetailStore)', async () => {
    const reply = await upsert(org, 'Account', [
      account('S1', {
        BillingCountryCode: 'CO',
        BillingStateCode: 'ANT',
        ShippingCountryCode: 'CO',
        ShippingStateCode: 'DC',
      }),
    ]);
    expect(reply.body[0]?.success).toBe(true);
    expect(
      await read(
        org,
        'Account',
        'ITALCOL-S1',
        'BillingCountryCode,BillingCountry,BillingStateCode,BillingState,ShippingState',
      ),
    ).toMatchObject({
      BillingCountryCode: 'CO',
      BillingCountry: 'Colombia',
      BillingStateCode: 'ANT',
      BillingState: 'Antioquia',
      ShippingState: 'Distrito Capital de Bogotá',
    });
    const stores = await upsert(org, 'RetailStore', [
      store('S1', 'S1', { CountryCode: 'CO', StateCode: 'VAC' }),
    ]);
    expect(stores.body[0]?.success).toBe(true);
    expect(await read(org, 'RetailStore', 'ITALCOL-SS1', 'Country,State,StateCode')).toMatchObject({
      Country: 'Colombia',
      State: 'Valle del Cauca',
      StateCode: 'VAC',
    });
  });

  it('takes integration values and fills the codes', async () => {
    const reply = await upsert(org, 'Account', [
      account('S2', { BillingCountry: 'Colombia', BillingState: 'Atlántico' }),
    ]);
    expect(reply.body[0]?.success).toBe(true);
    expect(await read(org, 'Account', 'ITALCOL-S2', 'BillingCountryCode,BillingStateCode')).toMatchObject({
      BillingCountryCode: 'CO',
      BillingStateCode: 'ATL',
    });
  });

  it('refuses with FIELD_INTEGRITY_EXCEPTION what the picklists do not hold', async () => {
    const reply = await upsert(org, 'Account', [
      account('S3', { BillingState: 'Antioquia' }),
      account('S4', { BillingCountryCode: 'XX' }),
      account('S5', { BillingCountryCode: 'CO', BillingStateCode: 'CA' }),
      account('S6', { BillingCountryCode: 'CO', BillingStateCode: 'ZZZ' }),
      account('S7', { BillingCountry: 'Kolumbia' }),
      account('S8', { BillingCountry: 'Colombia', BillingState: 'Antiokia' }),
      account('S9', { BillingCountryCode: 'US', BillingCountry: 'Colombia' }),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual([
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        'A country/territory must be specified before specifying a state value for field: Billing State/Province',
        ['BillingState'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        "The BillingCountryCode field contains XX, which isn't an available country/territory. Your administrator can add it for you.",
        ['BillingCountryCode'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        "The existing country/territory doesn't recognize the state value for field: Billing State/Province Code",
        ['BillingStateCode'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        "The BillingStateCode field contains ZZZ, which isn't an available state. Your administrator can add it for you.",
        ['BillingStateCode'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        "There's a problem with this country, even though it may appear correct. Please select a country/territory from the list of valid countries.: Billing Country",
        ['BillingCountry'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        "There's a problem with this state, even though it may appear correct. Please select a state from the list of valid states.: Billing State/Province",
        ['BillingState'],
      ),
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        'Billing Country Code: the code US and the integration value Colombia name different countries/territories',
        ['BillingCountryCode'],
      ),
    ]);
  });

  it('refuses a country change that leaves the state behind, and clears the state with the country', async () => {
    await upsert(org, 'Account', [account('S10', { BillingCountryCode: 'CO', BillingStateCode: 'CUN' })]);
    const moved = await upsert(org, 'Account', [account('S10', { BillingCountryCode: 'US' })]);
    expect(moved.body[0]?.errors[0]?.message).toBe(
      "The existing country/territory doesn't recognize the state value for field: Billing State/Province Code",
    );
    const cleared = await upsert(org, 'Account', [account('S10', { BillingCountryCode: null })]);
    expect(cleared.body[0]?.success).toBe(true);
    expect(
      await read(org, 'Account', 'ITALCOL-S10', 'BillingCountry,BillingStateCode,BillingState'),
    ).toMatchObject({
      BillingCountry: null,
      BillingStateCode: null,
      BillingState: null,
    });
  });

  it('answers a single-record upsert 400 FIELD_INTEGRITY_EXCEPTION', async () => {
    const reply = await org.api<ErrorBody>('PATCH', '/sobjects/RetailStore/ti_external_id__c/ITALCOL-S11', {
      Name: 'Tienda',
      Account: { ti_external_id__c: 'ITALCOL-S1' },
      State: 'Antioquia',
    });
    expect(reply.status).toBe(400);
    expect(reply.body).toEqual([
      {
        errorCode: 'FIELD_INTEGRITY_EXCEPTION',
        message:
          'A country/territory must be specified before specifying a state value for field: State/Province',
        fields: ['State'],
      },
    ]);
  });

  it('describes the code fields as restricted picklists, the state dependent on the country', async () => {
    const reply = await org.api<{ fields: Array<Record<string, unknown>> }>(
      'GET',
      '/sobjects/Account/describe',
    );
    const field = (name: string) => reply.body.fields.find((f) => f.name === name) as Record<string, unknown>;
    const country = field('BillingCountryCode');
    const state = field('BillingStateCode');
    expect(country).toMatchObject({
      type: 'picklist',
      restrictedPicklist: true,
      controllerName: null,
      dependentPicklist: false,
    });
    expect((country.picklistValues as Array<{ value: string }>).map((v) => v.value)).toEqual([
      'CO',
      'EC',
      'PA',
      'PE',
      'ES',
      'US',
      'VE',
    ]);
    expect(state).toMatchObject({
      controllerName: 'BillingCountryCode',
      dependentPicklist: true,
      restrictedPicklist: true,
    });
    const states = state.picklistValues as Array<{ value: string; label: string; validFor: string }>;
    expect(states).toHaveLength(33 + 51);
    expect(states[1]).toEqual({
      active: true,
      defaultValue: false,
      label: 'Antioquia',
      validFor: 'gA==',
      value: 'ANT',
    });
    expect(states.find((v) => v.value === 'TX')?.validFor).toBe('BA==');
  });

  it('with stateCountryPicklists off has no code fields and takes free text, which later saves leave alone', async () => {
    org.emulator.setOrgSettings({ stateCountryPicklists: false });
    const reply = await upsert(org, 'Account', [
      account('S12', { BillingState: 'Antioquia', BillingCountry: 'Kolumbia' }),
    ]);
    const code = await org.api<ErrorBody>('PATCH', '/composite/sobjects/Account/ti_external_id__c', {
      records: [account('S13', { BillingStateCode: 'ANT' })],
    });
    const described = await org.api<{ fields: Array<{ name: string }> }>('GET', '/sobjects/Account/describe');
    org.emulator.setOrgSettings({});
    expect(reply.body[0]?.success).toBe(true);
    expect(await read(org, 'Account', 'ITALCOL-S12', 'BillingState,BillingCountry')).toMatchObject({
      BillingState: 'Antioquia',
      BillingCountry: 'Kolumbia',
    });
    expect(code.status).toBe(400);
    expect(code.body).toEqual([
      { errorCode: 'INVALID_FIELD', message: "No such column 'BillingStateCode' on sobject of type Account" },
    ]);
    const untouched = await upsert(org, 'Account', [account('S12', { Phone: '1' })]);
    expect(untouched.body[0]?.success).toBe(true);
    expect(await read(org, 'Account', 'ITALCOL-S12', 'BillingCountry')).toMatchObject({
      BillingCountry: 'Kolumbia',
    });
    expect(described.body.fields.map((f) => f.name).filter((n) => /(Country|State)Code$/.test(n))).toEqual(
      [],
    );
  });
});

describe('restricted picklists', () => {
  let org: Org;
  beforeAll(async () => {
    org = await startOrg();
  });
  afterAll(async () => {
    await org.close();
  });

  it('refuses a value outside Account.Type with INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST', async () => {
    const reply = await upsert(org, 'Account', [
      account('R1', { Type: 'Customer - Direct' }),
      account('R2', { Type: 'Cliente' }),
      account('R3', { Type: null }),
    ]);
    expect(reply.body.slice(1, 2)).toEqual([
      failure(
        'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
        'Account Type: bad value for restricted picklist field: Cliente',
        ['Type'],
      ),
    ]);
    expect(reply.body.map((r) => r.success)).toEqual([true, false, true]);
    const single = await org.api<ErrorBody>('PATCH', '/sobjects/Account/ti_external_id__c/ITALCOL-R4', {
      Name: 'Cliente R4',
      Type: 'customer - direct',
    });
    expect(single.status).toBe(400);
    expect(single.body[0]?.errorCode).toBe('INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST');
  });

  it('refuses it in Bulk API 2.0 rows', async () => {
    const failed = await bulkUpsert(
      org,
      'Account',
      'ti_external_id__c,Name,Type\nITALCOL-R5,Cliente R5,Mayorista\n',
    );
    expect(failed[1]).toBe(
      '"","INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST:Account Type: bad value for restricted picklist field: Mayorista:Type --","ITALCOL-R5","Cliente R5","Mayorista"',
    );
  });

  it('describes the value set, and restrictedPicklists off takes any value', async () => {
    const describe = await org.api<{ fields: Array<Record<string, unknown>> }>(
      'GET',
      '/sobjects/Account/describe',
    );
    const type = describe.body.fields.find((f) => f.name === 'Type') as Record<string, unknown>;
    expect(type.restrictedPicklist).toBe(true);
    expect((type.picklistValues as Array<{ value: string }>).map((v) => v.value)).toEqual([
      'Prospect',
      'Customer - Direct',
      'Customer - Channel',
      'Channel Partner / Reseller',
      'Installation Partner',
      'Technology Partner',
      'Other',
    ]);
    org.emulator.setOrgSettings({ restrictedPicklists: false });
    const reply = await upsert(org, 'Account', [account('R6', { Type: 'Mayorista' })]);
    org.emulator.setOrgSettings({});
    expect(reply.body[0]?.success).toBe(true);
  });
});

describe('field-level security and validation rules (fixture schema)', () => {
  let org: Org;
  beforeAll(async () => {
    org = await startOrg({ schemaPath: FIXTURE_SCHEMA });
  });
  afterAll(async () => {
    await org.close();
  });

  const readOnly = (names: string[]) =>
    failure(
      'INVALID_FIELD_FOR_INSERT_UPDATE',
      `Unable to create/update fields: ${names.join(', ')}. Please check the security settings of this field and verify that it is read/write for your profile or permission set.`,
      names,
    );

  it('refuses fields the integration user may not create or edit (INVALID_FIELD_FOR_INSERT_UPDATE)', async () => {
    const created = await upsert(org, 'Account', [
      account('F1', { ti_calificacion__c: 'A' }),
      account('F2', { ti_codigo_interno__c: 'X-1' }),
    ]);
    expect(created.body[0]).toEqual(readOnly(['ti_calificacion__c']));
    expect(created.body[1]?.success).toBe(true);
    const updated = await upsert(org, 'Account', [account('F2', { ti_codigo_interno__c: 'X-2' })]);
    expect(updated.body).toEqual([readOnly(['ti_codigo_interno__c'])]);
  });

  it('shows field-level security in describe, and fieldLevelSecurity off lifts it', async () => {
    const fields = async () =>
      (
        await org.api<{ fields: Array<Record<string, unknown>> }>('GET', '/sobjects/Account/describe')
      ).body.fields
        .filter((f) => ['ti_calificacion__c', 'ti_codigo_interno__c'].includes(f.name as string))
        .map((f) => [f.name, f.createable, f.updateable]);
    expect(await fields()).toEqual([
      ['ti_calificacion__c', false, false],
      ['ti_codigo_interno__c', true, false],
    ]);
    org.emulator.setOrgSettings({ fieldLevelSecurity: false });
    const open = await fields();
    const reply = await upsert(org, 'Account', [account('F3', { ti_calificacion__c: 'A' })]);
    org.emulator.setOrgSettings({});
    expect(open).toEqual([
      ['ti_calificacion__c', true, true],
      ['ti_codigo_interno__c', true, true],
    ]);
    expect(reply.body[0]?.success).toBe(true);
  });

  it('fails FIELD_CUSTOM_VALIDATION_EXCEPTION with the rule message and error field', async () => {
    const reply = await upsert(org, 'Account', [
      account('V1', { ti_activo__c: true }),
      account('V2', { ti_email__c: 'ventas@gmail.com' }),
      account('V3', { ti_cupo_credito__c: -5 }),
      account('V4', {
        ti_activo__c: true,
        Phone: '604 444 1234',
        ti_email__c: 'ventas@italcol.com',
        ti_cupo_credito__c: 0,
      }),
      account('V5', { Type: 'Other' }),
    ]);
    expect(reply.body.slice(0, 3)).toEqual([
      failure('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'Un cliente activo necesita teléfono', ['Phone']),
      failure('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'El email debe ser del dominio italcol.com', []),
      failure('FIELD_CUSTOM_VALIDATION_EXCEPTION', 'El cupo va de 0 a 1.000.000.000', ['ti_cupo_credito__c']),
    ]);
    expect(reply.body.slice(3).map((r) => r.success)).toEqual([true, true]);
    const single = await org.api<ErrorBody>('POST', '/sobjects/Account', {
      ti_external_id__c: 'ITALCOL-V6',
      Name: 'V6',
      ti_activo__c: true,
    });
    expect(single.status).toBe(400);
    expect(single.body).toEqual([
      {
        errorCode: 'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        message: 'Un cliente activo necesita teléfono',
        fields: ['Phone'],
      },
    ]);
  });

  it('checks rules on the record as saved (an update that blanks a required-if field) and turns off', async () => {
    await upsert(org, 'Account', [account('V7', { ti_activo__c: true, Phone: '1' })]);
    const blanked = await upsert(org, 'Account', [account('V7', { Phone: null })]);
    expect(blanked.body[0]?.errors[0]?.statusCode).toBe('FIELD_CUSTOM_VALIDATION_EXCEPTION');
    org.emulator.setOrgSettings({ validationRules: false });
    const off = await upsert(org, 'Account', [account('V7', { Phone: null })]);
    org.emulator.setOrgSettings({});
    expect(off.body[0]?.success).toBe(true);
  });

  it('matches a case-sensitive external ID exactly', async () => {
    await upsert(org, 'Account', [account('P')]);
    const first = await upsert(org, 'RetailStore', [store('cs', 'P'), store('CS', 'P')]);
    expect(first.body.map((r) => [r.success, r.created])).toEqual([
      [true, true],
      [true, true],
    ]);
  });
});

describe('values', () => {
  let org: Org;
  beforeAll(async () => {
    org = await startOrg();
  });
  afterAll(async () => {
    await org.close();
  });

  it('counts string length in UTF-16 code units (an emoji is 2)', async () => {
    const fits = `${'a'.repeat(38)}😀`;
    const tooLong = `${'a'.repeat(39)}😀`;
    const reply = await upsert(org, 'Account', [
      account('U1', { AccountNumber: fits }),
      account('U2', { AccountNumber: tooLong }),
    ]);
    expect(reply.body[0]?.success).toBe(true);
    expect(reply.body[1]).toEqual(
      failure('STRING_TOO_LONG', `Account Number: data value too large: ${tooLong} (max length=40)`, [
        'AccountNumber',
      ]),
    );
  });

  it('refuses dates outside 1700-01-01..4000-12-31 per record', async () => {
    await upsert(org, 'Account', [account('A')]);
    const acuerdo = (key: string, inicio: string) => ({
      attributes: { type: 'ti_acuerdo__c' },
      ti_external_id__c: key,
      Name: key,
      ti_cuenta__r: { ti_external_id__c: 'ITALCOL-A' },
      ti_fecha_inicio__c: inicio,
    });
    const reply = await upsert(org, 'ti_acuerdo__c', [
      acuerdo('AC1', '1700-01-01'),
      acuerdo('AC2', '1699-12-31'),
      acuerdo('AC3', '4000-12-31'),
      acuerdo('AC4', '4001-01-01'),
    ]);
    expect(reply.status).toBe(200);
    expect(reply.body.map((r) => r.success)).toEqual([true, false, true, false]);
    expect(reply.body[1]).toEqual(
      failure(
        'FIELD_INTEGRITY_EXCEPTION',
        'Fecha de inicio: value out of range: 1699-12-31 (dates run from 1700-01-01 to 4000-12-31)',
        ['ti_fecha_inicio__c'],
      ),
    );
    const datetime = await upsert(org, 'Account', [
      account('U3', { ti_fecha_modificacion__c: '0999-05-01T00:00:00Z' }),
    ]);
    expect(datetime.body[0]?.errors[0]?.statusCode).toBe('FIELD_INTEGRITY_EXCEPTION');
  });

  it('matches external IDs case-insensitively by default', async () => {
    await upsert(org, 'Account', [account('P')]);
    const reply = await upsert(org, 'RetailStore', [store('ci', 'P')]);
    const again = await upsert(org, 'RetailStore', [store('CI', 'P')]);
    expect(again.body[0]).toEqual({ id: reply.body[0]?.id, success: true, errors: [], created: false });
  });
});

describe('command line', () => {
  const main = join(process.cwd(), 'src', 'emulators', 'salesforce', 'main.ts');
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts main.ts; answers its first stdout line (or the exit code and stderr) and the process. */
  function start(args: string[]) {
    const dir = tempDir();
    dirs.push(dir);
    const child = spawn(process.execPath, ['--import', 'tsx', main, '--data-dir', dir, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const outcome = new Promise<{ line?: string; code?: number | null; stderr: string }>((resolve) => {
      child.stdout.on('data', () => {
        if (out.includes('\n')) resolve({ line: out.split('\n')[0] as string, stderr: err });
      });
      child.once('exit', (code) => resolve({ code, stderr: err }));
    });
    return { child, outcome };
  }

  it('refuses an unknown --relax name and names the accepted ones', async () => {
    const { outcome } = start(['--relax', 'duplicateRules,picklists']);
    const result = await outcome;
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      "cannot relax 'picklists': accepted are duplicateRules, stateCountryPicklists, restrictedPicklists, fieldLevelSecurity, validationRules",
    );
  });

  it('starts a relaxed org with --relax', async () => {
    const { child, outcome } = start(['--relax', 'restrictedPicklists']);
    try {
      const { line } = await outcome;
      const ready = JSON.parse(line as string) as Record<string, string>;
      const token = (
        await call<{ access_token: string }>(
          ready.instanceUrl as string,
          'POST',
          '/services/oauth2/token',
          undefined,
          new URLSearchParams({
            grant_type: 'client_credentials',
            client_id: ready.clientId as string,
            client_secret: ready.clientSecret as string,
          }).toString(),
          { 'content-type': 'application/x-www-form-urlencoded' },
        )
      ).body.access_token;
      const reply = await call<SaveResult[]>(
        ready.instanceUrl as string,
        'PATCH',
        '/composite/sobjects/Account/ti_external_id__c',
        token,
        { allOrNone: false, records: [account('CLI1', { Type: 'Mayorista' })] },
      );
      expect(reply.body[0]?.success).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  }, 20000);
});
