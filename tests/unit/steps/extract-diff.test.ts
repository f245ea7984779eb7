import type { SyncConfig } from '../../../src/core/config/load.js';
import { entry, type SnapEntry } from '../../../src/core/snapshot/entry.js';
import type { Row } from '../../../src/core/source/rows.js';
import {
  diffView,
  hashOfRow,
  mappingVersion,
  type RemoveRecord,
  type ViewSource,
} from '../../../src/core/sync/extract.js';
import {
  DUPLICATE_MARK,
  DUPLICATE_SPELLINGS,
  ROW_HASH,
  ROW_IDENTITY,
  ROW_SF_ID,
} from '../../../src/core/sync/marks.js';
import {
  DEFAULT_KEY_COMPARISON,
  type KeyComparison,
  keyComparison,
  normaliseKeyPart,
} from '../../../src/core/values/keys.js';
import { CO, configWith, entries, failures, RUN, type World, world } from './world.js';

const task = (mode: 'delta' | 'full' = 'delta') => ({ runId: RUN, company: CO, entity: 'terceros', mode });
const CI_AI = keyComparison('Modern_Spanish_CI_AI', true);

const tercero = (nit: string, name = `Tercero ${nit}`): Row => ({ nit, razon_social: name, activo: true });
const keys = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => `T-${String(from + i).padStart(2, '0')}`);

async function* pagesOf(rows: Row[], size: number): AsyncGenerator<Row[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size).map((r) => ({ ...r }));
}

/** The view as SQL Server would stream it (ordered as given), two rows a page. */
const view =
  (rows: Row[], how: KeyComparison = DEFAULT_KEY_COMPARISON): ViewSource =>
  (read) =>
    read({ keys: how, pages: pagesOf(rows, 2) });

const config = (entity: Record<string, unknown> = {}): SyncConfig =>
  configWith((raw) =>
    Object.assign(raw.entities.terceros ?? {}, { pageSize: 3, onDelete: 'delete', ...entity }),
  );

/** What an earlier run left in the snapshot for these rows: their hash as Salesforce acknowledged it. */
async function earlier(
  w: World,
  rows: Row[],
  fields: (row: Row, n: number) => Partial<SnapEntry> = (_, n) => ({ status: 'synced', sfId: `001SF${n}` }),
  how: KeyComparison = DEFAULT_KEY_COMPARISON,
): Promise<void> {
  const version = mappingVersion(w.app.entityOf(task()));
  const made = rows.map((row, n) =>
    entry({
      identity: normaliseKeyPart(String(row.nit), how),
      key: String(row.nit),
      hash: hashOfRow(version, row),
      status: 'synced',
      ...fields(row, n),
    }),
  );
  await w.snapshots.append(CO, 'terceros', 'earlier', made);
}

/** The staged IN rows of every page: [nit, identity, Salesforce Id]. */
async function staged(w: World, pages: number[]): Promise<Array<[unknown, unknown, unknown]>> {
  const out: Array<[unknown, unknown, unknown]> = [];
  for (const page of pages)
    for (const r of await w.store.getStage<Row>(RUN, CO, 'terceros', 'IN', page))
      out.push([r.nit, r[ROW_IDENTITY], r[ROW_SF_ID]]);
  return out;
}

describe("extract's diff: the view against the snapshot, without SQL Server", () => {
  it('first run: every row is new, staged in pages of pageSize with its hash and identity', async () => {
    const w = await world(config());
    const rows = keys(1, 5).map((k) => tercero(k));

    const result = await diffView(w.app, task(), view(rows), false);

    expect(result).toEqual({ rows: 5, pages: [1, 2], skipped: false, toRemove: 0, staged: 5, bulk: false });
    expect(await staged(w, [1, 2])).toEqual(keys(1, 5).map((k) => [k, k.toLowerCase(), undefined]));
    const first = (await w.store.getStage<Row>(RUN, CO, 'terceros', 'IN', 1))[0];
    expect(first?.[ROW_HASH]).toBe(hashOfRow(mappingVersion(w.app.entityOf(task())), tercero('T-01')));
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.status, record?.extracted, record?.pages, record?.unchanged, record?.toRemove]).toEqual([
      'extracted',
      5,
      2,
      0,
      0,
    ]);
  });

  it('stages new, changed and failed rows only; counts unchanged ones; stages the key that left the view for removal', async () => {
    const w = await world(config());
    const before = keys(1, 10).map((k) => tercero(k));
    await earlier(w, before);
    await earlier(w, [tercero('T-11')], () => ({ status: 'failed', code: 'UNABLE_TO_LOCK_ROW' }));
    const now = [
      ...keys(1, 8).map((k) => (k === 'T-03' ? tercero(k, 'Renamed S.A.S.') : tercero(k))),
      tercero('T-10'),
      tercero('T-11'),
      tercero('T-12'),
    ]; // T-09 left the view

    const result = await diffView(w.app, task(), view(now), false);

    expect(result).toEqual({ rows: 11, pages: [1], skipped: false, toRemove: 1, staged: 3, bulk: false });
    expect(await staged(w, [1])).toEqual([
      ['T-03', 't-03', '001SF2'], // changed: updated by its Id
      ['T-11', 't-11', undefined], // failed last run: retried
      ['T-12', 't-12', undefined], // new
    ]);
    expect(await w.store.getStage<RemoveRecord>(RUN, CO, 'terceros', 'DEL', 1)).toEqual([
      {
        identity: 't-09',
        key: 'T-09',
        sfId: '001SF8',
        hash: hashOfRow(mappingVersion(w.app.entityOf(task())), tercero('T-09')),
      },
    ]);
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.extracted, record?.unchanged, record?.toRemove, record?.error]).toEqual([
      11,
      8,
      1,
      undefined,
    ]);
  });

  it('stages nothing for an unchanged view, and everything in full mode', async () => {
    const rows = keys(1, 4).map((k) => tercero(k));
    const w = await world(config());
    await earlier(w, rows);
    expect(await diffView(w.app, task(), view(rows), false)).toMatchObject({ rows: 4, pages: [], staged: 0 });

    const full = await world(config());
    await earlier(full, rows);
    const result = await diffView(full.app, task('full'), view(rows), false);
    expect(result).toMatchObject({ rows: 4, pages: [1, 2], staged: 4 });
    expect((await staged(full, [1, 2])).map((r) => r[2])).toEqual(['001SF0', '001SF1', '001SF2', '001SF3']);
  });

  it('a mapping change (here one field rule) resends every row, by its Id', async () => {
    const rows = keys(1, 3).map((k) => tercero(k));
    const w = await world(config());
    await earlier(w, rows);
    const changed = config();
    const phone = changed.entity('terceros').fields.Phone as { maxLength?: number };
    phone.maxLength = 20;
    const next = w.app.with({ config: changed, store: w.store });

    const result = await diffView(next, task(), view(rows), false);

    expect(result).toMatchObject({ rows: 3, staged: 3, toRemove: 0 });
    expect(await staged(w, [1])).toEqual([
      ['T-01', 't-01', '001SF0'],
      ['T-02', 't-02', '001SF1'],
      ['T-03', 't-03', '001SF2'],
    ]);
  });

  it('matches keys as the collation does: AB-1 is ab-1 under CI; Café is Cafe under AI but not under AS', async () => {
    const padding = keys(1, 10).map((k) => tercero(k));
    const ci = await world(config());
    await earlier(ci, [tercero('ab-1'), ...padding]);
    const caseChanged = await diffView(ci.app, task(), view([tercero('AB-1'), ...padding]), false);
    expect(caseChanged).toMatchObject({ rows: 11, staged: 1, toRemove: 0 });
    expect(await staged(ci, [1])).toEqual([['AB-1', 'ab-1', '001SF0']]); // the same record, not a new one

    const ai = await world(config());
    await earlier(ai, [tercero('Cafe'), ...padding], undefined, CI_AI);
    expect(await diffView(ai.app, task(), view([tercero('Café'), ...padding], CI_AI), false)).toMatchObject({
      staged: 1,
      toRemove: 0,
    });
    expect(await staged(ai, [1])).toEqual([['Café', 'cafe', '001SF0']]);

    const as = await world(config());
    await earlier(as, [tercero('Cafe'), ...padding]);
    expect(await diffView(as.app, task(), view([tercero('Café'), ...padding]), false)).toMatchObject({
      staged: 1,
      toRemove: 1,
    });
    expect(await staged(as, [1])).toEqual([['Café', 'café', undefined]]); // another record: new
    expect((await as.store.getStage<RemoveRecord>(RUN, CO, 'terceros', 'DEL', 1)).map((r) => r.key)).toEqual([
      'Cafe',
    ]);
  });

  it('a key repeated as a neighbour stages every row to be rejected, naming both spellings', async () => {
    const w = await world(config());
    await diffView(w.app, task(), view([tercero('AB-1'), tercero('ab-1'), tercero('C-1')]), false);
    const rows = await w.store.getStage<Row>(RUN, CO, 'terceros', 'IN', 1);
    expect(rows.map((r) => [r.nit, r[DUPLICATE_MARK], r[DUPLICATE_SPELLINGS]])).toEqual([
      ['AB-1', true, ['AB-1', 'ab-1']],
      ['ab-1', true, ['AB-1', 'ab-1']],
      ['C-1', undefined, undefined],
    ]);
  });

  it('a late repeat of an unchanged key rejects its first row too (unstaged) and stages the repeat to be rejected', async () => {
    const w = await world(config());
    const padding = keys(1, 4).map((k) => tercero(k));
    await earlier(w, [tercero('X-1'), ...padding]);
    // SQL Server ordered the two spellings apart (a trailing space); Salesforce would take them as one.
    const now = [tercero('X-1'), ...padding, tercero('x-1 ')];

    const result = await diffView(w.app, task(), view(now), false);

    expect(result).toMatchObject({ rows: 6, staged: 1, pages: [1] });
    const rows = await w.store.getStage<Row>(RUN, CO, 'terceros', 'IN', 1);
    expect(rows.map((r) => [r.nit, r[DUPLICATE_MARK], r[DUPLICATE_SPELLINGS]])).toEqual([
      ['x-1 ', true, ['X-1', 'x-1 ']],
    ]);
    expect(await failures(w)).toEqual([['X-1', 'rejected', 'DUPLICATE_VALUE']]);
    const record = await w.store.getEntity(RUN, CO, 'terceros');
    expect([record?.unchanged, record?.rejectedBefore]).toEqual([4, 1]);
  });

  it('a late repeat of a staged key marks the page already written', async () => {
    const w = await world(config());
    const now = [tercero('X-1'), ...keys(1, 4).map((k) => tercero(k)), tercero('x-1 ')];
    await diffView(w.app, task(), view(now), false);
    const first = await w.store.getStage<Row>(RUN, CO, 'terceros', 'IN', 1);
    expect(first.map((r) => [r.nit, r[DUPLICATE_MARK] ?? false])).toEqual([
      ['X-1', true],
      ['T-01', false],
      ['T-02', false],
    ]);
  });

  it('the guard refuses removing more than maxDeletePercent: nothing staged for removal, the entity carries the error', async () => {
    const w = await world(config());
    await earlier(
      w,
      keys(1, 10).map((k) => tercero(k)),
    );

    const result = await diffView(w.app, task(), view(keys(1, 8).map((k) => tercero(k))), false);

    expect(result).toMatchObject({ rows: 8, toRemove: 0, staged: 0 });
    expect(w.table.items.get(`STAGE#${RUN}#${CO}#terceros`)).toBeUndefined();
    expect((await w.store.getEntity(RUN, CO, 'terceros'))?.error).toBe(
      'DeletionGuardError: ITALCOL/terceros: the run would remove 2 of 10 record(s) in Salesforce (20.0%), more than maxDeletePercent 10%; nothing was removed. To confirm, run again with {"allowMassDelete": true} (or {"allowMassDelete": ["terceros"]}) in the execution input.',
    );
    expect((await entries(w, 'terceros')).every((e) => e.status === 'synced')).toBe(true);
  });

  it('a row rejected before and unchanged is not staged; it is rejected again with its code', async () => {
    const w = await world(config());
    await earlier(w, [tercero('T-01', '')], () => ({ status: 'rejected', code: 'REQUIRED_FIELD_MISSING' }));

    const result = await diffView(w.app, task(), view([tercero('T-01', '')]), false);

    expect(result).toMatchObject({ rows: 1, staged: 0, pages: [] });
    expect(await failures(w)).toEqual([['T-01', 'rejected', 'REQUIRED_FIELD_MISSING']]);
    expect((await w.store.getEntity(RUN, CO, 'terceros'))?.rejectedBefore).toBe(1);
  });

  it('a child rejected before for a missing parent is staged again once its parent is in Salesforce, not before', async () => {
    const w = await world(config());
    await w.snapshots.append(CO, 'terceros', 'earlier', [
      entry({ identity: '900', hash: 'h', status: 'synced', sfId: '001SF900' }),
      entry({ identity: '901', hash: 'h', status: 'rejected', code: 'REQUIRED_FIELD_MISSING' }),
    ]);
    const sucursal = (code: string, nit: string): Row => ({
      codigo_sucursal: code,
      nombre: code,
      nit_tercero: nit,
      activo: true,
    });
    const rows = [sucursal('S1', '900'), sucursal('S2', '901')];
    const sucursales = { ...task(), entity: 'sucursales' };
    const version = mappingVersion(w.app.entityOf(sucursales));
    await w.snapshots.append(
      CO,
      'sucursales',
      'earlier',
      rows.map((row) =>
        entry({
          identity: String(row.codigo_sucursal).toLowerCase(),
          key: String(row.codigo_sucursal),
          hash: hashOfRow(version, row),
          status: 'rejected',
          code: 'INVALID_CROSS_REFERENCE_KEY',
        }),
      ),
    );

    const result = await diffView(w.app, sucursales, view(rows), false);

    expect(result).toMatchObject({ rows: 2, staged: 1, pages: [1] });
    const staged = await w.store.getStage<Row>(RUN, CO, 'sucursales', 'IN', 1);
    expect(staged.map((r) => r.codigo_sucursal)).toEqual(['S1']);
    expect(await failures(w)).toEqual([['S2', 'rejected', 'INVALID_CROSS_REFERENCE_KEY']]);
    expect((await w.store.getEntity(RUN, CO, 'sucursales'))?.rejectedBefore).toBe(1);
  });
});
