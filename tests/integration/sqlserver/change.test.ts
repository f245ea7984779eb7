import { readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type sql from 'mssql';
import { prepareData } from '../../../src/emulators/sqlserver/data/store.js';
import {
  changeRows,
  DATABASE_NAMES,
  dirtyRows,
  generateCompany,
  localTimeRows,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

const SIZES = { ITALCOL: { terceros: 400, sucursales: 500, acuerdos: 300 } };
const AT = new Date('2030-01-02T03:04:05.678Z');

type Keyed = Record<string, unknown>;

async function all(pool: sql.ConnectionPool, view: string, key: string): Promise<Map<string, Keyed>> {
  const result = await pool.request().query(`SELECT * FROM ${view}`);
  return new Map(result.recordset.map((r: Keyed) => [String(r[key]), r]));
}

describe('changing a share of rows, and state that persists between starts', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES });
    pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('updates, inserts and deletes rows while the server runs, keeping parents and dirty rows', async () => {
    const before = {
      terceros: await all(pool, 'terceros_view', 'nit'),
      sucursales: await all(pool, 'sucursales_view', 'codigo_sucursal'),
      acuerdos: await all(pool, 'acuerdos_view', 'id_acuerdo'),
    };

    const counts = await changeRows({
      dataDir: folder.dir,
      company: 'ITALCOL',
      share: 0.1,
      seed: 11,
      at: AT,
    });

    const after = {
      terceros: await all(pool, 'terceros_view', 'nit'),
      sucursales: await all(pool, 'sucursales_view', 'codigo_sucursal'),
      acuerdos: await all(pool, 'acuerdos_view', 'id_acuerdo'),
    };
    // 10% of 400 + 500 + 300 rows, split 70/20/10.
    expect(counts).toEqual({ updated: 84, inserted: 24, deleted: 12 });
    const changed = (b: Map<string, Keyed>, a: Map<string, Keyed>) => ({
      inserted: [...a.keys()].filter((k) => !b.has(k)),
      deleted: [...b.keys()].filter((k) => !a.has(k)),
      updated: [...a.keys()].filter((k) => b.has(k) && JSON.stringify(a.get(k)) !== JSON.stringify(b.get(k))),
    });
    const t = changed(before.terceros, after.terceros);
    const s = changed(before.sucursales, after.sucursales);
    const c = changed(before.acuerdos, after.acuerdos);
    expect([t, s, c].map((x) => [x.updated.length, x.inserted.length, x.deleted.length])).toEqual([
      [28, 8, 4],
      [35, 10, 5],
      [21, 6, 3],
    ]);
    // Written as Bogotá's wall clock (22:04 the day before), which tedious reads as if it were UTC.
    for (const key of [...t.updated, ...t.inserted]) {
      expect(after.terceros.get(key)?.fecha_modificacion).toEqual(new Date('2030-01-01T22:04:05.678Z'));
    }
    for (const key of t.updated) {
      const a = after.terceros.get(key);
      const b = before.terceros.get(key);
      expect(a?.telefono !== b?.telefono || a?.cupo_credito !== b?.cupo_credito).toBe(true);
    }
    for (const row of after.sucursales.values()) {
      if (row.codigo_sucursal === 'SUC-000006') continue; // the orphan, on purpose
      expect(after.terceros.has(String(row.nit_tercero))).toBe(true);
    }
    for (const row of after.acuerdos.values()) {
      expect(after.terceros.has(String(row.nit_tercero))).toBe(true);
      if (row.codigo_sucursal !== null)
        expect(after.sucursales.get(String(row.codigo_sucursal))?.nit_tercero).toBe(row.nit_tercero);
    }
    for (const dirty of dirtyRows('ITALCOL', SIZES.ITALCOL)) {
      const view = dirty.view === 'terceros_view' ? after.terceros : after.sucursales;
      for (const key of dirty.keys ?? [dirty.key])
        expect(view.get(key)).toEqual(
          (dirty.view === 'terceros_view' ? before.terceros : before.sucursales).get(key),
        );
    }
    // The known Bogotá row is never changed: its 08:00 wall clock is what sync tests assert.
    const [local] = localTimeRows('ITALCOL', SIZES.ITALCOL);
    expect(after.terceros.get(local?.key as string)?.fecha_modificacion).toEqual(
      new Date('2026-03-01T08:00:00.000Z'),
    );
  });

  it('writes the wall clock of the time zone it is given, and refuses a zone that is not an IANA name', async () => {
    await changeRows({
      dataDir: folder.dir,
      company: 'ITALCOL',
      view: 'terceros_view',
      share: 0.01,
      kinds: { updated: 1, inserted: 0, deleted: 0 },
      seed: 3,
      at: AT,
      timeZone: 'UTC',
    });
    const rows = await all(pool, 'terceros_view', 'nit');
    const stamped = [...rows.values()].filter(
      (r) => (r.fecha_modificacion as Date).getTime() === AT.getTime(),
    );

    expect(stamped).toHaveLength(4);
    await expect(
      changeRows({ dataDir: folder.dir, company: 'ITALCOL', share: 0.1, timeZone: 'Bogota' }),
    ).rejects.toThrow(
      "unknown time zone 'Bogota': give an IANA name such as America/Bogota, America/New_York or UTC",
    );
  });

  it('is deterministic given the seed: the same change on the same data gives the same rows', async () => {
    const a = tempDir();
    const b = tempDir();
    try {
      for (const dir of [a.dir, b.dir]) {
        const e = await startSqlServerEmulator({ dataDir: dir, sizes: SIZES });
        await e.stop();
        await changeRows({
          dataDir: dir,
          company: 'ITALCOL',
          view: 'acuerdos_view',
          share: 0.2,
          seed: 5,
          at: AT,
        });
      }
      const rows: Map<string, Keyed>[] = [];
      for (const dir of [a.dir, b.dir]) {
        const e = await startSqlServerEmulator({ dataDir: dir, sizes: SIZES });
        const p = await connect(e, DATABASE_NAMES.ITALCOL);
        rows.push(await all(p, 'acuerdos_view', 'id_acuerdo'));
        await p.close();
        await e.stop();
      }
      expect([...(rows[0]?.entries() ?? [])]).toEqual([...(rows[1]?.entries() ?? [])]);
      expect(rows[0]?.size).toBe(300 - 6 + 12);
    } finally {
      a.remove();
      b.remove();
    }
  });

  it('keeps changes across a restart without regenerating, and regenerates on reset', async () => {
    const log: string[] = [];
    const countNow = async (e: SqlServerEmulator) => {
      const p = await connect(e, DATABASE_NAMES.ITALCOL);
      const r = await p.request().query('SELECT COUNT(*) AS n FROM terceros_view');
      await p.close();
      return r.recordset[0]?.n as number;
    };
    const changedCount = await countNow(emulator);

    const again = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: SIZES,
      log: (m) => log.push(m),
    });
    const afterRestart = await countNow(again);
    await again.stop();
    const unsized = await startSqlServerEmulator({ dataDir: folder.dir, log: (m) => log.push(m) });
    const withoutSizes = await countNow(unsized);
    await unsized.stop();
    const reset = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: SIZES,
      reset: true,
      log: (m) => log.push(m),
    });
    const afterReset = await countNow(reset);
    await reset.stop();

    expect(changedCount).toBe(404);
    expect(afterRestart).toBe(404);
    expect(withoutSizes).toBe(404);
    expect(afterReset).toBe(400);
    expect(log.filter((m) => m.startsWith('generating'))).toHaveLength(3); // only on reset
    const manifest = JSON.parse(readFileSync(path.join(folder.dir, 'manifest.json'), 'utf8'));
    expect(manifest.companies.ITALCOL.sizes).toEqual({ ...SIZES.ITALCOL });
    expect(afterReset).toBe([...generateCompany('ITALCOL', SIZES.ITALCOL).terceros()].length);
  });

  it('writes the wall clock of the zone the data was generated for when given none', async () => {
    const dir = tempDir();
    try {
      prepareData({ dataDir: dir.dir, sizes: SIZES, timeZone: 'UTC' });
      await changeRows({
        dataDir: dir.dir,
        company: 'ITALCOL',
        view: 'terceros_view',
        share: 0.01,
        kinds: { updated: 1, inserted: 0, deleted: 0 },
        at: AT,
      });
      const db = new Database(path.join(dir.dir, 'ITALCOL.sqlite'), { readonly: true });
      const stamped = db
        .prepare('SELECT COUNT(*) AS n FROM terceros WHERE fecha_modificacion = ?')
        .get('2030-01-02 03:04:05.6780000') as { n: number };
      db.close();

      expect(stamped.n).toBe(4);
    } finally {
      dir.remove();
    }
  });

  it('refuses a bad share and an unknown company with messages that say what is accepted', async () => {
    await expect(changeRows({ dataDir: folder.dir, company: 'ITALCOL', share: 5 })).rejects.toThrow(
      'share must be a number from 0 to 1 (e.g. 0.01 for 1%), got 5',
    );
    await expect(changeRows({ dataDir: folder.dir, company: 'ACME', share: 0.1 })).rejects.toThrow(
      'unknown company ACME in',
    );
  });
});
