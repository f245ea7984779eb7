import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { createSyncApp } from '../../src/core/app.js';
import { databaseSettings, parseConfig } from '../../src/core/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { createLogger } from '../../src/core/logger.js';
import { settingsWithOverride, tokenRef } from '../../src/core/sync/auth.js';

const CONFIG = 'config/sync.config.json';

/** The environment of one container: its table, database host and Salesforce user. */
function envOf(n: number): NodeJS.ProcessEnv {
  return {
    SYNC_CONFIG_PATH: CONFIG,
    TABLE_NAME: `table-${n}`,
    AWS_REGION: 'us-east-1',
    DB_HOST: `erp-${n}.example`,
    DB_NAME: `erp${n}`,
    DB_USER: 'sync',
    DB_PASSWORD: `password-${n}`,
    SF_CLIENT_ID: `client-${n}`,
    SF_USERNAME: `sync-${n}@example.com`,
    SF_PRIVATE_KEY: 'not used: the token is in memory',
  };
}

/** A DynamoDB client that answers every command with an empty output, and counts them (no socket). */
function fakeDynamo(): DynamoDBClient & { sent: number; destroyed: boolean } {
  const fake = {
    sent: 0,
    destroyed: false,
    async send() {
      fake.sent += 1;
      return {};
    },
    destroy() {
      fake.destroyed = true;
    },
  };
  return fake as unknown as DynamoDBClient & { sent: number; destroyed: boolean };
}

describe('createSyncApp: one app per container or local run, sharing nothing with another', () => {
  it('gives two apps from two environments their own config, settings, store, counters, tokens and pools', async () => {
    const dynamo1 = fakeDynamo();
    const dynamo2 = fakeDynamo();
    const one = createSyncApp(envOf(1), { dynamo: dynamo1 });
    const two = createSyncApp(envOf(2), { dynamo: dynamo2 });

    expect(one.config).not.toBe(two.config);
    expect(databaseSettings(one.config, 'ITALCOL', one.lookup).server).toBe('erp-1.example');
    expect(databaseSettings(two.config, 'ITALCOL', two.lookup).server).toBe('erp-2.example');
    expect([one.store.table.name, two.store.table.name]).toEqual(['table-1', 'table-2']);
    expect(one.store.table.client).toBe(dynamo1);
    expect(two.store.table.client).toBe(dynamo2);

    await one.store.table.get('RUN#r1', 'META');
    await one.store.table.get('RUN#r1', 'META');
    await two.store.table.get('RUN#r2', 'META');
    expect([one.counters.store.calls, two.counters.store.calls]).toEqual([2, 1]);
    expect([dynamo1.sent, dynamo2.sent]).toEqual([2, 1]);
    expect(one.counters.salesforce).not.toBe(two.counters.salesforce);

    expect(one.pools).not.toBe(two.pools);
    expect([one.pools.size, two.pools.size]).toEqual([0, 0]);
    expect(one.secrets).not.toBe(two.secrets);
    expect(one.tokens).not.toBe(two.tokens);
  });

  it("keeps a Salesforce token in its own memory: one app's client uses it, the other app has none", async () => {
    const one = createSyncApp(envOf(1), { dynamo: fakeDynamo() });
    const two = createSyncApp(envOf(2), { dynamo: fakeDynamo() });
    const ref = tokenRef(settingsWithOverride(one.config, one.lookup));
    const token = {
      accessToken: 'tok-1',
      instanceUrl: 'https://one.example',
      expiresAt: Date.now() + 3_600_000,
    };
    one.tokens.set(ref, token);

    const client = await one.salesforceClient(1);
    expect(client.currentToken).toEqual(token);
    expect([...one.tokens.keys()]).toEqual([ref]);
    expect(two.tokens.size).toBe(0);
    // Another org user, another reference: the second app would never pick the first one's token.
    expect(tokenRef(settingsWithOverride(two.config, two.lookup))).not.toBe(ref);
  });

  it('reads its environment once: a later change of process.env or of the given object is not seen', () => {
    const env = envOf(3);
    const app = createSyncApp(env, { dynamo: fakeDynamo() });
    env.TABLE_NAME = 'changed';
    expect(app.lookup('TABLE_NAME')).toBe('table-3');
    expect(app.store.table.name).toBe('table-3');
  });

  it('names a missing table setting when the store is first needed, not when the app is built', () => {
    const env = envOf(4);
    delete env.TABLE_NAME;
    const app = createSyncApp(env, { dynamo: fakeDynamo() });
    expect(() => app.store).toThrow('TABLE_NAME is not set: the DynamoDB table of the sync is unknown');
  });

  it('entityOf: the company’s entity, or the ConfigError every step throws for an unknown or disabled one', () => {
    const raw = JSON.parse(readFileSync(CONFIG, 'utf8'));
    raw.companies.CASABLANCA.entities = { acuerdos: { enabled: false } };
    const app = createSyncApp(envOf(5), { config: parseConfig(raw), dynamo: fakeDynamo() });
    expect(app.entityOf({ company: 'ITALCOL', entity: 'terceros' }).name).toBe('terceros');
    expect(() => app.entityOf({ company: 'CASABLANCA', entity: 'acuerdos' })).toThrow(
      new ConfigError('Entity acuerdos is not configured or is disabled for CASABLANCA'),
    );
    expect(() => app.entityOf({ company: 'ITALCOL', entity: 'facturas' })).toThrow(
      new ConfigError('Entity facturas is not configured or is disabled for ITALCOL'),
    );
  });

  it('with(): another logger or config over the same store, counters, pools and tokens', async () => {
    const app = createSyncApp(envOf(6), { dynamo: fakeDynamo() });
    const log = createLogger({ step: 'test' });
    const child = app.with({ log });
    expect(child.log).toBe(log);
    expect(child.store).toBe(app.store);
    expect(child.config).toBe(app.config);
    expect(child.counters).toBe(app.counters);
    expect(child.pools).toBe(app.pools);
    expect(child.tokens).toBe(app.tokens);
    await child.store.table.get('RUN#r', 'META');
    expect(app.counters.store.calls).toBe(1);
  });

  it('close(): destroys the DynamoDB client it built and forgets its tokens; a given client is left to its owner', async () => {
    const given = fakeDynamo();
    const app = createSyncApp(envOf(7), { dynamo: given });
    app.tokens.set('salesforce#x', { accessToken: 'a', instanceUrl: 'https://x', expiresAt: 0 });
    await app.store.table.get('RUN#r', 'META');
    await app.close();
    expect(given.destroyed).toBe(false);
    expect(app.tokens.size).toBe(0);

    const own = createSyncApp({ ...envOf(8), DYNAMODB_ENDPOINT: 'http://127.0.0.1:9' });
    const client = own.store.table.client;
    let destroyed = false;
    const destroy = client.destroy.bind(client);
    client.destroy = () => {
      destroyed = true;
      destroy();
    };
    await own.close();
    expect(destroyed).toBe(true);
  });
});

/**
 * Module-level mutable state in src/core: a top-level `let`/`var`, or a top-level Map/Set/WeakMap
 * built empty (a cache or registry to fill), a closure-held cache, or a counter object starting at 0.
 * Constant tables (`new Set([...])`) are allowed.
 */
function moduleStateIn(source: string): string[] {
  const found: string[] = [];
  source.split('\n').forEach((line, i) => {
    const binding = /^(export\s+)?(let|var)\s/.test(line);
    const emptyCollection =
      /^(export\s+)?const\s+\w+(\s*:[^=]+)?\s*=\s*new\s+(Map|Set|WeakMap|WeakSet)(<[^>]*(>[^>]*)?>)?\(\s*\)/.test(
        line,
      );
    const closureCache = /^(export\s+)?const\s+\w+(\s*:[^=]+)?\s*=\s*\(\(\)\s*=>\s*\{/.test(line);
    const counter = /^(export\s+)?const\s+\w+(\s*:[^=]+)?\s*=\s*\{\s*\w+:\s*0\s*[,}]/.test(line);
    if (binding || emptyCollection || closureCache || counter) found.push(`${i + 1}: ${line.trim()}`);
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return sourceFiles(p);
    return d.name.endsWith('.ts') ? [p] : [];
  });
}

describe('no module-level mutable state in src/core (the app owns it)', () => {
  it('finds the kinds of state the rule forbids, and lets constants be', () => {
    const sample = [
      'let cached: SyncConfig | undefined;',
      'export let overlay = {};',
      'const pools = new Map<string, Promise<sql.ConnectionPool>>();',
      'const memory = new Map<string, Token>();',
      'const seen = new Set();',
      'const provider = (() => {',
      'export const salesforceMetrics = { calls: 0, authCalls: 0, dataCalls: 0 };',
      'const TRANSIENT = new Set([500, 502]);',
      "export const NAMESPACE = 'SfSync';",
      '  let inside = 0;',
    ].join('\n');
    expect(moduleStateIn(sample)).toEqual([
      '1: let cached: SyncConfig | undefined;',
      '2: export let overlay = {};',
      '3: const pools = new Map<string, Promise<sql.ConnectionPool>>();',
      '4: const memory = new Map<string, Token>();',
      '5: const seen = new Set();',
      '6: const provider = (() => {',
      '7: export const salesforceMetrics = { calls: 0, authCalls: 0, dataCalls: 0 };',
    ]);
  });

  it('holds for every file of src/core', () => {
    const offenders = sourceFiles('src/core').flatMap((file) =>
      moduleStateIn(readFileSync(file, 'utf8')).map((line) => `${file}:${line}`),
    );
    expect(offenders).toEqual([]);
  });
});
