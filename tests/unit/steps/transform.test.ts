import { entry } from '../../../src/core/snapshot/entry.js';
import {
  DUPLICATE_MARK,
  DUPLICATE_SPELLINGS,
  ROW_HASH,
  ROW_IDENTITY,
  ROW_SF_ID,
} from '../../../src/core/sync/marks.js';
import { type OutRecord, transform } from '../../../src/core/sync/transform.js';
import { CO, entries, failures, RUN, world } from './world.js';

const task = (entity: string, page = 1) => ({
  runId: RUN,
  company: CO,
  entity,
  mode: 'delta' as const,
  page,
});

/** A terceros row as Extract stages it: the view's columns plus the diff's marks. */
const tercero = (nit: string, fields: Record<string, unknown> = {}, sfId?: string) => ({
  nit,
  razon_social: `Razón ${nit}`,
  activo: true,
  ...fields,
  [ROW_HASH]: `hash-${nit}`,
  [ROW_IDENTITY]: nit.toLowerCase(),
  ...(sfId ? { [ROW_SF_ID]: sfId } : {}),
});

describe('transform: one staged page of changes to Salesforce payloads', () => {
  it('stages valid rows as OUT records with identity, hash and known Id; rejects the rest and journals the rejections', async () => {
    const w = await world();
    const rows = [
      tercero('900'),
      tercero('901', {}, '001000000000001AAA'),
      tercero('902', { razon_social: null, email: 'not-an-email' }),
      tercero('AB-1', { [DUPLICATE_MARK]: true, [DUPLICATE_SPELLINGS]: ['AB-1', 'ab-1'] }),
    ];
    await w.store.putStage(RUN, CO, 'terceros', 'IN', 1, rows);

    const result = await transform(w.app, task('terceros'));

    expect(result).toEqual({ rows: 4, unchanged: 0, rejected: 2, toSend: 2 });
    const out = await w.store.getStage<OutRecord>(RUN, CO, 'terceros', 'OUT', 1);
    expect(out.map((r) => [r.key, r.identity, r.hash, r.sfId])).toEqual([
      ['900', '900', 'hash-900', undefined],
      ['901', '901', 'hash-901', '001000000000001AAA'],
    ]);
    // The marks do not travel to Salesforce; the payload is the mapping's.
    expect(out[0]?.payload).toEqual({
      Name: 'Razón 900',
      AccountNumber: '900',
      Type: null,
      ti_nombre_comercial__c: null,
      BillingStreet: null,
      BillingCity: null,
      BillingStateCode: null,
      BillingCountryCode: 'CO',
      Phone: null,
      ti_email__c: null,
      ti_cupo_credito__c: 0,
      ti_activo__c: true,
      ti_fecha_modificacion__c: null,
    });
    expect(await failures(w)).toEqual([
      ['902', 'rejected', 'REQUIRED_FIELD_MISSING'],
      ['AB-1', 'rejected', 'DUPLICATE_VALUE'],
    ]);
    const messages = (await w.store.getFailures(RUN)).map((f) => f.message);
    expect(messages).toEqual([
      'Name: required value missing (source razon_social); ti_email__c: invalid email address: not-an-email',
      'key AB-1 collides with another spelling of the same key ("AB-1", "ab-1": SQL Server\'s collation or Salesforce\'s case-insensitive external ID treats them as one); none of its rows is sent',
    ]);
    // Rejections reach the snapshot (so an unchanged rejected row is not staged again); nothing else does.
    expect(await entries(w, 'terceros')).toEqual([
      entry({ identity: '902', hash: 'hash-902', status: 'rejected', code: 'REQUIRED_FIELD_MISSING' }),
      entry({
        identity: 'ab-1',
        key: 'AB-1',
        hash: 'hash-AB-1',
        status: 'rejected',
        code: 'DUPLICATE_VALUE',
      }),
    ]);
    const page = await w.store.getPage(RUN, CO, 'terceros', 1);
    expect([page?.status, page?.rows, page?.rejected, page?.toSend]).toEqual(['transformed', 4, 2, 2]);
  });

  it('sends a child only when its parent is in Salesforce; a missing parent is INVALID_CROSS_REFERENCE_KEY, journaled', async () => {
    const w = await world();
    await w.snapshots.append(CO, 'terceros', 'earlier', [
      entry({ identity: '900', hash: 'h', status: 'synced', sfId: '001000000000900AAA' }),
      entry({ identity: '901', hash: 'h', status: 'failed', code: 'UNABLE_TO_LOCK_ROW' }),
    ]);
    const sucursal = (code: string, nit: string) => ({
      codigo_sucursal: code,
      nombre: `Sucursal ${code}`,
      nit_tercero: nit,
      activo: true,
      [ROW_HASH]: `hash-${code}`,
      [ROW_IDENTITY]: code.toLowerCase(),
    });
    await w.store.putStage(RUN, CO, 'sucursales', 'IN', 3, [
      sucursal('S1', '900'),
      sucursal('S2', '901'),
      sucursal('S3', '999'),
    ]);

    const result = await transform(w.app, task('sucursales', 3));

    expect(result).toEqual({ rows: 3, unchanged: 0, rejected: 2, toSend: 1 });
    const out = await w.store.getStage<OutRecord>(RUN, CO, 'sucursales', 'OUT', 3);
    expect(out.map((r) => [r.key, r.payload.Account])).toEqual([
      ['S1', { ti_external_id__c: 'ITALCOL-900' }],
    ]);
    expect(await failures(w)).toEqual([
      ['S2', 'rejected', 'INVALID_CROSS_REFERENCE_KEY'],
      ['S3', 'rejected', 'INVALID_CROSS_REFERENCE_KEY'],
    ]);
    expect((await w.store.getFailures(RUN))[1]?.message).toBe(
      'AccountId: parent terceros ITALCOL-999 is not in Salesforce (missing from the source, rejected or failed)',
    );
    expect((await entries(w, 'sucursales')).map((e) => [e.identity, e.status, e.code])).toEqual([
      ['s2', 'rejected', 'INVALID_CROSS_REFERENCE_KEY'],
      ['s3', 'rejected', 'INVALID_CROSS_REFERENCE_KEY'],
    ]);
  });

  it('in a dry run stages what it would send but leaves the snapshot untouched', async () => {
    const w = await world(undefined, { dryRun: true });
    await w.store.putStage(RUN, CO, 'terceros', 'IN', 1, [tercero('900'), tercero('902', { activo: null })]);

    const result = await transform(w.app, task('terceros'));

    expect(result).toEqual({ rows: 2, unchanged: 0, rejected: 1, toSend: 1 });
    expect(await failures(w)).toEqual([['902', 'rejected', 'REQUIRED_FIELD_MISSING']]);
    expect(await entries(w, 'terceros')).toEqual([]);
    expect(w.table.items.get(`SNAP#${CO}#terceros`)).toBeUndefined();
  });

  it('fails with StoreStateError naming the page when its staged rows are gone (expired)', async () => {
    const w = await world();
    await expect(transform(w.app, task('terceros', 7))).rejects.toThrow(
      'Staged IN page 7 of ITALCOL/terceros in run run-1 is missing or incomplete (0/0 parts); it may have expired',
    );
  });
});
