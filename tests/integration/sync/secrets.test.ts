import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { type AttributeValue, DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import { loadConfig } from '../../../src/core/config/load.js';
import { cachedToken } from '../../../src/core/sync/auth.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';

const tsx = path.resolve('node_modules/.bin/tsx');
const run = promisify(execFile);

/** The CLI as a user runs it, handler logs on (LOG_LEVEL=debug) so that they are scanned too. */
async function cli(args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    const out = await run(tsx, ['src/cli/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 240000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, LOG_LEVEL: 'debug' },
    });
    return { stdout: out.stdout, stderr: out.stderr };
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; code?: number };
    // A run with rejected rows exits 1; its output is scanned all the same.
    return { stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Every string in a DynamoDB item, gzipped binaries (staged pages, payloads) decompressed. */
function texts(value: AttributeValue, out: string[], counts: { gzipped: number }): void {
  if (value.S !== undefined) out.push(value.S);
  else if (value.N !== undefined) out.push(value.N);
  else if (value.B !== undefined) {
    const bytes = Buffer.from(value.B);
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
      counts.gzipped += 1;
      out.push(gunzipSync(bytes).toString('utf8'));
    } else out.push(bytes.toString('utf8'), bytes.toString('base64'));
  } else if (value.SS) out.push(...value.SS);
  else if (value.L) for (const v of value.L) texts(v, out, counts);
  else if (value.M) for (const v of Object.values(value.M)) texts(v, out, counts);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => readFileSync(path.join(d.parentPath, d.name), 'utf8'));
}

/**
 * Makes the emulator's own SQLite file keep a copy of every token it issues (a revoked session's
 * row is deleted; the copy is not), so that tokens replaced mid-run are scanned for too.
 */
function recordIssuedTokens(dir: string): void {
  const db = new Database(path.join(dir, 'salesforce', 'emulator.sqlite'));
  try {
    db.exec(`
      CREATE TABLE IF NOT EXISTS test_issued (token TEXT PRIMARY KEY);
      INSERT OR IGNORE INTO test_issued SELECT token FROM tokens;
      CREATE TRIGGER IF NOT EXISTS test_keep_issued AFTER INSERT ON tokens
      BEGIN INSERT OR IGNORE INTO test_issued VALUES (NEW.token); END;`);
  } finally {
    db.close();
  }
}

/** Every access token the Salesforce emulator issued since recordIssuedTokens. */
function issuedTokens(dir: string): string[] {
  const db = new Database(path.join(dir, 'salesforce', 'emulator.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT token FROM test_issued').all() as Array<{ token: string }>).map(
      (r) => r.token,
    );
  } finally {
    db.close();
  }
}

/** Captures what this process writes to stdout and stderr into `outputs` while `work` runs. */
async function captured<T>(outputs: string[], work: () => Promise<T>): Promise<T> {
  const capture = (stream: NodeJS.WriteStream) => {
    const write = stream.write;
    stream.write = ((chunk: string | Uint8Array) => {
      outputs.push(Buffer.from(chunk).toString('utf8'));
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = write;
    };
  };
  const restore = [capture(process.stdout), capture(process.stderr)];
  try {
    return await work();
  } finally {
    for (const r of restore) r();
  }
}

/**
 * Three runs in this process: a delta run, a full run on the cached token, and a full run under
 * 503s, row locks and sessions revoked every 5 calls (tokens refreshed and re-cached mid-run).
 */
async function threeRuns(env: LocalEnvironment, outputs: string[]): Promise<number[]> {
  return captured(outputs, async () => {
    const a = await runSync({ input: {}, retryIntervalScale: 0.001 });
    const b = await runSync({ input: { mode: 'full' }, retryIntervalScale: 0.001 });
    env.salesforce?.setFaults({
      seed: 11,
      unavailableShare: 0.2,
      lockRowShare: 0.05,
      expireSessionAfterCalls: 5,
    });
    const c = await runSync({ input: { mode: 'full' }, retryIntervalScale: 0.001 });
    env.salesforce?.setFaults({});
    return [a, b, c].map((r) => r.salesforce.authCalls);
  });
}

/** Every string of the table, the token entries checked for their shape. */
async function scanTable(endpoint: string | undefined, table: string | undefined) {
  const stored: string[] = [];
  const counts = { gzipped: 0 };
  let tokenItems = 0;
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for await (const page of paginateScan({ client }, { TableName: table })) {
      for (const item of page.Items ?? []) {
        if (item.pk?.S === 'TOKEN') {
          tokenItems += 1;
          expect(Object.keys(item).sort()).toEqual(['expiresAt', 'pk', 'sealed', 'sk', 'ttl']);
        }
        for (const v of Object.values(item)) texts(v, stored, counts);
      }
    }
  } finally {
    client.destroy();
  }
  return { stored, counts, tokenItems };
}

async function inProcessRuns(dir: string, outputs: string[]) {
  const saved = process.env.LOG_LEVEL;
  process.env.LOG_LEVEL = 'debug';
  recordIssuedTokens(dir);
  const env = await startLocalEnvironment({ config: loadConfig('config/sync.config.json'), dataDir: dir });
  try {
    const authCalls = await threeRuns(env, outputs);
    const { store, config } = env.app;
    const decrypted = (await cachedToken(store, config))?.accessToken;
    const scanned = await scanTable(env.dynamo?.endpoint, env.env.TABLE_NAME);
    return { ...scanned, authCalls, decrypted, env: { dbPassword: env.sqlserver?.password ?? 'missing' } };
  } finally {
    await env.stop();
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  }
}

/**
 * Everything the sync writes — the DynamoDB table (every item, staged pages decompressed), run
 * records, HTML reports, handler logs and the CLI's stdout and stderr — holds no secret: not the
 * DB password, the Salesforce client secret, password or private key, nor any access token the
 * Salesforce emulator issued. The token cache holds only a sealed token.
 */
describe('no secret or usable token in anything the sync writes', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-secrets-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('scans CLI runs, in-process runs on the cached token, show and runs', async () => {
    const outputs: string[] = [];
    const first = await cli(['run', '--json', '--data-dir', dir, '--demo-rows', '12']);
    for (const o of [first, await cli(['show', '--data-dir', dir]), await cli(['runs', '--data-dir', dir])])
      outputs.push(o.stdout, o.stderr);
    expect(JSON.parse(first.stdout).salesforce.authCalls).toBe(1);
    expect(first.stderr).toContain('"service":"sf-sync"');

    const { stored, counts, tokenItems, env, authCalls, decrypted } = await inProcessRuns(dir, outputs);
    // Each process's emulator has a new port, hence a new cache entry; within one, the sealed
    // token is read back and reused: the second run asks for no token, the third several.
    expect(authCalls.slice(0, 2)).toEqual([1, 0]);
    expect(authCalls[2]).toBeGreaterThan(1);
    const issued = issuedTokens(dir);
    // The CLI run's token and every token of this process's runs.
    expect(issued).toHaveLength(1 + authCalls.reduce((a, b) => a + b, 0));
    expect(issued).toContain(decrypted);
    expect(tokenItems).toBe(2);
    expect(counts.gzipped).toBeGreaterThan(0);
    expect(stored.join('\n')).toContain('ITALCOL');

    const sfDir = path.join(dir, 'salesforce');
    const credentials = JSON.parse(readFileSync(path.join(sfDir, 'credentials.json'), 'utf8')) as {
      clientSecret: string;
      password: string;
    };
    const pem = readFileSync(path.join(sfDir, 'jwt-private-key.pem'), 'utf8');
    const secrets: Record<string, string> = {
      'DB password': env.dbPassword,
      'client secret': credentials.clientSecret,
      'Salesforce password': credentials.password,
    };
    // The private key's body, line by line: any part of it leaking is found.
    pem
      .split('\n')
      .filter((l) => l.length >= 32 && !l.startsWith('-----'))
      .forEach((line, i) => {
        secrets[`private key line ${i + 1}`] = line;
      });
    issued.forEach((t, i) => {
      secrets[`access token ${i + 1}`] = t;
      secrets[`access token ${i + 1} (session part)`] = t.split('!')[1] ?? t;
    });
    const everything = [...stored, ...outputs, ...filesUnder(path.join(dir, 'reports'))].join('\n');
    const leaked = Object.entries(secrets)
      .filter(([, secret]) => everything.includes(secret))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    expect(Object.keys(secrets).length).toBeGreaterThan(20);
  }, 600000);
});
