/**
 * An established Salesforce client library, unchanged, against the strict emulator: jsforce gets
 * a token by the client-credentials flow on the My Domain host (its loginUrl set to the My Domain
 * URL, as Salesforce requires for that flow) or by JWT on the login host, describes, queries with
 * paging, upserts through sObject Collections and single records, runs a Bulk API 2.0 upsert.
 * The username-password flow is refused by a new org and works on an org that allows it, where
 * jsforce also logs in again by itself when its session expires.
 */
import { createSign } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import jsforce from 'jsforce';
import { type SalesforceEmulator, startSalesforceEmulator } from '../../../src/emulators/salesforce/index.js';
import { tempDir } from './support.js';

let emulator: SalesforceEmulator;
/** An org that still allows the username-password flow. */
let legacy: SalesforceEmulator;
const dataDirs = [tempDir(), tempDir()] as const;

beforeAll(async () => {
  emulator = await startSalesforceEmulator({ dataDir: dataDirs[0] });
  legacy = await startSalesforceEmulator({ dataDir: dataDirs[1], allowPasswordFlow: true });
});

afterAll(async () => {
  await emulator.stop();
  await legacy.stop();
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

/** jsforce with the client-credentials flow, which only the My Domain host serves. */
async function connect(): Promise<jsforce.Connection> {
  const { clientId, clientSecret } = emulator.credentials;
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: emulator.instanceUrl, clientId, clientSecret },
    version: emulator.apiVersion,
  });
  await conn.authorize({ grant_type: 'client_credentials' });
  return conn;
}

async function passwordLogin(org: SalesforceEmulator): Promise<jsforce.Connection> {
  const { clientId, clientSecret, username, password } = org.credentials;
  const conn = new jsforce.Connection({
    oauth2: { loginUrl: org.loginUrl, clientId, clientSecret },
    version: org.apiVersion,
  });
  await conn.login(username, password);
  return conn;
}

describe('jsforce against the emulator', () => {
  it('gets a token by client credentials on the My Domain host and reads the identity', async () => {
    const conn = await connect();
    expect(conn.instanceUrl).toBe(emulator.instanceUrl);
    expect(conn.accessToken).toEqual(expect.any(String));
    expect(conn.userInfo?.organizationId).toMatch(/^00D/);
    expect(conn.userInfo?.id).toMatch(/^005/);
  });

  it('is refused client credentials on the login host', async () => {
    const { clientId, clientSecret } = emulator.credentials;
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: emulator.loginUrl, clientId, clientSecret },
      version: emulator.apiVersion,
    });
    await expect(conn.authorize({ grant_type: 'client_credentials' })).rejects.toThrow(
      'request not supported on this domain',
    );
  });

  it('is refused the OAuth 2.0 password flow by a new org and logs in on an org that allows it', async () => {
    await expect(passwordLogin(emulator)).rejects.toThrow('authentication failure');
    const conn = await passwordLogin(legacy);
    expect(conn.instanceUrl).toBe(legacy.instanceUrl);
    expect(conn.userInfo?.organizationId).toMatch(/^00D/);
  });

  it('logs in with the JWT bearer flow through authorize()', async () => {
    const { clientId, username, privateKeyPath } = emulator.credentials;
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const unsigned = `${encode({ alg: 'RS256' })}.${encode({
      iss: clientId,
      sub: username,
      aud: 'https://login.salesforce.com',
      exp: Math.floor(Date.now() / 1000) + 180,
    })}`;
    const signature = createSign('RSA-SHA256')
      .update(unsigned)
      .sign(readFileSync(privateKeyPath))
      .toString('base64url');
    const conn = new jsforce.Connection({
      oauth2: { loginUrl: emulator.loginUrl, clientId },
      version: emulator.apiVersion,
    });
    await conn.authorize({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      assertion: `${unsigned}.${signature}`,
    });
    const limits = await conn.limits();
    expect(limits.DailyApiRequests?.Max).toBe(100000);
  });

  it('describes, upserts (collections and single), queries with parent fields and retrieves', async () => {
    const conn = await connect();
    const describe = await conn.sobject('RetailStore').describe();
    expect(describe.fields.find((f) => f.name === 'AccountId')?.referenceTo).toEqual(['Account']);

    const accounts = await conn
      .sobject('Account')
      .upsert(
        [
          { ti_external_id__c: 'JSF-1', Name: 'Uno', ti_activo__c: true },
          { ti_external_id__c: 'JSF-2', Name: 'Dos', ti_activo__c: false },
          { ti_external_id__c: 'JSF-3' },
        ],
        'ti_external_id__c',
      );
    expect(accounts.map((r) => r.success)).toEqual([true, true, false]);
    const failure = accounts[2] as unknown as { success: false; errors: Array<{ statusCode: string }> };
    expect(failure.errors[0]?.statusCode).toBe('REQUIRED_FIELD_MISSING');

    const single = await conn
      .sobject('RetailStore')
      .upsert(
        { ti_external_id__c: 'JSF-S1', Name: 'Tienda', Account: { ti_external_id__c: 'JSF-1' } },
        'ti_external_id__c',
      );
    expect(single.success).toBe(true);

    const result = await conn.query<{ Name: string; Account: { Name: string } }>(
      "SELECT Name, Account.Name FROM RetailStore WHERE ti_external_id__c = 'JSF-S1'",
    );
    expect(result.totalSize).toBe(1);
    expect(result.records[0]?.Account.Name).toBe('Uno');

    const found = await conn.sobject('Account').find({ ti_activo__c: true }, ['Id', 'Name']);
    expect(found.map((r) => r.Name)).toEqual(['Uno']);

    const firstId = (accounts[0] as { id: string }).id;
    const retrieved = await conn.sobject('Account').retrieve(firstId);
    expect(retrieved.Name).toBe('Uno');
  });

  it('follows nextRecordsUrl with autoFetch', async () => {
    const conn = await connect();
    const records = Array.from({ length: 2300 }, (_, i) => ({
      ti_external_id__c: `JSF-P${i}`,
      Name: `P${i}`,
    }));
    const results = await conn
      .sobject('Account')
      .upsert(records, 'ti_external_id__c', { allowRecursive: true });
    expect(results.every((r) => r.success)).toBe(true);
    const all = await conn
      .query("SELECT Id FROM Account WHERE Name LIKE 'P%'")
      .run({ autoFetch: true, maxFetch: 5000 });
    expect(all.totalSize).toBe(2300);
    expect(all.records).toHaveLength(2300);
  });

  it('runs a Bulk API 2.0 upsert with loadAndWaitForResults', async () => {
    const conn = await connect();
    conn.bulk2.pollInterval = 50;
    conn.bulk2.pollTimeout = 20000;
    const results = await conn.bulk2.loadAndWaitForResults({
      object: 'RetailStore',
      operation: 'upsert',
      externalIdFieldName: 'ti_external_id__c',
      input: [
        {
          ti_external_id__c: 'JSF-B1',
          Name: 'Bulk uno',
          'Account.ti_external_id__c': 'JSF-1',
          ti_activo__c: true,
        },
        { ti_external_id__c: 'JSF-B2', Name: 'Bulk dos', 'Account.ti_external_id__c': 'JSF-NOPE' },
      ],
    });
    expect(results.successfulResults).toHaveLength(1);
    expect(results.successfulResults[0]).toMatchObject({ sf__Created: 'true', ti_external_id__c: 'JSF-B1' });
    expect(results.failedResults).toHaveLength(1);
    expect(results.failedResults[0]?.sf__Error).toMatch(
      /^INVALID_FIELD:Foreign key external ID: JSF-NOPE not found/,
    );
    expect(results.unprocessedRecords).toHaveLength(0);
    const count = await conn.query("SELECT COUNT() FROM RetailStore WHERE ti_external_id__c = 'JSF-B1'");
    expect(count.totalSize).toBe(1);
  });

  it('logs in again by itself (password flow) when the session expires', async () => {
    const conn = await passwordLogin(legacy);
    legacy.setFaults({ expireSessionAfterCalls: 2 });
    try {
      await conn.sobject('Account').create({ ti_external_id__c: 'JSF-L1', Name: 'Legacy' });
      const before = conn.accessToken;
      for (let i = 0; i < 5; i++) {
        const r = await conn.query('SELECT COUNT() FROM Account');
        expect(r.totalSize).toBe(1);
      }
      expect(conn.accessToken).not.toBe(before);
    } finally {
      legacy.setFaults({});
    }
  });
});
