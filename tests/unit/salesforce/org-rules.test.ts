import { COUNTRIES } from '../../../src/emulators/salesforce/countries.js';
import {
  allowSaveFrom,
  duplicateKey,
  duplicatesDetected,
  normalizeCompanyName,
  otherFieldsMatch,
  singleRecordError,
} from '../../../src/emulators/salesforce/duplicates.js';
import { buildSchema, loadSchema } from '../../../src/emulators/salesforce/schema.js';
import { loadOrgSettings, parseOrgSettings, relax } from '../../../src/emulators/salesforce/settings.js';

const ext = { type: 'string', length: 20, externalId: true, unique: true };

describe('company-name normalisation (duplicate rule subset)', () => {
  it.each([
    ['Distribuidora Andina S.A.S.', 'distribuidora andina'],
    ['DISTRIBUIDORA ANDINA SAS', 'distribuidora andina'],
    ['distribuidora  andina, s.a.s', 'distribuidora andina'],
    ['Distribuidora Andina Ltda.', 'distribuidora andina'],
    ['Agropecuaria Córdoba & Cía S.A.', 'agropecuaria cordoba and'],
    ['Acme, Inc.', 'acme'],
    ['S.A.S.', 'sas'],
    ['Café Ñandú Co', 'cafe nandu'],
  ])('%s → %s', (name, normalised) => {
    expect(normalizeCompanyName(name)).toBe(normalised);
  });

  it('matches on name plus billing city or phone, never on blanks', () => {
    const rule = loadSchema().byLower.get('account')?.duplicateRule;
    if (!rule) throw new Error('the shipped Account has a duplicate rule');
    const a = { Name: 'Andina S.A.', BillingCity: 'Medellín', Phone: null };
    expect(duplicateKey(rule, a)).toBe('andina');
    expect(otherFieldsMatch(rule, a, { Name: 'ANDINA', BillingCity: 'MEDELLIN', Phone: null })).toBe(true);
    expect(otherFieldsMatch(rule, a, { Name: 'Andina', BillingCity: 'Cali', Phone: null })).toBe(false);
    expect(
      otherFieldsMatch(rule, { ...a, BillingCity: null }, { Name: 'Andina', BillingCity: null, Phone: null }),
    ).toBe(false);
    expect(
      otherFieldsMatch(
        rule,
        { ...a, Phone: '+57 (604) 444-1234' },
        { Name: 'x', BillingCity: null, Phone: '576044441234' },
      ),
    ).toBe(true);
  });

  it('shows the matches to single-record calls only (duplicateResut, sic), not in Collections JSON', () => {
    const accountDef = loadSchema().byLower.get('account');
    const rule = accountDef?.duplicateRule;
    if (!accountDef || !rule) throw new Error('the shipped Account has a duplicate rule');
    const error = duplicatesDetected(rule, accountDef, [{ Id: '001000000000001AAA' }], '62.0');
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      statusCode: 'DUPLICATES_DETECTED',
      message: 'Use one of these records?',
      fields: [],
    });
    expect(singleRecordError(error)).toMatchObject({
      duplicateResut: { duplicateRule: 'Standard_Account_Duplicate_Rule', matchResults: [{ size: 1 }] },
      errorCode: 'DUPLICATES_DETECTED',
      message: 'Use one of these records?',
    });
    expect(singleRecordError({ statusCode: 'X', message: 'm', fields: ['F'] })).toEqual({
      message: 'm',
      errorCode: 'X',
      fields: ['F'],
    });
  });

  it('reads allowSave from the Sforce-Duplicate-Rule-Header', () => {
    expect(allowSaveFrom('allowSave=true')).toBe(true);
    expect(allowSaveFrom('includeRecordDetails=true; allowSave = TRUE; runAsCurrentUser=false')).toBe(true);
    expect(allowSaveFrom('allowSave=false; includeRecordDetails=true')).toBe(false);
    expect(allowSaveFrom(undefined)).toBe(false);
  });
});

describe('org settings', () => {
  it('ships a new org: everything on', () => {
    expect(loadOrgSettings()).toMatchObject({
      duplicateRules: true,
      stateCountryPicklists: true,
      restrictedPicklists: true,
      fieldLevelSecurity: true,
      validationRules: true,
    });
    expect(parseOrgSettings({})).toEqual({
      duplicateRules: true,
      stateCountryPicklists: true,
      restrictedPicklists: true,
      fieldLevelSecurity: true,
      validationRules: true,
    });
  });

  it('refuses unknown keys and wrong types naming what is accepted', () => {
    expect(() => parseOrgSettings({ dupRules: false })).toThrow(
      /Unrecognized key.*dupRules.*Accepted keys: duplicateRules/,
    );
    expect(() => parseOrgSettings({ validationRules: 'no' })).toThrow(
      /validationRules: Invalid input: expected boolean, received string/,
    );
    expect(() => loadOrgSettings('/nonexistent/org-settings.json')).toThrow(/cannot read org settings/);
  });

  it('relaxes named switches and refuses unknown names', () => {
    expect(relax(parseOrgSettings({}), ['duplicateRules', 'validationRules'])).toMatchObject({
      duplicateRules: false,
      validationRules: false,
      stateCountryPicklists: true,
    });
    expect(() => relax(parseOrgSettings({}), ['picklists'])).toThrow(
      "cannot relax 'picklists': accepted are duplicateRules, stateCountryPicklists, restrictedPicklists, fieldLevelSecurity, validationRules",
    );
  });
});

describe('org schema: picklists, addresses, validation and duplicate rules', () => {
  it('ships Account.Type restricted, address code fields and the Standard Account Duplicate Rule', () => {
    const schema = loadSchema();
    const accountDef = schema.byLower.get('account');
    expect(accountDef?.fieldsByLower.get('type')).toMatchObject({
      restricted: true,
      picklistValues: expect.arrayContaining(['Other']),
    });
    expect(
      accountDef?.addresses.map((a) => [a.countryCode.name, a.stateCode.name, a.stateCode.controllerName]),
    ).toEqual([
      ['BillingCountryCode', 'BillingStateCode', 'BillingCountryCode'],
      ['ShippingCountryCode', 'ShippingStateCode', 'ShippingCountryCode'],
    ]);
    expect(schema.byLower.get('retailstore')?.addresses.map((a) => a.state.name)).toEqual(['State']);
    expect(accountDef?.duplicateRule).toMatchObject({
      name: 'Standard_Account_Duplicate_Rule',
      anyOf: [{ name: 'BillingCity' }, { name: 'Phone' }],
    });
  });

  it('holds Colombia with its 33 first-level subdivisions', () => {
    const colombia = COUNTRIES.find((c) => c.code === 'CO');
    expect(colombia?.states).toHaveLength(33);
    expect(new Set(colombia?.states.map((s) => s.code)).size).toBe(33);
    expect(colombia?.states.every((s) => /^[A-Z]{2,3}$/.test(s.code))).toBe(true);
  });

  it.each([
    [
      { P: { type: 'string', length: 5, restricted: true } },
      undefined,
      /picklistValues and restricted apply to picklists only/,
    ],
    [
      { P: { type: 'picklist', length: 5, restricted: true } },
      undefined,
      /a restricted picklist needs picklistValues/,
    ],
    [
      { P: { type: 'picklist', length: 3, picklistValues: ['Long'] } },
      undefined,
      /picklist value 'Long' is longer than the field \(3\)/,
    ],
    [{}, { addresses: ['Billing'] }, /address 'Billing': needs a field BillingCountry/],
    [
      { Phone: { type: 'phone', length: 40 } },
      { validationRules: [{ name: 'R', kind: 'regex', field: 'Phone', pattern: '(', errorMessage: 'm' }] },
      /validation rule R: pattern is not a regular expression/,
    ],
    [
      {},
      { validationRules: [{ name: 'R', kind: 'range', field: 'Nope', errorMessage: 'm', min: 1 }] },
      /validation rule R: needs a field Nope/,
    ],
    [
      {},
      { duplicateRule: { name: 'D', matchingRule: 'M', nameField: 'Nope', anyOf: ['K'] } },
      /duplicate rule D: needs a field Nope/,
    ],
  ])('refuses a wrong definition (%#)', (fields, extra, message) => {
    const document = { objects: { X: { keyPrefix: 'a01', fields: { K: ext, ...fields }, ...extra } } };
    expect(() => buildSchema(document)).toThrow(message);
  });
});
