import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tsx = path.resolve('node_modules/.bin/tsx');

function cli(args: string[]) {
  const out = spawnSync(tsx, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 240000,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** `npm start` is `tsx src/cli/main.ts run`: the same process a user gets, flags and all. */
describe('the sf-sync command', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 2 with a clear message on a bad flag or value', () => {
    const unknown = cli(['run', '--companny', 'ITALCOL']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--companny'");
    const mode = cli(['run', '--mode', 'fast']);
    expect(mode.code).toBe(2);
    expect(mode.stderr).toContain('--mode must be "delta" or "full", got "fast"');
  });

  it('runs a full sync, then a second one that sends nothing, printing JSON summaries', () => {
    const first = cli(['run', '--json', '--data-dir', dir, '--demo-rows', '40']);
    expect(first.stderr).toContain('extracted');
    // The local run verifies the SQL Server emulator's certificate as localhost: no IP as TLS SNI.
    expect(first.stderr).not.toContain('DEP0123');
    expect(first.stderr).not.toContain('DeprecationWarning');
    expect(first.code).toBe(0);
    const summary = JSON.parse(first.stdout);
    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      runId: expect.any(String),
      seconds: expect.any(Number),
    });
    expect(Object.keys(summary.companies)).toEqual(['ITALCOL', 'CASABLANCA', 'SANTA_REYES']);
    for (const bucket of ['extracted', 'created', 'updated', 'unchanged', 'rejected', 'failed', 'skipped']) {
      expect(summary.companies.ITALCOL.entities.terceros[bucket]).toEqual(expect.any(Number));
    }
    expect(summary.totals.created).toBeGreaterThan(0);
    expect(summary.salesforce.dataCalls).toBeGreaterThan(0);

    const second = cli(['run', '--json', '--data-dir', dir]);
    expect(second.code).toBe(0);
    const again = JSON.parse(second.stdout);
    expect(again.salesforce.dataCalls).toBe(0);
    expect(again.totals.created + again.totals.updated).toBe(0);
    expect(again.totals.unchanged).toBe(summary.totals.created);
  });

  it('prints the summary table for people, sending again with a token cached by another process', () => {
    // The emulator listens on a new port each start: a token cached for the old one must not be used.
    const out = cli([
      'run',
      '--data-dir',
      dir,
      '--company',
      'SANTA_REYES',
      '--entity',
      'terceros',
      '--mode',
      'full',
      '--quiet',
    ]);
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(
      /company\s+entity\s+status\s+extracted\s+created\s+updated\s+unchanged\s+rejected\s+failed\s+skipped/,
    );
    expect(out.stdout).toMatch(/SANTA_REYES\s+terceros\s+completed\s+\d+\s+0\s+[1-9]\d*\s+0/);
    expect(out.stdout).toContain('Salesforce API calls:');
    expect(out.stderr).not.toContain('extracted');
  });
});
