import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tsx = path.resolve('node_modules/.bin/tsx');

function cli(args: string[]) {
  const out = spawnSync(tsx, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 240000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, LOG_LEVEL: 'silent' },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe('the CLI with hostile --input and a busy data folder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-cli-input-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a 5,000-level nested --input in one line, before starting anything', () => {
    const deep = `{"companies": ${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const out = cli(['run', '--data-dir', dir, '--input', deep]);
    expect(out.code).toBe(2);
    expect(out.stderr).toBe(
      'sf-sync: --input: the execution input is nested more than 32 levels deep (at most 32 accepted)\nRun with --help for the options.\n',
    );
    expect(existsSync(path.join(dir, 'dynamodb'))).toBe(false);
  });

  it('says a data folder in use is busy, naming the pid, without a stack trace', async () => {
    const busy = path.join(dir, 'busy');
    const holder: ChildProcess = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'run',
        '--quiet',
        '--data-dir',
        busy,
        '--demo-rows',
        '20',
        '--latency',
        '1500',
      ],
      {
        env: { ...process.env, LOG_LEVEL: 'silent' },
        stdio: 'ignore',
      },
    );
    try {
      const lock = path.join(busy, 'sf-sync.lock');
      for (let i = 0; i < 600 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 50));
      expect(readFileSync(lock, 'utf8')).toBe(String(holder.pid));
      for (const command of [['show'], ['run']]) {
        const out = cli([...command, '--data-dir', busy]);
        expect({ command, code: out.code, stderr: out.stderr }).toEqual({
          command,
          code: 1,
          stderr: `sf-sync: the data folder ${busy} is in use by another sf-sync process (pid ${holder.pid}) — wait for it or use --data-dir\n`,
        });
      }
      expect(holder.exitCode).toBeNull(); // still running: the refusals above were for its lock
    } finally {
      holder.kill('SIGTERM');
      await new Promise((r) => holder.once('exit', r));
    }
  }, 240000);

  it('takes over a lock its dead holder left behind', () => {
    const stale = path.join(dir, 'stale');
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    rmSync(stale, { recursive: true, force: true });
    spawnSync('mkdir', ['-p', stale]);
    spawnSync(process.execPath, [
      '-e',
      `require('fs').writeFileSync(${JSON.stringify(path.join(stale, 'sf-sync.lock'))}, ${JSON.stringify(dead.stdout)})`,
    ]);
    const out = cli(['runs', '--data-dir', stale]);
    expect(out.stderr).not.toContain('in use');
    expect(out.code).toBe(0);
    expect(existsSync(path.join(stale, 'sf-sync.lock'))).toBe(false);
  }, 240000);
});
