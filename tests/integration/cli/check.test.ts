import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../../src/cli/main.js';
import type { CheckReport } from '../../../src/core/check/problems.js';
import { runCheck } from '../../../src/core/check/run.js';
import { loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { startLocalEnvironment } from '../../../src/local/environment.js';

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

const DUPLICATE_RULE_WARNING = {
  severity: 'warning',
  key: 'entities.terceros.duplicateRules',
  problem:
    'Account has active duplicate rules (Standard_Account_Duplicate_Rule) and this entity enforces them: records Salesforce thinks are duplicates fail DUPLICATES_DETECTED every run',
  fix: 'set "duplicateRules": "allowSave" (the records\' identity is the external ID), or deactivate the rules',
};

const TYPE_FIX =
  'add them to the picklist\'s values in Setup, or convert them in the mapping ("case", a "lookup") to one of: "Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"';

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
    expect(json.code).toBe(0);
    // tedious verifies the emulator's certificate as localhost, so it sends no IP address as TLS SNI.
    expect(json.stderr).not.toContain('DEP0123');
    expect(json.stderr).not.toContain('DeprecationWarning');
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
      '--company "ACME": not in the config (known: ITALCOL, CASABLANCA, SANTA_REYES)',
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
    [
      'an unknown field',
      (c) => {
        c.entities.sucursales.fields.Ciudad = c.entities.sucursales.fields.City;
        delete c.entities.sucursales.fields.City;
      },
      [
        {
          severity: 'error',
          key: 'entities.sucursales.fields.Ciudad',
          problem: 'RetailStore has no field Ciudad',
          fix: 'use a field API name from Setup > Object Manager > RetailStore > Fields, or create the field',
        },
      ],
    ],
    [
      'text into a number field',
      (c) => {
        c.entities.acuerdos.fields.ti_valor__c = { from: 'valor' };
      },
      [
        {
          severity: 'error',
          key: 'entities.acuerdos.fields.ti_valor__c',
          problem: 'text into ti_valor__c, a currency field',
          fix: 'map it with the type the field takes ("type": "number" or "type": "integer"), or choose another field',
        },
      ],
    ],
    [
      'a DATETIME column into a Date field',
      (c) => {
        c.entities.acuerdos.fields.ti_fecha_inicio__c.from = 'fecha_modificacion';
      },
      [
        {
          severity: 'error',
          key: 'entities.acuerdos.fields.ti_fecha_inicio__c',
          problem:
            'a DATETIME column (fecha_modificacion DATETIME2) into a date: the time of day is dropped, and the date depends on the time zone',
          fix: 'map it to a Date/Time field with "type": "datetime", or CAST it AS DATE in the view',
          companies: ALL,
        },
      ],
    ],
    [
      'a mapped column missing in the view',
      (c) => {
        c.entities.sucursales.fields.City.from = 'municipio';
      },
      [
        {
          severity: 'error',
          key: 'entities.sucursales.fields.City',
          problem:
            'view sucursales_view has no column municipio (it has: codigo_sucursal, nit_tercero, nombre, direccion, ciudad, departamento, telefono, latitud, longitud, fecha_apertura, activo, fecha_modificacion)',
          fix: 'map a column the view has, or add the column to the view',
          companies: ALL,
        },
      ],
    ],
    [
      'a view one company does not have',
      (c) => {
        c.companies.CASABLANCA.entities = { acuerdos: { source: { view: 'acuerdos_v2' } } };
      },
      [
        {
          severity: 'error',
          key: 'companies.CASABLANCA.entities.acuerdos.source',
          problem:
            "cannot read view acuerdos_v2 in CASABLANCA's database: Invalid object name 'acuerdos_v2'. (error 208)",
          fix: 'name a view (or write a query) that this database user can read',
          companies: ['CASABLANCA'],
        },
      ],
    ],
    [
      'a required field not mapped',
      (c) => {
        delete c.entities.sucursales.fields.Name;
      },
      [
        {
          severity: 'error',
          key: 'entities.sucursales.fields',
          problem:
            'RetailStore.Name is required (not nillable, no default) but not mapped: every create fails REQUIRED_FIELD_MISSING',
          fix: 'add a mapping for Name ("from" a column or a "const")',
        },
      ],
    ],
    [
      'an external ID field not marked External ID and Unique',
      (c) => {
        c.entities.terceros.externalIdField = 'AccountNumber';
        delete c.entities.terceros.fields.AccountNumber;
      },
      [
        {
          severity: 'error',
          key: 'entities.terceros.externalIdField',
          problem: 'Account.AccountNumber is not marked External ID and Unique: upserts by it fail',
          fix: 'mark AccountNumber "External ID" and "Unique" in Setup > Object Manager > Account > Fields',
        },
      ],
    ],
    [
      'a relationship name that does not exist',
      (c) => {
        c.entities.acuerdos.fields.ti_cuenta__c.ref.relationship = 'ti_cuenta__c';
      },
      [
        {
          severity: 'error',
          key: 'entities.acuerdos.fields.ti_cuenta__c.ref.relationship',
          problem: 'ti_acuerdo__c.ti_cuenta__c has no relationship named ti_cuenta__c',
          fix: 'set "relationship": "ti_cuenta__r" (the relationshipName of ti_cuenta__c in describe)',
        },
      ],
    ],
    [
      'a relationship to the wrong object',
      (c) => {
        c.entities.acuerdos.fields.ti_sucursal__c.ref = {
          entity: 'terceros',
          relationship: 'ti_sucursal__r',
        };
      },
      [
        {
          severity: 'error',
          key: 'entities.acuerdos.fields.ti_sucursal__c.ref.entity',
          problem: 'ti_sucursal__c points to RetailStore, but entity terceros writes Account',
          fix: 'refer to the entity that writes RetailStore, or map the lookup field that points to Account',
        },
      ],
    ],
    [
      'an API version the org does not serve',
      (c) => {
        c.salesforce.apiVersion = '63.0';
      },
      [
        {
          severity: 'error',
          key: 'salesforce.apiVersion',
          problem: 'this org does not serve API version 63.0 (it serves 20.0 to 62.0)',
          fix: 'set "apiVersion": "62.0"',
        },
      ],
    ],
    [
      'a database login that fails',
      (c) => {
        c.companies.SANTA_REYES.database.password = 'not-the-password';
      },
      [
        {
          severity: 'error',
          key: 'companies.SANTA_REYES.database',
          problem: expect.stringMatching(
            /^cannot connect: SourceLoginError: cannot connect to SANTA_REYES's SQL Server at 127\.0\.0\.1:\d+: Login failed for user 'sfsync'\. \(check "user"\/"password" or "authentication", and "database"\)$/,
          ),
          fix: "check the company's database settings (DB_* variables) and that the server is reachable",
          companies: ['SANTA_REYES'],
        },
      ],
    ],
    [
      'a TLS server name the SQL Server certificate does not carry (the name is verified, not ignored)',
      (c) => {
        c.companies.SANTA_REYES.database.serverName = 'sql.example.com';
      },
      [
        {
          severity: 'error',
          key: 'companies.SANTA_REYES.database',
          problem: expect.stringMatching(
            /^cannot connect: SourceLoginError: cannot connect to SANTA_REYES's SQL Server at 127\.0\.0\.1:\d+: the server's certificate does not carry the host name connected to \(ERR_TLS_CERT_ALTNAME_INVALID\)/,
          ),
          fix: "check the company's database settings (DB_* variables) and that the server is reachable",
          companies: ['SANTA_REYES'],
        },
      ],
    ],
    [
      'Salesforce credentials the org refuses',
      (c) => {
        c.salesforce.auth.clientId = 'not-our-app';
      },
      [
        {
          severity: 'error',
          key: 'salesforce',
          problem: expect.stringMatching(/^cannot read the org: SalesforceAuthError: .*invalid_client_id/),
          fix: 'check loginUrl and the auth settings (SF_* variables), then run the check again',
        },
      ],
    ],
    [
      'source values a restricted picklist refuses (SANTA_REYES, 10 terceros, has no DISTRIBUIDOR)',
      (c) => {
        c.entities.terceros.fields.Type = { from: 'tipo_tercero', case: 'upper' };
      },
      [
        {
          severity: 'error',
          key: 'entities.terceros.fields.Type',
          problem:
            'the source holds "CLIENTE", "DISTRIBUIDOR", "PROVEEDOR", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
          fix: TYPE_FIX,
          companies: ['ITALCOL', 'CASABLANCA'],
        },
        {
          severity: 'error',
          key: 'entities.terceros.fields.Type',
          problem:
            'the source holds "CLIENTE", "PROVEEDOR", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
          fix: TYPE_FIX,
          companies: ['SANTA_REYES'],
        },
      ],
    ],
    [
      'raw source values (no case, no lookup) a restricted picklist refuses',
      (c) => {
        c.entities.terceros.fields.Type = { from: 'tipo_tercero' };
      },
      [
        {
          severity: 'error',
          key: 'entities.terceros.fields.Type',
          problem:
            'the source holds "CLIENTE", "DISTRIBUIDOR", "PROVEEDOR", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
          fix: TYPE_FIX,
          companies: ['ITALCOL', 'CASABLANCA'],
        },
        {
          severity: 'error',
          key: 'entities.terceros.fields.Type',
          problem:
            'the source holds "CLIENTE", "PROVEEDOR", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
          fix: TYPE_FIX,
          companies: ['SANTA_REYES'],
        },
      ],
    ],
    [
      "values a restricted picklist refuses, read through one company's custom query (its ORDER BY dropped)",
      (c) => {
        c.entities.terceros.fields.Type = { from: 'tipo_tercero', case: 'upper' };
        for (const company of ['CASABLANCA', 'SANTA_REYES'])
          c.companies[company].entities = { terceros: { enabled: false } };
        c.companies.ITALCOL.entities = {
          terceros: {
            source: { query: "SELECT * FROM terceros_view WHERE tipo_tercero = N'CLIENTE' ORDER BY nit" },
          },
        };
      },
      [
        {
          severity: 'error',
          key: 'entities.terceros.fields.Type',
          problem:
            'the source holds "CLIENTE", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
          fix: TYPE_FIX,
          companies: ['ITALCOL'],
        },
      ],
    ],
    [
      'state names sent while state and country picklists are on',
      (c) => {
        delete c.entities.sucursales.fields.StateCode;
        c.entities.sucursales.fields.State = { from: 'departamento', maxLength: 80 };
      },
      [
        {
          severity: 'error',
          key: 'entities.sucursales.fields.State',
          problem:
            'state and country picklists are on in this org (RetailStore has StateCode): State sent as a name fails FIELD_INTEGRITY_EXCEPTION',
          fix: 'map StateCode instead (the org\'s codes, e.g. AMA) with its country code field; a "lookup" can translate names to codes',
        },
      ],
    ],
  ];

  it("warns of the strict org's active Account duplicate rule when terceros enforces it (exit 0: only matches fail)", async () => {
    const { code, report } = await checkWith('enforce', (c) => {
      c.entities.terceros.duplicateRules = 'enforce';
    });
    expect(report).toEqual({ ok: true, errors: [], warnings: [DUPLICATE_RULE_WARNING, ...SHIPPED_WARNINGS] });
    expect(code).toBe(0);
  });

  it('has no duplicate-rule problem once the org turns its Account rule off (POST /__emulator/org-settings)', async () => {
    const raw = shipped();
    raw.entities.terceros.duplicateRules = 'enforce';
    const config = parseConfig(raw);
    const env = await startLocalEnvironment({ config, dataDir: path.join(dir, 'dup'), dynamodb: 'real' });
    try {
      const only = { companies: ['SANTA_REYES'], entities: ['terceros'] };
      const before = await runCheck(config, only);
      expect(before.warnings.map((w) => w.key)).toEqual([
        'entities.terceros.duplicateRules',
        'entities.terceros.fields.Name',
        'entities.terceros.fields.ti_email__c',
      ]);
      const sf = env.salesforce as NonNullable<typeof env.salesforce>;
      const answer = await fetch(`${sf.instanceUrl}/__emulator/org-settings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ duplicateRules: { Account: false } }),
      });
      expect(answer.status).toBe(200);
      const after = await runCheck(config, only);
      expect(after).toEqual({
        ok: true,
        errors: [],
        warnings: SHIPPED_WARNINGS.map((w) => ({ ...w, companies: ['SANTA_REYES'] })),
      });
    } finally {
      await env.stop();
    }
  });

  it('reads the org with the flow SF_AUTH_FLOW names, as the sync does, and names a wrong one', async () => {
    const previous = process.env.SF_AUTH_FLOW;
    const cannotRead = (problem: string) => [
      {
        severity: 'error',
        key: 'salesforce',
        problem: `cannot read the org: ${problem}`,
        fix: 'check loginUrl and the auth settings (SF_* variables), then run the check again',
      },
    ];
    try {
      process.env.SF_AUTH_FLOW = 'client_credentials';
      expect((await checkWith('flow-cc', () => undefined)).report).toEqual({
        ok: true,
        errors: [],
        warnings: SHIPPED_WARNINGS,
      });
      // The strict org has the username-password flow off, as orgs created since Summer '23.
      process.env.SF_AUTH_FLOW = 'password';
      expect((await checkWith('flow-password', () => undefined)).report.errors).toEqual(
        cannotRead(
          'SalesforceAuthError: Salesforce token request answered 400 invalid_grant: authentication failure',
        ),
      );
      process.env.SF_AUTH_FLOW = 'saml';
      const { code, report } = await checkWith('flow-saml', () => undefined);
      expect(report.errors).toEqual(
        cannotRead('ConfigError: SF_AUTH_FLOW: "saml" is not a flow (jwt, client_credentials, password)'),
      );
      expect(code).toBe(1);
    } finally {
      if (previous === undefined) delete process.env.SF_AUTH_FLOW;
      else process.env.SF_AUTH_FLOW = previous;
    }
  });

  it('reports a field the integration user cannot edit, from an org whose schema sets field-level security', async () => {
    const config = loadConfig('config/sync.config.json');
    const env = await startLocalEnvironment({
      config,
      dataDir: path.join(dir, 'fls'),
      dynamodb: 'real', // starts nothing: the check never touches DynamoDB
      salesforceOptions: { schemaPath: 'tests/fixtures/check/org-schema-fls.json' },
    });
    try {
      const report = await runCheck(config, { companies: ['SANTA_REYES'], entities: ['terceros'] });
      expect(report.errors).toEqual([
        {
          severity: 'error',
          key: 'entities.terceros.fields.ti_nombre_comercial__c',
          problem:
            'the integration user cannot create or edit ti_nombre_comercial__c (field-level security: createable false, updateable false)',
          fix: "give the integration user's profile or permission set Edit access to ti_nombre_comercial__c, or remove the mapping",
        },
      ]);
      expect(report.warnings.map((w) => [w.key, w.companies])).toEqual([
        ['entities.terceros.fields.Name', ['SANTA_REYES']],
        ['entities.terceros.fields.ti_email__c', ['SANTA_REYES']],
      ]);
    } finally {
      await env.stop();
    }
  });

  it.each(cases)('reports %s with its config key', async (name, edit, errors) => {
    const { code, report } = await checkWith(name.replace(/\W+/g, '-'), edit);
    expect(report.errors).toEqual(errors);
    expect(code).toBe(1);
  });
});
