import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { call, tempDir } from './support.js';

const root = process.cwd();
const main = join(root, 'src', 'emulators', 'salesforce', 'main.ts');

interface Ready {
  ready: true;
  loginUrl: string;
  instanceUrl: string;
  sandbox: boolean;
  apiVersion: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  privateKeyPath: string;
}

const children = new Set<ChildProcess>();
const dirs: string[] = [];

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function run(args: string[]): {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
} {
  // node itself with tsx's loader (not the tsx wrapper), so that kill -9 reaches the emulator.
  const child = spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function ready(proc: ReturnType<typeof run>): Promise<Ready> {
  for (let i = 0; i < 300; i++) {
    const line = proc.stdout().split('\n')[0];
    if (proc.stdout().includes('\n') && line) return JSON.parse(line) as Ready;
    if (proc.child.exitCode !== null) throw new Error(`emulator exited: ${proc.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`emulator not ready: ${proc.stderr()}`);
}

async function token(base: string, form: Record<string, string>) {
  const reply = await fetch(`${base}/services/oauth2/token`, {
    method: 'POST',
    body: new URLSearchParams(form),
  });
  return { status: reply.status, body: (await reply.json()) as Record<string, string> };
}

const passwordForm = (r: Ready) => ({
  grant_type: 'password',
  client_id: r.clientId,
  client_secret: r.clientSecret,
  username: r.username,
  password: r.password,
});

/** Client credentials, on the My Domain host where a real org serves them. */
async function login(r: Ready): Promise<string> {
  const form = { grant_type: 'client_credentials', client_id: r.clientId, client_secret: r.clientSecret };
  return (await token(r.instanceUrl, form)).body.access_token as string;
}

describe('npm run emulator:salesforce', () => {
  it('documents its flags and admin endpoints with --help', async () => {
    const proc = run(['--help']);
    expect(await proc.exited).toBe(0);
    for (const flag of [
      '--port',
      '--instance-port',
      '--sandbox',
      '--allow-password-flow',
      '--lock-wait-ms',
      '--lock-hold-ms',
      '--record-cost-ms',
      '--concurrent-long-requests',
      '--long-request-ms',
      '--unknown-exception-next',
      '--unknown-exception-share',
      '--unknown-exception-match',
      '--lost-response-next',
      '--lost-response-share',
      '--data-dir',
      '--reset',
      '--daily-limit',
      '--token-lifetime',
      '--unavailable-share',
      '--lock-row-share',
      '--expire-session-after-calls',
      '--latency-ms',
      '/__emulator/counters',
      '/__emulator/faults',
    ]) {
      expect(proc.stdout()).toContain(flag);
    }
  });

  it('refuses an unknown flag and a bad number with exit code 2', async () => {
    const unknown = run(['--bogus']);
    expect(await unknown.exited).toBe(2);
    expect(unknown.stderr()).toMatch(/Unknown option '--bogus'/);
    const bad = run(['--port', 'abc']);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("--port takes a number, got 'abc'");
    const negative = run(['--lock-wait-ms=-1']);
    expect(await negative.exited).toBe(2);
    expect(negative.stderr()).toContain('lockWaitMs must be a number >= 0, got -1');
  });

  it('prints one ready line, serves, survives kill -9 without losing acknowledged writes, and stops on SIGTERM', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const first = run(['--port', '0', '--data-dir', dataDir, '--latency-ms', '0']);
    const r = await ready(first);
    expect(r).toEqual({
      ready: true,
      loginUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      instanceUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/),
      sandbox: false,
      apiVersion: '62.0',
      clientId: expect.any(String),
      clientSecret: expect.any(String),
      username: expect.any(String),
      password: expect.any(String),
      privateKeyPath: join(dataDir, 'jwt-private-key.pem'),
    });
    expect(r.instanceUrl).not.toBe(r.loginUrl);
    expect((await token(r.loginUrl, passwordForm(r))).body).toEqual({
      error: 'invalid_grant',
      error_description: 'authentication failure',
    });
    const access = await login(r);
    const created = await call<{ id: string }>(r.instanceUrl, 'POST', '/sobjects/Account', access, {
      Name: 'sobrevive',
    });
    expect(created.status).toBe(201);
    first.child.kill('SIGKILL');
    await first.exited;
    expect(first.stdout().trimEnd().split('\n')).toHaveLength(1);

    const second = run(['--port', '0', '--data-dir', dataDir, '--sandbox', '--allow-password-flow']);
    const r2 = await ready(second);
    expect(r2.sandbox).toBe(true);
    const read = await call<{ Name: string }>(
      r2.instanceUrl,
      'GET',
      `/sobjects/Account/${created.body.id}`,
      access,
    );
    expect(read.body.Name).toBe('sobrevive');
    expect((await token(r2.loginUrl, passwordForm(r2))).body.instance_url).toBe(r2.instanceUrl);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('takes the lost-response faults from its flags', async () => {
    const dataDir = tempDir();
    dirs.push(dataDir);
    const proc = run([
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--lost-response-next',
      '2',
      '--lost-response-share',
      '0.25',
    ]);
    const r = await ready(proc);
    const faults = (await (await fetch(`${r.instanceUrl}/__emulator/faults`)).json()) as Record<
      string,
      unknown
    >;
    expect(faults).toMatchObject({ lostResponseNext: 2, lostResponseShare: 0.25 });
    proc.child.kill('SIGTERM');
    expect(await proc.exited).toBe(0);
  });
});
