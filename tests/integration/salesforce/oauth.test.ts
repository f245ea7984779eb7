import { createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { SalesforceEmulator } from '../../../src/emulators/salesforce/index.js';
import { call, clientCredentialsToken, type Org, startOrg } from './support.js';

let org: Org;
/** An org that still allows the username-password flow (created before Summer '23). */
let legacy: Org;
/** A sandbox: JWTs name https://test.salesforce.com. */
let sandbox: Org;

beforeAll(async () => {
  org = await startOrg({ tokenLifetimeSeconds: 1 });
  legacy = await startOrg({ allowPasswordFlow: true });
  sandbox = await startOrg({ sandbox: true });
});

afterAll(async () => {
  await org.close();
  await legacy.close();
  await sandbox.close();
});

async function token(
  params: Record<string, string>,
  headers: Record<string, string> = {},
  base: string = org.emulator.loginUrl,
) {
  const response = await fetch(`${base}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

function jwt(
  claims: Record<string, unknown>,
  privateKey: string | Buffer = readFileSync(org.emulator.credentials.privateKeyPath),
): string {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

const claims = (extra: Record<string, unknown> = {}, emulator: SalesforceEmulator = org.emulator) => ({
  iss: emulator.credentials.clientId,
  sub: emulator.credentials.username,
  aud: 'https://login.salesforce.com',
  exp: Math.floor(Date.now() / 1000) + 180,
  ...extra,
});

const JWT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const INVALID_SESSION = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];

describe('two hosts', () => {
  it('serves a login host and a My Domain host on two ports; url is the My Domain host', () => {
    const { loginUrl, instanceUrl, url } = org.emulator;
    expect(loginUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(instanceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(instanceUrl).not.toBe(loginUrl);
    expect(url).toBe(instanceUrl);
  });

  it('lists versions on the login host but answers its REST resources 401, even with a good token', async () => {
    const versions = await call<Array<{ version: string }>>(
      org.emulator.loginUrl,
      'GET',
      '/services/data',
      undefined,
    );
    expect(versions.status).toBe(200);
    expect(versions.body.at(-1)).toEqual({
      label: "Winter '25",
      url: '/services/data/v62.0',
      version: '62.0',
    });
    const good = await clientCredentialsToken(org.emulator); // this org's tokens live 1 s: a fresh one
    const onLogin = await call(org.emulator.loginUrl, 'GET', '/limits', good);
    expect(onLogin).toMatchObject({ status: 401, body: INVALID_SESSION });
    expect((await call(org.emulator.instanceUrl, 'GET', '/limits', good)).status).toBe(200);
  });
});

describe('password grant', () => {
  it.each([
    ['login', () => org.emulator.loginUrl],
    ['My Domain', () => org.emulator.instanceUrl],
  ])(
    'is off by default: the %s host answers 400 invalid_grant "authentication failure" to good credentials',
    async (_host, base) => {
      const { clientId, clientSecret, username, password } = org.emulator.credentials;
      const reply = await token(
        { grant_type: 'password', client_id: clientId, client_secret: clientSecret, username, password },
        {},
        base(),
      );
      expect(reply).toEqual({
        status: 400,
        body: { error: 'invalid_grant', error_description: 'authentication failure' },
      });
    },
  );

  it('answers Salesforce success body with a working token when the org allows the flow', async () => {
    const { clientId, clientSecret, username, password } = legacy.emulator.credentials;
    const reply = await token(
      { grant_type: 'password', client_id: clientId, client_secret: clientSecret, username, password },
      {},
      legacy.emulator.loginUrl,
    );
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      access_token: expect.any(String),
      instance_url: legacy.emulator.instanceUrl,
      id: expect.stringMatching(new RegExp(`^${legacy.emulator.loginUrl}/id/00D\\w{15}/005\\w{15}$`)),
      token_type: 'Bearer',
      issued_at: expect.stringMatching(/^\d{13}$/),
      signature: expect.any(String),
    });
    const limits = await call(legacy.emulator.instanceUrl, 'GET', '/limits', reply.body.access_token);
    expect(limits.status).toBe(200);
  });

  it.each([
    ['an unknown client id', { client_id: 'nope' }, 'invalid_client_id', 'client identifier invalid'],
    ['a wrong client secret', { client_secret: 'nope' }, 'invalid_client', 'invalid client credentials'],
    ['a wrong password', { password: 'nope' }, 'invalid_grant', 'authentication failure'],
    ['an unknown user', { username: 'who@example.com' }, 'invalid_grant', 'authentication failure'],
  ])('refuses %s with 400 %s when the org allows the flow', async (_what, override, error, description) => {
    const { clientId, clientSecret, username, password } = legacy.emulator.credentials;
    const reply = await token(
      {
        grant_type: 'password',
        client_id: clientId,
        client_secret: clientSecret,
        username,
        password,
        ...override,
      },
      {},
      legacy.emulator.loginUrl,
    );
    expect(reply).toEqual({ status: 400, body: { error, error_description: description } });
  });
});

describe('client credentials grant', () => {
  it('is refused on the login host: 400 invalid_grant "request not supported on this domain"', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const reply = await token({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(reply).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'request not supported on this domain' },
    });
  });

  it('accepts the secret in the form or in Basic authorization on the My Domain host', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const form = await token(
      { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
      {},
      org.emulator.instanceUrl,
    );
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'api',
      instance_url: org.emulator.instanceUrl,
    });
    const basic = await token(
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
      org.emulator.instanceUrl,
    );
    expect(basic.status).toBe(200);
  });

  it('refuses a wrong secret', async () => {
    const reply = await token(
      { grant_type: 'client_credentials', client_id: org.emulator.credentials.clientId, client_secret: 'x' },
      {},
      org.emulator.instanceUrl,
    );
    expect(reply).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: 'invalid client credentials' },
    });
  });
});

describe('JWT bearer grant', () => {
  it('accepts an RS256 assertion on either host, for each production audience', async () => {
    const { loginUrl, instanceUrl } = org.emulator;
    for (const base of [loginUrl, instanceUrl]) {
      for (const aud of ['https://login.salesforce.com', loginUrl, instanceUrl, `${instanceUrl}/`]) {
        const reply = await token({ grant_type: JWT, assertion: jwt(claims({ aud })) }, {}, base);
        expect([base, aud, reply.status]).toEqual([base, aud, 200]);
        expect(reply.body).toEqual({
          access_token: expect.any(String),
          scope: 'api',
          instance_url: instanceUrl,
          id: expect.any(String),
          token_type: 'Bearer',
        });
      }
    }
  });

  it('refuses the sandbox audience in a production org', async () => {
    const reply = await token({
      grant_type: JWT,
      assertion: jwt(claims({ aud: 'https://test.salesforce.com' })),
    });
    expect(reply).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'audience is invalid' },
    });
  });

  it('in a sandbox, accepts test.salesforce.com and the My Domain URL and refuses login.salesforce.com', async () => {
    const own = (aud: string) =>
      jwt(claims({ aud }, sandbox.emulator), readFileSync(sandbox.emulator.credentials.privateKeyPath));
    const { loginUrl, instanceUrl } = sandbox.emulator;
    expect(sandbox.emulator.sandbox).toBe(true);
    for (const aud of ['https://test.salesforce.com', instanceUrl, loginUrl]) {
      const reply = await token({ grant_type: JWT, assertion: own(aud) }, {}, loginUrl);
      expect([aud, reply.status, reply.body.instance_url]).toEqual([aud, 200, instanceUrl]);
    }
    const refused = await token(
      { grant_type: JWT, assertion: own('https://login.salesforce.com') },
      {},
      loginUrl,
    );
    expect(refused).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: 'audience is invalid' },
    });
  });

  it('accepts exp as a numeric string, as in Salesforce examples', async () => {
    const reply = await token({
      grant_type: JWT,
      assertion: jwt(claims({ exp: String(Math.floor(Date.now() / 1000) + 60) })),
    });
    expect(reply.status).toBe(200);
  });

  it.each([
    [
      'a signature from another key',
      () =>
        jwt(
          claims(),
          generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({
            type: 'pkcs8',
            format: 'pem',
          }),
        ),
      'invalid_grant',
      'invalid assertion',
    ],
    ['a malformed assertion', () => 'not-a-jwt', 'invalid_grant', 'invalid assertion'],
    [
      'another issuer',
      () => jwt(claims({ iss: 'someone-else' })),
      'invalid_client_id',
      'client identifier invalid',
    ],
    [
      'another audience',
      () => jwt(claims({ aud: 'https://example.com' })),
      'invalid_grant',
      'audience is invalid',
    ],
    [
      'an expired exp',
      () => jwt(claims({ exp: Math.floor(Date.now() / 1000) - 600 })),
      'invalid_grant',
      'expired authorization code',
    ],
    [
      'an unknown subject',
      () => jwt(claims({ sub: 'who@example.com' })),
      'invalid_grant',
      "user hasn't approved this consumer",
    ],
  ])('refuses %s', async (_what, assertion, error, description) => {
    const reply = await token({ grant_type: JWT, assertion: assertion() });
    expect(reply).toEqual({ status: 400, body: { error, error_description: description } });
  });

  it('refuses an assertion with a tampered payload', async () => {
    const [h, , s] = jwt(claims()).split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify(claims({ sub: 'admin@x' }))).toString('base64url')}.${s}`;
    expect((await token({ grant_type: JWT, assertion: forged })).body.error).toBe('invalid_grant');
  });
});

describe('token endpoint', () => {
  it('refuses unknown grants and non-POST requests', async () => {
    expect(await token({ grant_type: 'authorization_code' })).toEqual({
      status: 400,
      body: { error: 'unsupported_grant_type', error_description: 'grant type not supported' },
    });
    const get = await fetch(`${org.emulator.loginUrl}/services/oauth2/token`);
    expect(get.status).toBe(400);
    expect(await get.json()).toEqual({ error: 'invalid_request', error_description: 'must use HTTP POST' });
  });

  it('counts token requests per endpoint but not as API usage', async () => {
    org.emulator.resetCounters();
    const { clientId, clientSecret } = org.emulator.credentials;
    const form = { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret };
    await token(form, {}, org.emulator.instanceUrl);
    await token(form);
    expect(org.emulator.counters()).toEqual({
      apiUsage: 0,
      byEndpoint: { 'oauth.token': 2 },
      lockConflicts: 0,
      concurrentRequestRefusals: 0,
    });
  });
});

describe('sessions', () => {
  it('answers 401 INVALID_SESSION_ID without a token, with an unknown one, and after the lifetime', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const fresh = (
      await token(
        { grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret },
        {},
        org.emulator.instanceUrl,
      )
    ).body.access_token;
    const expected = INVALID_SESSION;
    expect((await call(org.emulator.url, 'GET', '/limits', undefined)).body).toEqual(expected);
    expect((await call(org.emulator.url, 'GET', '/limits', 'garbage')).status).toBe(401);
    expect((await call(org.emulator.url, 'GET', '/limits', fresh)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await call(org.emulator.url, 'GET', '/limits', fresh);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(expected);
  });
});
