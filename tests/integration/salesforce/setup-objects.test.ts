/**
 * Setup objects through SOQL (DuplicateRule, MatchingRule), computed from the schema's duplicate
 * rules and the org settings, and the admin endpoint that changes those settings while running.
 */
import jsforce from 'jsforce';
import { call, type ErrorBody, type Org, startOrg } from './support.js';

let org: Org;

type Page = { totalSize: number; done: boolean; records: Array<Record<string, unknown>> };

const q = (soql: string, version = '62.0') =>
  org.api<Page>('GET', `/services/data/v${version}/query?q=${encodeURIComponent(soql)}`);
const admin = (method: string, body?: unknown) =>
  call<Record<string, unknown>>(org.emulator.url, method, '/__emulator/org-settings', undefined, body);

const NEW_ORG = {
  duplicateRules: true,
  stateCountryPicklists: true,
  restrictedPicklists: true,
  fieldLevelSecurity: true,
  validationRules: true,
};

beforeAll(async () => {
  org = await startOrg();
});

afterAll(async () => {
  await org.close();
});

afterEach(() => {
  org.emulator.setOrgSettings({});
});

describe('DuplicateRule through SOQL', () => {
  it('lists the Standard Account Duplicate Rule, active in a new org', async () => {
    const reply = await q(
      'SELECT Id, DeveloperName, MasterLabel, IsActive, SobjectType, SobjectSubtype, NamespacePrefix FROM DuplicateRule',
    );
    expect(reply.status).toBe(200);
    expect(reply.body.totalSize).toBe(1);
    const [rule] = reply.body.records;
    const id = String(rule?.Id);
    expect(id).toMatch(/^0Bm[0-9A-Za-z]{15}$/);
    expect(rule).toEqual({
      attributes: { type: 'DuplicateRule', url: `/services/data/v62.0/sobjects/DuplicateRule/${id}` },
      Id: id,
      DeveloperName: 'Standard_Account_Duplicate_Rule',
      MasterLabel: 'Standard Account Duplicate Rule',
      IsActive: true,
      SobjectType: 'Account',
      SobjectSubtype: 'None',
      NamespacePrefix: null,
    });
  });

  it('reports IsActive false once the org settings turn the Account rule off, and filters on it', async () => {
    org.emulator.setOrgSettings({ duplicateRules: { Account: false } });
    const all = await q('SELECT DeveloperName, IsActive FROM DuplicateRule');
    expect(all.body.records.map((r) => r.IsActive)).toEqual([false]);
    const active = await q(
      "SELECT COUNT() FROM DuplicateRule WHERE IsActive = true AND SobjectType = 'Account'",
    );
    expect(active.body).toEqual({ totalSize: 0, done: true, records: [] });
  });

  it('answers through jsforce’s query as through plain HTTP', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: org.emulator.instanceUrl, clientId, clientSecret },
      version: org.emulator.apiVersion,
    });
    await conn.authorize({ grant_type: 'client_credentials' });
    const result = await conn.query<{ DeveloperName: string; IsActive: boolean }>(
      "SELECT DeveloperName, IsActive FROM DuplicateRule WHERE SobjectType = 'Account' ORDER BY DeveloperName",
    );
    expect(result.records.map((r) => [r.DeveloperName, r.IsActive])).toEqual([
      ['Standard_Account_Duplicate_Rule', true],
    ]);
  });

  it('refuses fields it does not have and versions before the object (32.0) and IsActive (35.0)', async () => {
    const unknown = await q('SELECT Name FROM DuplicateRule');
    expect(unknown.status).toBe(400);
    expect((unknown.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALID_FIELD');
    expect((unknown.body as unknown as ErrorBody)[0]?.message).toContain(
      "No such column 'Name' on entity 'DuplicateRule'",
    );
    const early = await q('SELECT DeveloperName FROM DuplicateRule', '31.0');
    expect((early.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALID_TYPE');
    const noIsActive = await q('SELECT IsActive FROM DuplicateRule', '34.0');
    expect((noIsActive.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALID_FIELD');
    const ok = await q('SELECT DeveloperName FROM DuplicateRule', '34.0');
    expect(ok.body.records.map((r) => r.DeveloperName)).toEqual(['Standard_Account_Duplicate_Rule']);
  });
});

describe('MatchingRule through SOQL', () => {
  it('lists the Standard Account Matching Rule, active whatever the duplicate rule’s state', async () => {
    org.emulator.setOrgSettings({ duplicateRules: false });
    const reply = await q(
      'SELECT DeveloperName, MasterLabel, SobjectType, RuleStatus, MatchEngine FROM MatchingRule',
    );
    expect(reply.body.records.map(({ attributes: _a, ...rest }) => rest)).toEqual([
      {
        DeveloperName: 'Standard_Account_Match_Rule_v1_0',
        MasterLabel: 'Standard Account Matching Rule',
        SobjectType: 'Account',
        RuleStatus: 'Active',
        MatchEngine: 'FuzzyMatchEngine',
      },
    ]);
    const early = await q('SELECT DeveloperName FROM MatchingRule', '32.0');
    expect((early.body as unknown as ErrorBody)[0]?.errorCode).toBe('INVALID_TYPE');
  });
});

describe('GET and POST /__emulator/org-settings', () => {
  it('answers the settings in force, a new org’s at start', async () => {
    const reply = await admin('GET');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(NEW_ORG);
  });

  it('changes the keys the body names, keeps the others, and the org follows at once', async () => {
    const first = await admin('POST', { restrictedPicklists: false });
    expect(first.body).toEqual({ ...NEW_ORG, restrictedPicklists: false });
    const second = await admin('POST', { duplicateRules: { Account: false } });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      ...NEW_ORG,
      restrictedPicklists: false,
      duplicateRules: { Account: false },
    });
    expect(org.emulator.orgSettings()).toEqual(second.body);
    const rule = await q('SELECT IsActive FROM DuplicateRule');
    expect(rule.body.records.map((r) => r.IsActive)).toEqual([false]);
  });

  it('refuses an unknown key or a wrong value, naming it and the accepted keys, and changes nothing', async () => {
    const unknown = await admin('POST', { duplicateRule: false });
    expect(unknown.status).toBe(400);
    expect(String(unknown.body.error)).toMatch(/^org settings body is invalid: .*duplicateRule/);
    expect(String(unknown.body.error)).toContain(
      'Accepted keys: duplicateRules (boolean or {"<Object>": boolean}), stateCountryPicklists, restrictedPicklists, fieldLevelSecurity, validationRules (booleans)',
    );
    const wrong = await admin('POST', { validationRules: 'no' });
    expect(wrong.status).toBe(400);
    expect(String(wrong.body.error)).toContain('validationRules');
    const notObject = await admin('POST', [true]);
    expect(notObject.status).toBe(400);
    const notJson = await admin('POST', '{nope');
    expect(notJson.status).toBe(400);
    expect(String(notJson.body.error)).toMatch(/^org settings body is not JSON/);
    expect((await admin('GET')).body).toEqual(NEW_ORG);
  });

  it('refuses other methods with 405', async () => {
    const reply = await admin('DELETE');
    expect(reply.status).toBe(405);
    expect(reply.body.error).toBe('use GET or POST on /__emulator/org-settings, not DELETE');
  });
});
