import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../../src/cli/main.js';
import type { CheckReport } from '../../../src/core/check/problems.js';

const tsx = path.resolve('node_modules/.bin/tsx');
// biome-ignore lint/suspicious/noExplicitAny: tests break the config on purpose
type RawJson = Record<string, any>;
const shipped = (): RawJson => JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
const ALL = ['ITALCOL', 'CASABLANCA', 'SANTA_REYES'];

/** The warnings the shipped config has on the emulators: two view columns longer than their fields. */
const SHIPPED_WARNINGS = [
  {
    severity: 'warning',
    key: 'entities.terceros.fields.Name',
    problem: 'razon_social NVARCHAR(400) can hold 400 characters; Name takes 255: longer values are rejected',
    fix: 'set "maxLength": 255 with "truncate": true to cut them, or shorten the column in the view',
    companies: ALL,
  },
  {
    severity: 'warning',
    key: 'entities.terceros.fields.ti_email__c',
    problem: 'email NVARCHAR(150) can hold 150 characters; ti_email__c takes 80: longer values are rejected',
    fix: 'set "maxLength": 80 with "truncate": true to cut them, or shorten the column in the view',
    companies: ALL,
  },
];

describe('sf-sync check against the emulators', () => {
  let dir: string;
  let configDir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-check-'));
    configDir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-check-config-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(configDir, { recursive: true, force: true });
  });

  function cli(args: string[], env: Record<string, string> = {}) {
    const out = spawnSync(tsx, ['src/cli/main.ts', ...args], {
      encoding: 'utf8',
      timeout: 240000,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    });
    return { code: out.status, stdout: out.stdout, stderr: out.stderr };
  }

  /** `check --json` in this process, on a config file changed by `edit`, passed by SYNC_CONFIG_PATH. */
  async function checkWith(
    name: string,
    edit: (c: RawJson) => void,
  ): Promise<{ code: number; report: CheckReport }> {
    const config = shipped();
    edit(config);
    const file = path.join(configDir, `${name}.json`);
    writeFileSync(file, JSON.stringify(config));
    const written: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    });
    const previous = process.env.SYNC_CONFIG_PATH;
    process.env.SYNC_CONFIG_PATH = file;
    try {
      const code = await main(['check', '--json', '--data-dir', dir, '--demo-rows', '40']);
      return { code, report: JSON.parse(written.join('')) as CheckReport };
    } finally {
      spy.mockRestore();
      if (previous === undefined) delete process.env.SYNC_CONFIG_PATH;
      else process.env.SYNC_CONFIG_PATH = previous;
    }
  }

  it('passes the shipped config (exit 0), listing its warnings, as JSON and as a table', () => {
    const json = cli(['check', '--json', '--data-dir', dir, '--demo-rows', '40']);
    expect(json.stderr).toBe('');
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ok: true, errors: [], warnings: SHIPPED_WARNINGS });

    const table = cli(['check', '--data-dir', dir, '--company', 'CASABLANCA', '--entity', 'terceros']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^severity\s+config key\s+problem\s+what to do$/);
    expect(lines[2]).toMatch(
      /^warning\s+entities\.terceros\.fields\.Name\s+\[CASABLANCA\] razon_social NVARCHAR\(400\)/,
    );
    expect(lines.at(-1)).toBe('sf-sync check: 0 errors, 2 warnings.');
  });

  it('refuses an unknown --company or --entity with exit 2', () => {
    const out = cli(['check', '--company', 'ACME', '--data-dir', dir]);
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(
      '--company ACME: not in the config (known: ITALCOL, CASABLANCA, SANTA_REYES)',
    );
  });

  it('stops `run --check` before syncing when the check finds errors', () => {
    const config = shipped();
    config.entities.terceros.fields.Telefono = config.entities.terceros.fields.Phone;
    delete config.entities.terceros.fields.Phone;
    const file = path.join(configDir, 'run-check.json');
    writeFileSync(file, JSON.stringify(config));
    const out = cli(['run', '--check', '--json', '--data-dir', dir, '--quiet'], { SYNC_CONFIG_PATH: file });
    expect(out.code).toBe(1);
    expect(out.stdout).toBe('');
    expect(out.stderr).toMatch(
      /error\s+entities\.terceros\.fields\.Telefono\s+Account has no field Telefono/,
    );
    expect(out.stderr).toContain(
      'sf-sync check: 1 error, 2 warnings (exit 1: fix the errors before syncing).',
    );
  });

  const cases: Array<[string, (c: RawJson) => void, unknown[]]> = [
    [
      'an unknown object',
      (c) => {
        c.entities.acuerdos.object = 'ti_acuerdos__c';
      },
      [
        {
          severity: 'error',
          key: 'entities.acuerdos.object',
          problem:
            'the org has no object ti_acuerdos__c this user can see (Salesforce describe ti_acuerdos__c answered 404 NOT_FOUND: The requested resource does not exist)',
          fix: 'use the object API name from Setup > Object Manager (custom objects end in __c), or give the user access',
        },
      ],
    ],
  ];

  it.each(cases)('reports %s with its config key', async (name, edit, errors) => {
    const { code, report } = await checkWith(name.replace(/\W+/g, '-'), edit);
    expect(report.errors).toEqual(errors);
    expect(code).toBe(1);
  });
});
