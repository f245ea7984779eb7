/**
 * Changing a share of a company's rows (updated, inserted, deleted) in the data folder, so demos and
 * benchmarks show change detection. Works on the SQLite file directly (WAL mode), so a server running
 * on the same folder sees the changes on its next query.
 */
import path from 'node:path';
import Database from 'better-sqlite3';
import { quoteIdent } from '../sql/translate.js';
import {
  DEFAULT_TIME_ZONE,
  formatWallClock,
  type SqlValue,
  type ZoneOffset,
  zoneOffsets,
} from '../sql-type.js';
import {
  acuerdoRow,
  DEFAULT_SEED,
  dirtyRows,
  localTimeRows,
  Rng,
  resolveSizes,
  sucursalRow,
  terceroRow,
} from './generator.js';
import { valueFromStorage as fromStorage, storageValue as toStorage } from './storage.js';
import { DEFAULT_DATA_DIR, readManifest } from './store.js';
import {
  type CompanySizes,
  isView,
  VIEW_COLUMNS,
  VIEW_KEYS,
  VIEW_TABLES,
  VIEWS,
  type ViewName,
} from './views.js';

export interface ChangeRowsOptions {
  dataDir?: string;
  company: string;
  view?: ViewName;
  /** Fraction of each view's rows to change, from 0 to 1. */
  share: number;
  /** Proportions of updates, inserts and deletes among the changed rows (default 70/20/10). */
  kinds?: { updated?: number; inserted?: number; deleted?: number };
  seed?: number;
  /** The instant written as fecha_modificacion on updated and new rows (default: now). */
  at?: Date;
  /**
   * The server's time zone (IANA, default America/Bogota): fecha_modificacion is written as the
   * wall-clock time there, as an ERP's GETDATE() does (2026-03-01T13:00Z is '2026-03-01 08:00:00' in Bogotá).
   */
  timeZone?: string;
}

export interface ChangeCounts {
  updated: number;
  inserted: number;
  deleted: number;
}

/** Columns an update changes, besides fecha_modificacion. */
const UPDATED_COLUMNS: Record<ViewName, string[]> = {
  terceros_view: ['telefono', 'cupo_credito'],
  sucursales_view: ['telefono', 'nombre'],
  acuerdos_view: ['valor', 'descripcion'],
};

/** Where new rows start, past any generated index (and any dirty row position). */
const FIRST_NEW_INDEX = 64;

export async function changeRows(options: ChangeRowsOptions): Promise<ChangeCounts> {
  return changeRowsSync(options);
}

export function changeRowsSync(options: ChangeRowsOptions): ChangeCounts {
  const dataDir = path.resolve(options.dataDir ?? DEFAULT_DATA_DIR);
  if (!(typeof options.share === 'number' && options.share >= 0 && options.share <= 1)) {
    throw new RangeError(
      `share must be a number from 0 to 1 (e.g. 0.01 for 1%), got ${String(options.share)}`,
    );
  }
  if (options.view !== undefined && !isView(options.view)) {
    throw new RangeError(`view must be one of ${VIEWS.join(', ')}, got ${String(options.view)}`);
  }
  const manifest = readManifest(dataDir);
  const entry = manifest?.companies[options.company];
  if (manifest === undefined || entry === undefined) {
    const known = Object.keys(manifest?.companies ?? {});
    throw new RangeError(
      known.length === 0
        ? `no emulator data in ${dataDir}: start the emulator once (it generates the data) before changing rows`
        : `unknown company ${options.company} in ${dataDir}; known: ${known.join(', ')}`,
    );
  }
  const kinds = { updated: 0.7, inserted: 0.2, deleted: 0.1, ...options.kinds };
  const weights = [kinds.updated ?? 0, kinds.inserted ?? 0, kinds.deleted ?? 0];
  if (weights.some((w) => !(w >= 0)) || weights.every((w) => w === 0)) {
    throw new RangeError('kinds must be non-negative proportions, at least one above 0, e.g. { updated: 1 }');
  }
  const seed = options.seed ?? DEFAULT_SEED;
  const offset = zoneOffsets(options.timeZone ?? DEFAULT_TIME_ZONE);
  const at = formatWallClock((options.at ?? new Date()).getTime(), offset);
  const generatedSeed = entry.seed ?? DEFAULT_SEED;
  const sizes = resolveSizes(options.company, entry.sizes ?? {});
  // Dirty rows, key variants and the known local-time row stay as generated.
  const protectedKeys = new Set(
    entry.source === 'generated'
      ? [
          ...dirtyRows(options.company, sizes, generatedSeed).flatMap((d) =>
            (d.keys ?? [d.key]).map((k) => `${d.view}:${k}`),
          ),
          ...localTimeRows(options.company, sizes, generatedSeed).map((r) => `${r.view}:${r.key}`),
        ]
      : [],
  );

  const db = new Database(path.join(dataDir, entry.file), { fileMustExist: true });
  try {
    db.pragma('busy_timeout = 10000');
    const views = options.view === undefined ? [...VIEWS] : [options.view];
    const totals: ChangeCounts = { updated: 0, inserted: 0, deleted: 0 };
    db.transaction(() => {
      const run = Number(metaGet(db, 'change_runs') ?? '0') + 1;
      metaSet(db, 'change_runs', String(run));
      for (const view of views) {
        const counts = changeView(db, {
          company: options.company,
          view,
          share: options.share,
          weights,
          rng: new Rng((seed ^ Math.imul(run, 0x9e3779b1) ^ VIEWS.indexOf(view)) >>> 0),
          run,
          at,
          offset,
          sizes,
          generatedSeed,
          protectedKeys,
        });
        totals.updated += counts.updated;
        totals.inserted += counts.inserted;
        totals.deleted += counts.deleted;
      }
    })();
    return totals;
  } finally {
    db.close();
  }
}

interface ViewChange {
  company: string;
  view: ViewName;
  share: number;
  weights: number[];
  rng: Rng;
  run: number;
  at: string;
  offset: ZoneOffset;
  sizes: CompanySizes;
  generatedSeed: number;
  protectedKeys: Set<string>;
}

function metaGet(db: Database.Database, key: string): string | undefined {
  const row = db.prepare('SELECT value FROM _meta WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value;
}

function metaSet(db: Database.Database, key: string, value: string): void {
  db.prepare(
    'INSERT INTO _meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
  ).run(key, value);
}

function requireContractColumns(db: Database.Database, table: string, view: ViewName): void {
  const present = new Set(
    (db.prepare(`PRAGMA table_info(${quoteIdent(table)})`).all() as { name: string }[]).map((c) =>
      c.name.toLowerCase(),
    ),
  );
  const missing = VIEW_COLUMNS[view].filter((c) => !present.has(c.name.toLowerCase())).map((c) => c.name);
  if (present.size === 0 || missing.length > 0) {
    throw new RangeError(
      `cannot change ${view}: its table lacks the columns ${missing.join(', ') || '(the table does not exist)'}`,
    );
  }
}

function sample<T>(rng: Rng, items: T[], count: number): T[] {
  const copy = [...items];
  const n = Math.min(count, copy.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(rng.next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, n);
}

function changeView(db: Database.Database, c: ViewChange): ChangeCounts {
  const table = VIEW_TABLES[c.view];
  requireContractColumns(db, table, c.view);
  const key = VIEW_KEYS[c.view];
  const qTable = quoteIdent(table);
  const qKey = quoteIdent(key);
  const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${qTable}`).get() as { n: number }).n;
  const count = c.share === 0 ? 0 : Math.max(1, Math.round(total * c.share));
  const sum = c.weights.reduce((a, b) => a + b, 0);
  const updated = Math.round((count * (c.weights[0] ?? 0)) / sum);
  const inserted = Math.round((count * (c.weights[1] ?? 0)) / sum);
  const deleted = Math.max(0, count - updated - inserted);
  const isProtected = (k: unknown): boolean => c.protectedKeys.has(`${c.view}:${String(k)}`);

  // Deletes: rows no other row points at, never a dirty row.
  let deletable = (
    db.prepare(`SELECT rowid AS id, ${qKey} AS k FROM ${qTable}`).all() as { id: number; k: unknown }[]
  ).filter((r) => !isProtected(r.k));
  if (c.view === 'terceros_view') {
    const parents = new Set(
      (
        db
          .prepare('SELECT nit_tercero AS k FROM sucursales UNION SELECT nit_tercero FROM acuerdos')
          .all() as { k: string }[]
      ).map((r) => r.k),
    );
    deletable = deletable.filter((r) => !parents.has(String(r.k)));
  } else if (c.view === 'sucursales_view') {
    const parents = new Set(
      (
        db
          .prepare('SELECT DISTINCT codigo_sucursal AS k FROM acuerdos WHERE codigo_sucursal IS NOT NULL')
          .all() as { k: string }[]
      ).map((r) => r.k),
    );
    deletable = deletable.filter((r) => !parents.has(String(r.k)));
  }
  const toDelete = sample(c.rng, deletable, deleted);
  const del = db.prepare(`DELETE FROM ${qTable} WHERE rowid = ?`);
  for (const r of toDelete) del.run(r.id);

  // Updates: a mapped value and fecha_modificacion, never on a dirty row.
  const candidates = (
    db.prepare(`SELECT rowid AS id, ${qKey} AS k FROM ${qTable}`).all() as { id: number; k: unknown }[]
  ).filter((r) => !isProtected(r.k));
  const columns = VIEW_COLUMNS[c.view];
  const changed = UPDATED_COLUMNS[c.view];
  const read = db
    .prepare(`SELECT ${changed.map(quoteIdent).join(', ')} FROM ${qTable} WHERE rowid = ?`)
    .raw(true)
    .safeIntegers(true);
  const write = db.prepare(
    `UPDATE ${qTable} SET ${[...changed, 'fecha_modificacion'].map((n) => `${quoteIdent(n)} = ?`).join(', ')} WHERE rowid = ?`,
  );
  const toUpdate = sample(c.rng, candidates, updated);
  toUpdate.forEach((r, i) => {
    const current = read.get(r.id) as unknown[];
    const fresh = generatedValues(c, 1_000_000 + i, c.run);
    const values = changed.map((name, j) => {
      const type = (columns.find((col) => col.name === name) as (typeof columns)[number]).type;
      let value: SqlValue = fresh[name] ?? null;
      const before = fromStorage(current[j], type);
      if (value === null || value === before) value = alternative(name, before, c.run);
      return toStorage(value, type);
    });
    write.run(...values, c.at, r.id);
  });

  // Inserts: clean rows with new keys whose parents exist.
  const nextKey = `next_index:${c.view}`;
  let next = Number(metaGet(db, nextKey) ?? String(Math.max(FIRST_NEW_INDEX, generatedSize(c))));
  const exists = db.prepare(`SELECT 1 FROM ${qTable} WHERE ${qKey} = ?`).pluck();
  const insert = db.prepare(
    `INSERT INTO ${qTable} (${columns.map((col) => quoteIdent(col.name)).join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
  );
  const parentTerceros = cleanParents(db, 'SELECT nit AS k FROM terceros', 'terceros_view', c);
  const parentSucursales = cleanParentSucursales(db, c);
  let done = 0;
  for (let guard = 0; done < inserted && guard < inserted * 10 + 10; guard++) {
    const index = next++;
    const row = generatedValues(c, index, 0);
    const keyValue = toStorage(
      row[key] ?? null,
      (columns.find((col) => col.name === key) as (typeof columns)[number]).type,
    );
    if (exists.get(keyValue) !== undefined) continue;
    if (c.view === 'sucursales_view') {
      if (parentTerceros.length === 0) break;
      row.nit_tercero = c.rng.pick(parentTerceros);
    } else if (c.view === 'acuerdos_view') {
      if (row.codigo_sucursal !== null && parentSucursales.length > 0) {
        const s = c.rng.pick(parentSucursales);
        row.codigo_sucursal = s.code;
        row.nit_tercero = s.nit;
      } else {
        if (parentTerceros.length === 0) break;
        row.codigo_sucursal = null;
        row.nit_tercero = c.rng.pick(parentTerceros);
      }
    }
    row.fecha_modificacion = c.at;
    insert.run(columns.map((col) => toStorage(row[col.name] ?? null, col.type)));
    done++;
  }
  metaSet(db, nextKey, String(next));
  return { updated: toUpdate.length, inserted: done, deleted: toDelete.length };
}

function generatedSize(c: ViewChange): number {
  return c.view === 'terceros_view'
    ? c.sizes.terceros
    : c.view === 'sucursales_view'
      ? c.sizes.sucursales
      : c.sizes.acuerdos;
}

function generatedValues(c: ViewChange, index: number, version: number): Record<string, SqlValue> {
  if (c.view === 'terceros_view')
    return { ...terceroRow(c.company, index, c.generatedSeed, version, c.offset) };
  if (c.view === 'sucursales_view')
    return { ...sucursalRow(c.company, index, c.sizes, c.generatedSeed, version, c.offset) };
  return { ...acuerdoRow(c.company, index, c.sizes, c.generatedSeed, version, c.offset) };
}

/** A different value when the generated one happens to equal the current one (or is NULL). */
function alternative(column: string, before: SqlValue, run: number): SqlValue {
  switch (column) {
    case 'cupo_credito':
    case 'valor': {
      const base = before === null ? 1_000_000 : Number(before);
      return (base + 1000 * run).toFixed(2);
    }
    case 'telefono':
      return `+57 601 ${String(300 + (run % 500)).padStart(3, '0')} ${String(1000 + (run % 9000))}`;
    case 'nombre':
      return `Sede Actualizada ${run}`;
    default:
      return `${before === null ? '' : `${String(before)} `}Actualización ${run}.`;
  }
}

function cleanParents(db: Database.Database, sql: string, view: ViewName, c: ViewChange): string[] {
  return (db.prepare(sql).all() as { k: string }[])
    .map((r) => r.k)
    .filter((k) => !c.protectedKeys.has(`${view}:${k}`));
}

/** Sucursales whose tercero exists and is clean: a new acuerdo may point at them. */
function cleanParentSucursales(db: Database.Database, c: ViewChange): { code: string; nit: string }[] {
  const rows = db
    .prepare(
      'SELECT s.codigo_sucursal AS code, s.nit_tercero AS nit FROM sucursales s WHERE EXISTS (SELECT 1 FROM terceros t WHERE t.nit = s.nit_tercero)',
    )
    .all() as { code: string; nit: string }[];
  return rows.filter(
    (r) =>
      !c.protectedKeys.has(`sucursales_view:${r.code}`) && !c.protectedKeys.has(`terceros_view:${r.nit}`),
  );
}
