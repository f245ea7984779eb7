import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'csv-parse/sync';

const tsx = path.resolve('node_modules/.bin/tsx');

function cli(args: string[]) {
  const out = spawnSync(tsx, ['src/cli/main.ts', ...args], {
    encoding: 'utf8',
    timeout: 240000,
    env: { ...process.env, LOG_LEVEL: 'warn' },
  });
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** The day-after commands as a user types them, over a run `npm start` made. */
describe('sf-sync report, runs, show and failures', () => {
  let dir: string;
  let runId: string;
  let summary: { runId: string; totals: Record<string, number> };
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-report-cli-'));
    const first = cli(['run', '--json', '--quiet', '--data-dir', dir, '--demo-rows', '20']);
    expect(first.code).toBe(0);
    summary = JSON.parse(first.stdout);
    runId = summary.runId;
    // The report path goes to stderr: stdout stays the JSON summary alone.
    expect(first.stderr).toContain(`Report: ${path.join(dir, 'reports', `${runId}.html`)}\n`);
  }, 240000);
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('npm start wrote the run report where it said', () => {
    const html = readFileSync(path.join(dir, 'reports', `${runId}.html`), 'utf8');
    expect(html).toContain(`<title>sf-sync run ${runId}</title>`);
    expect(html).toContain(`<td class="n" data-total="rejected">${summary.totals.rejected}</td>`);
  });

  it('report writes the latest run to --out and prints the path', () => {
    const out = path.join(dir, 'elsewhere', 'latest.html');
    const result = cli(['report', '--out', out, '--data-dir', dir]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`${out}\n`);
    expect(readFileSync(out, 'utf8')).toContain(`sf-sync run <code>${runId}</code>`);
  });

  it('runs --json lists the run with its totals; show is a readable summary', () => {
    const runs = cli(['runs', '--json', '--data-dir', dir]);
    expect(runs.code).toBe(0);
    expect(JSON.parse(runs.stdout)).toEqual([
      expect.objectContaining({ runId, status: 'SUCCEEDED', totals: summary.totals }),
    ]);
    const show = cli(['show', runId, '--data-dir', dir]);
    expect(show.code).toBe(0);
    expect(show.stdout.startsWith(`Run ${runId}: SUCCEEDED\n`)).toBe(true);
    expect(show.stdout).toMatch(
      new RegExp(`TOTAL\\s+${summary.totals.extracted}\\s+${summary.totals.created}\\s`),
    );
  });

  it('failures writes the error file; without --csv or --json it says what it needs', () => {
    const file = path.join(dir, 'errors.csv');
    const result = cli(['failures', runId, '--csv', file, '--data-dir', dir]);
    expect(result.code).toBe(0);
    const rows = parse(readFileSync(file), { bom: true, columns: true }) as Array<{ bucket: string }>;
    expect(rows.length).toBeGreaterThan(0);
    expect(result.stderr).toContain(`${rows.length} rejected or failed rows written to ${file}`);
    const usage = cli(['failures', runId, '--data-dir', dir]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('failures needs --csv FILE (the error file to write) or --json');
    const unknown = cli(['report', 'run-nope', '--data-dir', dir]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No run run-nope in the store');
    expect(existsSync(path.join(dir, 'reports', 'run-nope.html'))).toBe(false);
  });
});
