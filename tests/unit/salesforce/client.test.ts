import { generateKeyPairSync } from 'node:crypto';
import { loadConfig } from '../../../src/core/config/load.js';
import { ConfigError, SalesforceAuthError, SalesforceUnavailableError } from '../../../src/core/errors.js';
import {
  isLostResponse,
  isUnknownException,
  jwtAudience,
  parseRetryAfter,
  type RestRequest,
  type RestResponse,
  requestRefusal,
  responseError,
  retryAfterSeconds,
  SalesforceClient,
  tokenUrl,
} from '../../../src/core/salesforce/client.js';
import { authSettings } from '../../../src/core/sync/auth.js';

const token = {
  accessToken: 'T0',
  instanceUrl: 'https://acme.my.salesforce.com',
  expiresAt: Date.now() + 3600_000,
};

/** A client whose requests go to a fake that records them and answers from a script. */
function clientWith(answers: RestResponse[]) {
  const sent: RestRequest[] = [];
  const client = new SalesforceClient({
    apiVersion: '62.0',
    token,
    refresh: async () => token,
    transport: async (r) => {
      sent.push(r);
      const next = answers.shift();
      if (!next) throw new Error('no answer scripted');
      return next;
    },
  });
  return { client, sent };
}

const ok = (n: number): RestResponse => ({
  statusCode: 200,
  body: Array.from({ length: n }, (_, i) => ({ id: `001${i}`, success: true, created: true, errors: [] })),
});

describe('SalesforceClient writes and duplicate rules', () => {
  it('sends Sforce-Duplicate-Rule-Header: allowSave=true on Collections upserts by default', async () => {
    const { client, sent } = clientWith([ok(1)]);
    await client.upsertCollection('Account', 'ti_external_id__c', [{ Name: 'X', ti_external_id__c: 'A-1' }]);
    expect(sent).toEqual([
      {
        method: 'PATCH',
        url: 'https://acme.my.salesforce.com/services/data/v62.0/composite/sobjects/Account/ti_external_id__c',
        headers: {
          'Sforce-Duplicate-Rule-Header': 'allowSave=true',
          authorization: 'Bearer T0',
          'content-type': 'application/json',
        },
        body: {
          allOrNone: false,
          records: [{ attributes: { type: 'Account' }, Name: 'X', ti_external_id__c: 'A-1' }],
        },
      },
    ]);
  });

  it('leaves the header off when the entity enforces duplicate rules, and on for create/update', async () => {
    const { client, sent } = clientWith([ok(1), ok(1), ok(1)]);
    await client.upsertCollection('Account', 'ti_external_id__c', [{ Name: 'X' }], {
      duplicateRules: 'enforce',
    });
    await client.saveCollection('Account', [{ Name: 'X' }], 'create');
    await client.saveCollection('Account', [{ Name: 'X' }], 'update', { duplicateRules: 'enforce' });
    expect(sent.map((r) => [r.method, r.headers['Sforce-Duplicate-Rule-Header']])).toEqual([
      ['PATCH', undefined],
      ['POST', 'allowSave=true'],
      ['PATCH', undefined],
    ]);
  });

  it('marks an HTTP 500 as an unknown exception (failed per record after one retry), a 503 as an outage', async () => {
    const { client } = clientWith([
      {
        statusCode: 500,
        body: [{ errorCode: 'UNKNOWN_EXCEPTION', message: 'An unexpected error occurred.' }],
      },
      { statusCode: 503, body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'down' }] },
    ]);
    const first = await client
      .upsertCollection('Account', 'ti_external_id__c', [{}])
      .catch((e: unknown) => e);
    const second = await client
      .upsertCollection('Account', 'ti_external_id__c', [{}])
      .catch((e: unknown) => e);
    expect(first).toBeInstanceOf(SalesforceUnavailableError);
    expect((first as Error).message).toBe(
      'Salesforce upsert Account answered 500 UNKNOWN_EXCEPTION: An unexpected error occurred.',
    );
    expect([isUnknownException(first), isUnknownException(second)]).toEqual([true, false]);
  });
});

describe('auth hosts and the JWT audience', () => {
  it.each([
    ['https://login.salesforce.com', 'https://login.salesforce.com'],
    ['https://test.salesforce.com', 'https://test.salesforce.com'],
    ['https://acme.my.salesforce.com', 'https://login.salesforce.com'],
    ['https://acme--uat.sandbox.my.salesforce.com', 'https://test.salesforce.com'],
    ['https://cs42.salesforce.com', 'https://test.salesforce.com'],
    ['https://acme.cs42.my.salesforce.com', 'https://test.salesforce.com'],
    ['http://127.0.0.1:8443', 'https://login.salesforce.com'],
  ])('derives aud from login URL %s: %s (sfdx-core getJwtAudienceUrl)', (loginUrl, aud) => {
    expect(jwtAudience(loginUrl)).toBe(aud);
  });

  it('sends client credentials to the My Domain, the other flows to the login URL', () => {
    const base = { clientId: 'c', loginUrl: 'https://login.salesforce.com/' };
    expect(
      tokenUrl({ ...base, flow: 'client_credentials', instanceUrl: 'https://acme.my.salesforce.com/' }),
    ).toBe('https://acme.my.salesforce.com/services/oauth2/token');
    expect(tokenUrl({ ...base, flow: 'jwt', instanceUrl: 'https://acme.my.salesforce.com' })).toBe(
      'https://login.salesforce.com/services/oauth2/token',
    );
    expect(() => tokenUrl({ ...base, flow: 'client_credentials' })).toThrow(SalesforceAuthError);
  });

  describe('settings from the config', () => {
    const saved = { ...process.env };
    afterEach(() => {
      process.env = { ...saved };
    });
    const config = loadConfig('config/sync.config.json');
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });

    it('refuses client credentials without a My Domain URL, saying what to set', () => {
      Object.assign(process.env, { SF_CLIENT_ID: 'c', SF_CLIENT_SECRET: 's', SF_INSTANCE_URL: '' });
      expect(() => authSettings(config, 'client_credentials')).toThrow(
        new ConfigError(
          "config.salesforce.auth.flow: the client_credentials flow needs the org's My Domain URL (SF_INSTANCE_URL or config salesforce.instanceUrl, like https://mycompany.my.salesforce.com): Salesforce refuses client credentials on login.salesforce.com",
        ),
      );
      process.env.SF_INSTANCE_URL = 'https://acme.my.salesforce.com';
      expect(authSettings(config, 'client_credentials').instanceUrl).toBe('https://acme.my.salesforce.com');
    });

    it('refuses a login URL that is not a URL', () => {
      Object.assign(process.env, {
        SF_CLIENT_ID: 'c',
        SF_LOGIN_URL: 'login.salesforce.com',
        SF_USERNAME: 'u',
      });
      process.env.SF_PRIVATE_KEY = privateKey;
      expect(() => authSettings(config)).toThrow(
        'config.salesforce.loginUrl: "login.salesforce.com" is not a URL (like https://mycompany.my.salesforce.com)',
      );
    });

    it('leaves the audience to be derived unless SF_AUDIENCE sets it', () => {
      Object.assign(process.env, {
        SF_CLIENT_ID: 'c',
        SF_LOGIN_URL: 'https://test.salesforce.com',
        SF_USERNAME: 'u',
      });
      process.env.SF_PRIVATE_KEY = privateKey;
      expect(authSettings(config).audience).toBeUndefined();
      process.env.SF_AUDIENCE = 'https://acme.my.salesforce.com';
      expect(authSettings(config).audience).toBe('https://acme.my.salesforce.com');
    });
  });
});

/** A transport that throws as got does when the connection is cut or refused. */
const netError = (code: string) => Object.assign(new Error(`read ${code}`), { code });

function clientScripted(script: Array<RestResponse | Error>) {
  const sent: RestRequest[] = [];
  const client = new SalesforceClient({
    apiVersion: '62.0',
    token,
    refresh: async () => token,
    transport: async (r) => {
      sent.push(r);
      const next = script.shift();
      if (!next) throw new Error('no answer scripted');
      if (next instanceof Error) throw next;
      return next;
    },
  });
  return { client, sent };
}

describe('SalesforceClient and lost answers', () => {
  const records = [{ Name: 'X', ti_external_id__c: 'A-1' }];

  it('sends an upsert by external ID once more when its answer was lost, and gives the answer it gets then', async () => {
    const updated = { statusCode: 200, body: [{ id: '0011', success: true, created: false, errors: [] }] };
    const { client, sent } = clientScripted([netError('ECONNRESET'), updated]);
    const out = await client.upsertCollection('Account', 'ti_external_id__c', records);
    expect(out).toEqual([{ id: '0011', success: true, created: false, errors: [] }]);
    expect(sent.length).toBe(2);
    expect(sent[1]).toEqual(sent[0]);
  });

  it('resends only once: a second lost answer is a SalesforceUnavailableError marked lost', async () => {
    const { client, sent } = clientScripted([netError('ECONNRESET'), netError('ETIMEDOUT')]);
    const error = await client.upsertCollection('Account', 'ti_external_id__c', records).catch((e) => e);
    expect(error).toBeInstanceOf(SalesforceUnavailableError);
    expect(error.message).toBe('Salesforce upsert Account: ETIMEDOUT: read ETIMEDOUT');
    expect(isLostResponse(error)).toBe(true);
    expect(sent.length).toBe(2);
  });

  it('does not resend a create by POST whose answer was lost: it may have been committed', async () => {
    const { client, sent } = clientScripted([netError('ECONNRESET')]);
    const error = await client.saveCollection('Account', [{ Name: 'X' }], 'create').catch((e) => e);
    expect(isLostResponse(error)).toBe(true);
    expect(sent.map((r) => r.method)).toEqual(['POST']);
  });

  it('a refused connection never reached Salesforce: not lost, not resent', async () => {
    const { client, sent } = clientScripted([netError('ECONNREFUSED')]);
    const error = await client.upsertCollection('Account', 'ti_external_id__c', records).catch((e) => e);
    expect(error).toBeInstanceOf(SalesforceUnavailableError);
    expect(isLostResponse(error)).toBe(false);
    expect(sent.length).toBe(1);
  });
});

describe('Retry-After and whole-request refusals', () => {
  it('reads Retry-After in seconds or as an HTTP date, and ignores what it cannot read', () => {
    const now = Date.parse('2026-11-29T22:00:00Z');
    expect(parseRetryAfter('7', now)).toBe(7);
    expect(parseRetryAfter(['12'], now)).toBe(12);
    expect(parseRetryAfter('Sun, 29 Nov 2026 22:00:30 GMT', now)).toBe(30);
    expect(parseRetryAfter('Sun, 29 Nov 2026 21:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
  });

  it("keeps a 503's Retry-After on the error", async () => {
    const { client } = clientScripted([
      {
        statusCode: 503,
        headers: { 'retry-after': '9' },
        body: [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
      },
    ]);
    const error = await client.query('SELECT Id FROM Account').catch((e) => e);
    expect(error).toBeInstanceOf(SalesforceUnavailableError);
    expect(retryAfterSeconds(error)).toBe(9);
  });

  it('names a 400 JSON_PARSER_ERROR as a refusal for what a record holds, and no other 400', () => {
    const parser = responseError(
      {
        statusCode: 400,
        body: [{ message: 'Cannot deserialize instance of boolean', errorCode: 'JSON_PARSER_ERROR' }],
      },
      'upsert Account',
    );
    expect(requestRefusal(parser)).toEqual({
      code: 'JSON_PARSER_ERROR',
      message: 'Cannot deserialize instance of boolean',
    });
    const field = responseError(
      { statusCode: 400, body: [{ message: 'No such column', errorCode: 'INVALID_FIELD' }] },
      'upsert Account',
    );
    expect(requestRefusal(field)).toBeUndefined();
  });
});
