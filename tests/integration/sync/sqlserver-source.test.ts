import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/core/config/load.js';
import { localTimeRows } from '../../../src/emulators/sqlserver/data/generator.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';

/**
 * The sync's SQL Server side end to end: the real mssql/tedious driver over TLS (the emulator's
 * CA) against the SQL Server emulator, through the state machine, into the Salesforce emulator.
 * One company; the shipped terceros and sucursales, plus tipos_view (one column of every type)
 * mapped onto Account and, through a custom query, onto RetailStore.
 */
const SIZES = { ITALCOL: { terceros: 20, sucursales: 60, acuerdos: 1 } };

function testConfig(): unknown {
  const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
  raw.companies = { ITALCOL: raw.companies.ITALCOL };
  delete raw.entities.acuerdos;
  raw.entities.tipos = {
    source: { view: 'tipos_view' },
    key: ['CODIGO'],
    object: 'Account',
    externalIdField: 'ti_external_id__c',
    fields: {
      Name: { from: 'codigo', required: true },
      ti_nombre_comercial__c: { from: 'c_varchar', maxLength: 255 },
      AccountNumber: { from: 'c_char', maxLength: 40 },
      BillingStreet: { from: 'c_varbinary', encoding: 'hex' },
      BillingCity: { from: 'c_uniqueidentifier' },
      Phone: { from: 'c_bigint' },
      ti_cupo_credito__c: { from: 'c_money', type: 'number', scale: 2 },
      ti_activo__c: { from: 'c_bit', type: 'boolean' },
      ti_fecha_modificacion__c: { from: 'c_datetimeoffset', type: 'datetime' },
    },
  };
  raw.entities.tipos_tienda = {
    source: { query: "SELECT * FROM tipos_view WHERE codigo <> 'T-3' ORDER BY c_int" },
    key: ['codigo'],
    object: 'RetailStore',
    externalIdField: 'ti_external_id__c',
    fields: {
      Name: { from: 'codigo', required: true },
      AccountId: { from: 'codigo', required: true, ref: { entity: 'tipos', relationship: 'Account' } },
      ti_fecha_apertura__c: { from: 'c_date', type: 'date' },
      ti_latitud__c: { from: 'c_numeric', type: 'number', scale: 6 },
      ti_fecha_modificacion__c: { from: 'c_datetime2', type: 'datetime' },
      Street: { from: 'c_datetime2' },
      City: { from: 'c_decimal', maxLength: 40 },
      ti_telefono__c: { from: 'c_time' },
    },
  };
  return raw;
}

/** A token as the sync gets one for client credentials: on the org's own host (My Domain). */
async function token(env: LocalEnvironment): Promise<string> {
  const sf = env.salesforce;
  if (!sf) throw new Error('no Salesforce emulator');
  const { clientId, clientSecret } = sf.credentials;
  const r = await fetch(`${sf.instanceUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  const body = (await r.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

async function soql<T>(env: LocalEnvironment, q: string): Promise<T[]> {
  const r = await fetch(
    `${env.salesforce?.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(q)}`,
    {
      headers: { authorization: `Bearer ${await token(env)}` },
    },
  );
  const body = (await r.json()) as { records?: T[] };
  if (!body.records) throw new Error(`query failed: ${JSON.stringify(body)}`);
  return body.records;
}

describe('the sync against a SQL Server that speaks TLS, local time, collations and every type', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-sqlsrc-'));
  let env: LocalEnvironment;
  let runId = '';
  let status = '';

  beforeAll(async () => {
    const file = path.join(dir, 'sync.config.json');
    writeFileSync(file, JSON.stringify(testConfig()));
    process.env.SYNC_CONFIG_PATH = file;
    env = await startLocalEnvironment({ config: loadConfig(file), dataDir: dir, sizes: SIZES });
    const result = await runSync({ input: {}, retryIntervalScale: 0.001 });
    runId = result.runId;
    status = result.status;
  }, 180000);

  afterAll(async () => {
    await env?.stop();
    delete process.env.SYNC_CONFIG_PATH;
    rmSync(dir, { recursive: true, force: true });
  });

  it('connects encrypted with the emulator CA and finishes the run', () => {
    expect(env.sqlserver?.tls.mode).toBe('on');
    expect(env.env.DB_CA_ITALCOL).toBe(env.sqlserver?.tls.ca);
    expect(status).toBe('SUCCEEDED');
  });

  it('sends a Bogotá wall-clock DATETIME2 as the right UTC instant', async () => {
    const [row] = localTimeRows('ITALCOL', SIZES.ITALCOL);
    expect(row?.wallClock).toBe('2026-03-01 08:00:00.0000000');
    const records = await soql<{ ti_fecha_modificacion__c: string }>(
      env,
      `SELECT ti_fecha_modificacion__c FROM Account WHERE ti_external_id__c = 'ITALCOL-${row?.key}'`,
    );
    expect(records.map((r) => r.ti_fecha_modificacion__c)).toEqual(['2026-03-01T13:00:00.000+0000']);
  });

  it('round-trips every type: CP1252 text, CHAR padding, GUID, BIGINT, MONEY, VARBINARY as hex, DATETIMEOFFSET', async () => {
    const records = await soql<Record<string, unknown>>(
      env,
      "SELECT Name, ti_nombre_comercial__c, AccountNumber, BillingStreet, BillingCity, Phone, ti_cupo_credito__c, ti_activo__c, ti_fecha_modificacion__c FROM Account WHERE ti_external_id__c IN ('ITALCOL-T-1', 'ITALCOL-T-3') ORDER BY Name",
    );
    expect(records.map(({ attributes: _, ...r }) => r)).toEqual([
      {
        Name: 'T-1',
        ti_nombre_comercial__c: 'Compañía Ñandú — café €5',
        AccountNumber: 'ab',
        BillingStreet: '0001feff',
        BillingCity: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
        Phone: '9223372036854775807',
        ti_cupo_credito__c: 922337203685477.6,
        ti_activo__c: true,
        ti_fecha_modificacion__c: '2026-03-01T13:00:00.123+0000',
      },
      {
        Name: 'T-3',
        ti_nombre_comercial__c: null,
        AccountNumber: 'Ñ',
        BillingStreet: null,
        BillingCity: '6F9619FF-8B86-D011-B42D-00C04FC964FF',
        Phone: '-9223372036854775808',
        ti_cupo_credito__c: 0,
        ti_activo__c: false,
        ti_fecha_modificacion__c: '2026-03-02T04:30:00.000+0000',
      },
    ]);
  });

  it('stages MONEY with every digit (a JS number would have rounded the cents)', async () => {
    const out = await env.app.store.getStage<{ key: string; payload: Record<string, unknown> }>(
      runId,
      'ITALCOL',
      'tipos',
      'OUT',
      1,
    );
    expect(out.find((r) => r.key === 'T-1')?.payload.ti_cupo_credito__c).toBe('922337203685477.58');
  });

  it('reads a custom query ordered by the key: DATE never shifted, DATETIME2 in Bogotá, TIME as text, NUMERIC and DECIMAL(38,2) exact', async () => {
    const records = await soql<Record<string, unknown>>(
      env,
      "SELECT Name, ti_fecha_apertura__c, ti_latitud__c, ti_fecha_modificacion__c, Street, City, ti_telefono__c FROM RetailStore WHERE ti_external_id__c LIKE 'ITALCOL-T-%' ORDER BY Name",
    );
    expect(records.map(({ attributes: _, ...r }) => r)).toEqual([
      {
        Name: 'T-1',
        ti_fecha_apertura__c: '2026-03-01',
        ti_latitud__c: -1234567.891,
        ti_fecha_modificacion__c: '2026-03-01T13:00:00.123+0000',
        Street: '2026-03-01T08:00:00.123-05:00',
        City: '123456789012345678901234567890123456.78',
        ti_telefono__c: '08:00:00.123',
      },
      {
        Name: 'T-2',
        ti_fecha_apertura__c: null,
        ti_latitud__c: null,
        ti_fecha_modificacion__c: null,
        Street: null,
        City: null,
        ti_telefono__c: null,
      },
    ]);
  });

  it('rejects every row of a key spelled two ways (case, Ñ/ñ, trailing or leading spaces) with DUPLICATE_VALUE, whatever order the ties came in', async () => {
    const failures = await env.app.store.getFailures(runId);
    const duplicates = failures
      .filter((f) => f.entity === 'sucursales' && f.code === 'DUPLICATE_VALUE')
      .map((f) => f.key)
      .sort();
    // One failure per key as sent (trimmed): 'L-WS'/'L-WS ' are one; ' L-WS2' sorts far from 'L-WS2'.
    expect(duplicates).toEqual(['AB-1', 'L-WS', 'L-WS2', 'MUÑOZ-1', 'ab-1', 'muñoz-1'].sort());
    const accents = await soql<{ Name: string }>(
      env,
      "SELECT Name FROM RetailStore WHERE ti_external_id__c IN ('ITALCOL-CAFE-1', 'ITALCOL-CAFÉ-1')",
    );
    expect(accents).toHaveLength(2);
  });
});
