import { loadConfig } from '../../src/core/config/load.js';
import type { SalesforceClient } from '../../src/core/salesforce/client.js';
import { clipped, diffQuery, diffUpdates, sameValue, soqlString } from '../../src/core/sync/dry-run.js';

const config = loadConfig('config/sync.config.json');

describe('dry-run diff helpers', () => {
  it('quotes SOQL string literals, escaping backslash and single quote', () => {
    expect(soqlString("O'Brien\\x")).toBe("'O\\'Brien\\\\x'");
  });

  it('reads the current values by external ID (company-key), the payload fields and Id', () => {
    const entity = config.entity('terceros');
    const records = [
      { key: '9001', identity: '9001', hash: 'h', payload: { Name: 'A', Phone: '1' }, sfId: '001A' },
      { key: "9'2", identity: "9'2", hash: 'h', payload: { Name: 'B', Phone: '2' }, sfId: '001B' },
    ];
    expect(diffQuery('ITALCOL', entity, records, ['Name', 'Phone'])).toBe(
      "SELECT Id, ti_external_id__c, Name, Phone FROM Account WHERE ti_external_id__c IN ('ITALCOL-9001', 'ITALCOL-9\\'2')",
    );
  });

  it('compares values as Salesforce returns them', () => {
    expect(sameValue(null, '')).toBe(true);
    expect(sameValue(undefined, null)).toBe(true);
    expect(sameValue(null, 'x')).toBe(false);
    expect(sameValue(446000000, '446000000')).toBe(true);
    expect(sameValue(0, 895034593.84)).toBe(false);
    expect(sameValue('2024-12-30T00:38:34.343+0000', '2024-12-30T00:38:34.343Z')).toBe(true);
    expect(sameValue('2024-12-30T00:38:34.343+0000', '2026-11-29T23:13:06.504Z')).toBe(false);
    expect(sameValue('+57 350', '+57 313')).toBe(false);
    expect(sameValue(true, true)).toBe(true);
  });

  it('asks one query per 200 would-be updates and counts the differing and missing ones', async () => {
    const entity = config.entity('terceros');
    const updates = Array.from({ length: 450 }, (_, n) => ({
      key: String(n),
      identity: String(n),
      hash: 'h',
      payload: { Name: `N${n}`, Phone: n % 3 === 0 ? 'new' : 'old' },
      sfId: `001${n}`,
    }));
    const asked: number[] = [];
    const client = {
      query: async (soql: string) => {
        const ids = [...soql.matchAll(/'ITALCOL-(\d+)'/g)].map((m) => Number(m[1]));
        asked.push(ids.length);
        // Salesforce holds every record but the last, all with Phone "old".
        return ids
          .filter((n) => n !== 449)
          .map((n) => ({ Id: `001${n}`, ti_external_id__c: `italcol-${n}`, Name: `N${n}`, Phone: 'old' }));
      },
    } as unknown as SalesforceClient;
    const diff = await diffUpdates(client, 'ITALCOL', entity, updates);
    expect(asked).toEqual([200, 200, 50]);
    expect({ compared: diff.compared, differing: diff.differing, missing: diff.missing }).toEqual({
      compared: 449,
      differing: 150,
      missing: 1,
    });
    expect(diff.records).toHaveLength(20);
    expect(diff.records[0]).toEqual({
      key: '0',
      sfId: '0010',
      changes: [{ field: 'Phone', current: 'old', next: 'new' }],
    });
  });

  it('cuts long strings kept in the summary, saying how long they were', () => {
    expect(clipped('x'.repeat(200))).toBe('x'.repeat(200));
    expect(clipped('x'.repeat(32768))).toBe(`${'x'.repeat(200)}… (32768 characters)`);
    expect(clipped(42)).toBe(42);
    expect(clipped(null)).toBe(null);
  });
});
