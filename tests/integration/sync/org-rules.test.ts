import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createSyncApp } from '../../../src/core/app.js';
import { DIRTY_TERCERO_INDEX, terceroRow } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, failuresOf, startWorld, type TestWorld } from './helpers.js';

/** Codes a real org answers when a sync ignores its duplicate rules, address picklists and restricted picklists. */
const ORG_REFUSALS = [
  'DUPLICATES_DETECTED',
  'FIELD_INTEGRITY_EXCEPTION',
  'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
  'INVALID_FIELD_FOR_INSERT_UPDATE',
];

/** A tercero of ITALCOL at a clean index, and the Account an unrelated source already holds with its name and city. */
const TWIN_INDEX = 10;

/** A Salesforce client of an app over the environment as it is now (closed after: the client needs no more of it). */
async function client() {
  const app = createSyncApp();
  try {
    return await app.salesforceClient(1);
  } finally {
    await app.close();
  }
}

/**
 * The shipped config against the emulator as a new org is (strict by default): duplicate rules,
 * state and country picklists, restricted picklists all on.
 */
describe('the sync against a strict org', () => {
  let world: TestWorld;
  let enforcing: string;
  const savedPath = process.env.SYNC_CONFIG_PATH;
  const useConfig = (file: string | undefined) => {
    if (file === undefined) delete process.env.SYNC_CONFIG_PATH;
    else process.env.SYNC_CONFIG_PATH = file;
  };

  beforeAll(async () => {
    world = await startWorld();
    const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
    raw.entities.terceros.duplicateRules = 'enforce';
    enforcing = path.join(mkdtempSync(path.join(os.tmpdir(), 'sf-sync-cfg-')), 'sync.config.json');
    writeFileSync(enforcing, JSON.stringify(raw));
  }, 120000);
  afterAll(async () => {
    useConfig(savedPath);
    await world?.stop();
    rmSync(path.dirname(enforcing), { recursive: true, force: true });
  });

  it('blocks a same-named Account with DUPLICATES_DETECTED, per record, when the entity enforces duplicate rules', async () => {
    const row = terceroRow('ITALCOL', TWIN_INDEX);
    const sf = await client();
    const twin = await sf.upsertCollection(
      'Account',
      'ti_external_id__c',
      [{ ti_external_id__c: 'OTRO-ERP-1', Name: row.razon_social, BillingCity: row.ciudad }],
      { duplicateRules: 'enforce' },
    );
    expect(twin[0]?.success).toBe(true);

    useConfig(enforcing);
    const result = await world.run({ companies: ['ITALCOL'], entities: ['terceros'] });
    expect(result.status).toBe('SUCCEEDED');
    const failed = (await failuresOf(result.runId)).filter((f) => f.bucket === 'failed');
    expect(failed.map((f) => [f.key, f.code, f.message])).toEqual([
      [row.nit, 'DUPLICATES_DETECTED', 'Use one of these records?'],
    ]);
    expect(result.summary?.totals.failed).toBe(1);
    bucketsAddUp(result.summary);
  }, 120000);

  it('syncs every company with allowSave (the default): no duplicate, picklist or field-security refusal', async () => {
    useConfig(savedPath);
    const result = await world.run({});
    expect(result.status).toBe('SUCCEEDED');
    bucketsAddUp(result.summary);
    expect(result.summary?.totals.failed).toBe(0);
    const codes = new Set((await failuresOf(result.runId)).map((f) => f.code));
    expect(ORG_REFUSALS.filter((c) => codes.has(c))).toEqual([]);
    // The row blocked by the rule before is created now, beside its twin.
    const row = terceroRow('ITALCOL', TWIN_INDEX);
    const sf = await client();
    const twins = await sf.query<{ ti_external_id__c: string }>(
      `SELECT ti_external_id__c FROM Account WHERE BillingCity = '${row.ciudad}' AND Name = '${String(row.razon_social).replace(/'/g, "\\'")}' ORDER BY ti_external_id__c`,
    );
    expect(twins.map((t) => t.ti_external_id__c)).toEqual([`ITALCOL-${row.nit}`, 'OTRO-ERP-1']);
  }, 120000);

  it('writes departments as state codes with the country, and tipo_tercero as a value of the restricted Account.Type', async () => {
    const sf = await client();
    const accounts = await sf.query<Record<string, string | null>>(
      "SELECT BillingStateCode, BillingState, BillingCountryCode, BillingCountry, Type FROM Account WHERE ti_external_id__c LIKE 'ITALCOL-%'",
    );
    const d = DIRTY_TERCERO_INDEX;
    const rejected = new Set<number>([
      d.missingName,
      d.longName,
      d.invalidEmail,
      d.duplicateFirst,
      d.duplicateSecond,
    ]);
    const rows = Array.from({ length: 60 }, (_, i) => i)
      .filter((i) => !rejected.has(i))
      .map((i) => terceroRow('ITALCOL', i));
    const bogota = rows.filter((r) => r.departamento === 'Bogotá D.C.').length;
    const picked = accounts.map(
      (a) => `${a.BillingCountryCode}|${a.BillingStateCode}|${a.BillingState}|${a.BillingCountry}`,
    );
    expect(picked.filter((p) => p === 'CO|DC|Distrito Capital de Bogotá|Colombia')).toHaveLength(bogota);
    expect(accounts.every((a) => a.BillingCountryCode === 'CO' && a.BillingCountry === 'Colombia')).toBe(
      true,
    );
    expect(new Set(accounts.map((a) => a.Type))).toEqual(
      new Set(['Customer - Direct', 'Channel Partner / Reseller', 'Other']),
    );
    const stores = await sf.query<Record<string, string | null>>(
      "SELECT StateCode, CountryCode FROM RetailStore WHERE ti_external_id__c LIKE 'ITALCOL-%' AND StateCode = 'ANT'",
    );
    expect(stores.length).toBeGreaterThan(0);
    expect(stores.every((s) => s.CountryCode === 'CO')).toBe(true);
    // Keep the next runs honest: an app built now reads the shipped config again.
    expect(createSyncApp().config.entity('terceros').duplicateRules).toBe('allowSave');
  });
});
