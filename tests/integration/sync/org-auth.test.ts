import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncApp } from '../../../src/core/app.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { authSettings, tokenRef } from '../../../src/core/sync/auth.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { SIZES } from './helpers.js';

const ONE = { companies: ['SANTA_REYES'], entities: ['terceros'] };

/** Runs one company's terceros; returns the run and the error of the Authenticate task, if it failed. */
async function run() {
  const events: TaskEvent[] = [];
  const result = await runSync({ input: ONE, retryIntervalScale: 0.001, onTaskEvent: (e) => events.push(e) });
  const failed = events.find((e) => e.type === 'TaskFailed' && e.stateName === 'Authenticate');
  const cause = failed ? (JSON.parse(failed.error?.cause ?? '{}') as { errorMessage?: string }) : undefined;
  return { result, authError: failed ? `${failed.error?.name}: ${cause?.errorMessage}` : undefined };
}

/** Forget the token cached by an earlier test, so the next run asks the org again. */
async function forgetCachedToken() {
  const app = createSyncApp();
  try {
    const ref = tokenRef(authSettings(app.config, undefined, app.lookup));
    await app.store.putSealedToken(ref, { sealed: 'expired', expiresAt: 0 });
  } finally {
    await app.close();
  }
}

/** The sync authenticates against an org with a login host and a My Domain host, as a real one has. */
describe('authentication against a sandbox org with two hosts', () => {
  let env: LocalEnvironment;
  let dir: string;
  const saved = { ...process.env };
  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-auth-'));
    env = await startLocalEnvironment({
      config: loadConfig('config/sync.config.json'),
      dataDir: dir,
      sizes: { SANTA_REYES: SIZES.SANTA_REYES },
      salesforceOptions: { sandbox: true },
    });
  }, 120000);
  afterAll(async () => {
    await env?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const name of ['SF_AUTH_FLOW', 'SF_INSTANCE_URL', 'SF_AUDIENCE']) {
      if (env.env[name] !== undefined) process.env[name] = env.env[name];
      else if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });

  it('signs the JWT for the sandbox audience (https://test.salesforce.com) and syncs', async () => {
    expect(env.env.SF_AUDIENCE).toBe('https://test.salesforce.com');
    const { result, authError } = await run();
    expect(authError).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
    expect(result.salesforce.authCalls).toBe(1);
  });

  it('is refused with the production audience: the sandbox org answers invalid_grant', async () => {
    process.env.SF_AUDIENCE = 'https://login.salesforce.com';
    await forgetCachedToken();
    const { result, authError } = await run();
    expect(result.status).toBe('COMPLETED_WITH_FAILURES');
    expect(authError).toBe(
      'SalesforceAuthError: Salesforce token request answered 400 invalid_grant: audience is invalid',
    );
  });

  it('gets a client-credentials token from the My Domain host', async () => {
    process.env.SF_AUTH_FLOW = 'client_credentials';
    await forgetCachedToken();
    expect(env.env.SF_INSTANCE_URL).toBe(env.salesforce?.instanceUrl);
    const { result, authError } = await run();
    expect(authError).toBeUndefined();
    expect(result.status).toBe('SUCCEEDED');
  });

  it('is refused client credentials on the login host, as login.salesforce.com refuses them', async () => {
    process.env.SF_AUTH_FLOW = 'client_credentials';
    process.env.SF_INSTANCE_URL = env.salesforce?.loginUrl as string;
    await forgetCachedToken();
    const { result, authError } = await run();
    expect(result.status).toBe('COMPLETED_WITH_FAILURES');
    expect(authError).toBe(
      'SalesforceAuthError: Salesforce token request answered 400 invalid_grant: request not supported on this domain',
    );
  });
});
