import { createSign, generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { call, type Org, startOrg } from './support.js';

let org: Org;

beforeAll(async () => {
  org = await startOrg({ tokenLifetimeSeconds: 1 });
});

afterAll(async () => {
  await org.close();
});

async function token(params: Record<string, string>, headers: Record<string, string> = {}) {
  const response = await fetch(`${org.emulator.loginUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: response.status, body: (await response.json()) as Record<string, string> };
}

function jwt(
  claims: Record<string, unknown>,
  privateKey: string | Buffer = readFileSync(org.emulator.credentials.privateKeyPath),
) {
  const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const unsigned = `${encode({ alg: 'RS256' })}.${encode(claims)}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
}

const claims = (extra: Record<string, unknown> = {}) => ({
  iss: org.emulator.credentials.clientId,
  sub: org.emulator.credentials.username,
  aud: 'https://login.salesforce.com',
  exp: Math.floor(Date.now() / 1000) + 180,
  ...extra,
});

const JWT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

describe('password grant', () => {
  it('answers Salesforce success body with a working token', async () => {
    const { clientId, clientSecret, username, password } = org.emulator.credentials;
    const reply = await token({
      grant_type: 'password',
      client_id: clientId,
      client_secret: clientSecret,
      username,
      password,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      access_token: expect.any(String),
      instance_url: org.emulator.instanceUrl,
      id: expect.stringMatching(new RegExp(`^${org.emulator.loginUrl}/id/00D\\w{15}/005\\w{15}$`)),
      token_type: 'Bearer',
      issued_at: expect.stringMatching(/^\d{13}$/),
      signature: expect.any(String),
    });
    const limits = await call(org.emulator.url, 'GET', '/limits', reply.body.access_token);
    expect(limits.status).toBe(200);
  });

  it.each([
    ['an unknown client id', { client_id: 'nope' }, 'invalid_client_id', 'client identifier invalid'],
    ['a wrong client secret', { client_secret: 'nope' }, 'invalid_client', 'invalid client credentials'],
    ['a wrong password', { password: 'nope' }, 'invalid_grant', 'authentication failure'],
    ['an unknown user', { username: 'who@example.com' }, 'invalid_grant', 'authentication failure'],
  ])('refuses %s with 400 %s', async (_what, override, error, description) => {
    const { clientId, clientSecret, username, password } = org.emulator.credentials;
    const reply = await token({
      grant_type: 'password',
      client_id: clientId,
      client_secret: clientSecret,
      username,
      password,
      ...override,
    });
    expect(reply).toEqual({ status: 400, body: { error, error_description: description } });
  });
});

describe('client credentials grant', () => {
  it('accepts the secret in the form or in Basic authorization', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const form = await token({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    });
    expect(form.status).toBe(200);
    expect(form.body).toMatchObject({
      token_type: 'Bearer',
      scope: 'api',
      instance_url: org.emulator.instanceUrl,
    });
    const basic = await token(
      { grant_type: 'client_credentials' },
      { authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    );
    expect(basic.status).toBe(200);
  });

  it('refuses a wrong secret', async () => {
    const reply = await token({
      grant_type: 'client_credentials',
      client_id: org.emulator.credentials.clientId,
      client_secret: 'x',
    });
    expect(reply).toEqual({
      status: 400,
      body: { error: 'invalid_client', error_description: 'invalid client credentials' },
    });
  });
});

describe('JWT bearer grant', () => {
  it('accepts an RS256 assertion signed with the generated key, for each accepted audience', async () => {
    for (const aud of [
      'https://login.salesforce.com',
      'https://test.salesforce.com',
      org.emulator.loginUrl,
    ]) {
      const reply = await token({ grant_type: JWT, assertion: jwt(claims({ aud })) });
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({
        access_token: expect.any(String),
        scope: 'api',
        instance_url: org.emulator.instanceUrl,
        id: expect.any(String),
        token_type: 'Bearer',
      });
    }
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
    await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
    expect(org.emulator.counters()).toEqual({ apiUsage: 0, byEndpoint: { 'oauth.token': 2 } });
  });
});

describe('sessions', () => {
  it('answers 401 INVALID_SESSION_ID without a token, with an unknown one, and after the lifetime', async () => {
    const { clientId, clientSecret } = org.emulator.credentials;
    const fresh = (
      await token({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret })
    ).body.access_token;
    const expected = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    expect((await call(org.emulator.url, 'GET', '/limits', undefined)).body).toEqual(expected);
    expect((await call(org.emulator.url, 'GET', '/limits', 'garbage')).status).toBe(401);
    expect((await call(org.emulator.url, 'GET', '/limits', fresh)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const expired = await call(org.emulator.url, 'GET', '/limits', fresh);
    expect(expired.status).toBe(401);
    expect(expired.body).toEqual(expected);
  });
});
