import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sql from 'mssql';
import { tempDir } from './helpers.js';

const MAIN = path.resolve('src/emulators/sqlserver/main.ts');

interface Run {
  child: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<number | null>;
}

/** The emulator's command line, as `npm run emulator:sqlserver --` runs it (tsx). */
function start(args: string[]): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { stdio: 'pipe' });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exit };
}

async function firstLine(run: Run): Promise<string> {
  const deadline = Date.now() + 30_000;
  while (!run.stdout().includes('\n')) {
    if (Date.now() > deadline || run.child.exitCode !== null)
      throw new Error(`no ready line; stderr: ${run.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return run.stdout().split('\n')[0] as string;
}

describe('npm run emulator:sqlserver', () => {
  const folder = tempDir();

  afterAll(() => folder.remove());

  it('prints exactly one ready line of JSON, serves mssql until SIGTERM, then exits 0', async () => {
    const run = start(['--port', '0', '--data-dir', folder.dir, '--scale', '0.05']);
    try {
      const ready = JSON.parse(await firstLine(run)) as {
        ready: boolean;
        host: string;
        port: number;
        user: string;
        password: string;
        databases: Record<string, string>;
        tls: { mode: string; caPath: string };
        timeZone: string;
      };
      expect(Object.keys(ready)).toEqual([
        'ready',
        'host',
        'port',
        'user',
        'password',
        'databases',
        'tls',
        'timeZone',
      ]);
      expect(ready.tls).toEqual({ mode: 'on', caPath: path.join(folder.dir, 'tls', 'ca.pem') });
      expect(ready.timeZone).toBe('America/Bogota');
      expect(ready).toMatchObject({ ready: true, host: '127.0.0.1' });
      expect(Object.keys(ready.databases)).toEqual(['ITALCOL', 'CASABLANCA', 'SANTA_REYES']);

      const pool = await new sql.ConnectionPool({
        server: ready.host,
        port: ready.port,
        user: ready.user,
        password: ready.password,
        database: ready.databases.CASABLANCA,
        options: { cryptoCredentialsDetails: { ca: readFileSync(ready.tls.caPath, 'utf8') } },
      }).connect();
      const result = await pool.request().query('SELECT COUNT(*) AS n FROM sucursales_view');
      await pool.close();
      expect(result.recordset[0]?.n).toBe(60);
    } finally {
      run.child.kill('SIGTERM');
    }

    expect(await run.exit).toBe(0);
    expect(run.stdout().trim().split('\n')).toHaveLength(1);
    expect(run.stderr()).toContain('generating CASABLANCA: 40 terceros, 60 sucursales, 20 acuerdos');
  });

  it('changes rows in the data folder with the change command', async () => {
    const run = start([
      'change',
      '--company',
      'CASABLANCA',
      '--view',
      'terceros',
      '--share',
      '0.1',
      '--data-dir',
      folder.dir,
    ]);

    expect(await run.exit).toBe(0);
    expect(JSON.parse(run.stdout())).toEqual({ updated: 3, inserted: 1, deleted: 0 });
  });

  it('documents its flags with --help and refuses a bad one with exit code 2', async () => {
    const help = start(['--help']);
    const bad = start(['--port', 'mil']);

    expect(await help.exit).toBe(0);
    expect(help.stdout()).toContain('--rows VIEW=N');
    expect(await bad.exit).toBe(2);
    expect(bad.stderr()).toContain("--port must be an integer from 0 to 65535, got 'mil'");
  });
});
