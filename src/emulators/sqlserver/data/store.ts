/**
 * The data folder: one SQLite file per company database, a catalog of each view's declared SQL
 * column types inside it (SQLite keeps no such types), and manifest.json saying how each file was
 * made. Files are regenerated only when missing, asked for (reset), made with other sizes or seed than
 * the ones given, made by an older version of the emulator, or when their CSV files changed.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type ColumnDef, type ObjectDef, quoteIdent } from '../sql/translate.js';
import {
  checkTimeZone,
  DEFAULT_TIME_ZONE,
  formatColumnType,
  parseSqlType,
  type SqlValue,
} from '../sql-type.js';
import { type CsvCompany, csvFingerprint, listCsvCompanies } from './csv.js';
import { DEFAULT_SEED, generateCompany, resolveSizes } from './generator.js';
import { sqliteColumnType, storageValue } from './storage.js';
import { TYPES_TABLE, TYPES_VIEW, TYPES_VIEW_COLUMNS, typesViewRows } from './tipos.js';
import {
  COMPANIES,
  type CompanySizes,
  databaseNameFor,
  isView,
  VIEW_COLUMNS,
  VIEW_KEYS,
  VIEW_TABLES,
  VIEWS,
  type ViewName,
} from './views.js';

/** Bump when the generator or the file layout changes: older files are then regenerated. */
export const STORE_VERSION = 5;
export const DEFAULT_DATA_DIR = '.data/sqlserver';

export interface CompanyManifest {
  database: string;
  file: string;
  source: 'generated' | 'csv';
  sizes?: CompanySizes;
  seed?: number;
  /** The server time zone whose wall clock the generated DATETIME2 values show. */
  timeZone?: string;
  csvFingerprint?: string;
}

export interface Manifest {
  version: number;
  companies: Record<string, CompanyManifest>;
}

export interface CompanyDatabase {
  company: string;
  database: string;
  file: string;
  catalog: Map<string, ObjectDef>;
}

export interface PrepareOptions {
  dataDir: string;
  reset?: boolean;
  sizes?: Partial<Record<string, Partial<CompanySizes>>>;
  csvDir?: string;
  seed?: number;
  /** The server time zone (IANA, default America/Bogota): generated DATETIME2 values are its wall clock. */
  timeZone?: string;
  /** Told what is being generated or loaded (the CLI prints it to stderr). */
  log?: (message: string) => void;
}

export function manifestPath(dataDir: string): string {
  return path.join(dataDir, 'manifest.json');
}

export function readManifest(dataDir: string): Manifest | undefined {
  try {
    const parsed = JSON.parse(readFileSync(manifestPath(dataDir), 'utf8')) as Manifest;
    return typeof parsed === 'object' && parsed !== null && parsed.version === STORE_VERSION
      ? parsed
      : undefined;
  } catch {
    return undefined;
  }
}

function writeManifest(dataDir: string, manifest: Manifest): void {
  const file = manifestPath(dataDir);
  writeFileSync(`${file}.tmp`, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
}

function createSchema(db: Database.Database): void {
  db.exec(`
    CREATE TABLE _catalog (object TEXT NOT NULL, sqlite_name TEXT NOT NULL, ordinal INTEGER NOT NULL,
                           column_name TEXT NOT NULL, sql_type TEXT NOT NULL, nullable INTEGER NOT NULL);
    CREATE TABLE _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `);
}

function createView(db: Database.Database, view: string, table: string, columns: ColumnDef[]): void {
  const defs = columns.map((c) => `${quoteIdent(c.name)} ${sqliteColumnType(c.type)}`).join(', ');
  db.exec(`CREATE TABLE ${quoteIdent(table)} (${defs})`);
  db.exec(
    `CREATE VIEW ${quoteIdent(view)} AS SELECT ${columns.map((c) => quoteIdent(c.name)).join(', ')} FROM ${quoteIdent(table)}`,
  );
  const insert = db.prepare('INSERT INTO _catalog VALUES (?, ?, ?, ?, ?, ?)');
  columns.forEach((c, i) => {
    insert.run(view, view, i, c.name, formatColumnType(c.type), c.nullable ? 1 : 0);
  });
}

/** Indexes are built after the rows are in: much faster than growing them row by row. */
function createIndex(db: Database.Database, table: string, column: string): void {
  db.exec(
    `CREATE INDEX ${quoteIdent(`ix_${table}_${column}`)} ON ${quoteIdent(table)} (${quoteIdent(column)})`,
  );
}

function fillTable(
  db: Database.Database,
  table: string,
  columns: ColumnDef[],
  rows: Iterable<SqlValue[]>,
): number {
  const insert = db.prepare(`INSERT INTO ${quoteIdent(table)} VALUES (${columns.map(() => '?').join(', ')})`);
  let count = 0;
  const values: (string | number | bigint | null)[] = new Array(columns.length);
  for (const row of rows) {
    for (let i = 0; i < columns.length; i++) {
      const column = columns[i] as ColumnDef;
      values[i] = storageValue(row[i] ?? null, column.type);
    }
    insert.run(values);
    count++;
  }
  return count;
}

/** Builds a company file under a temporary name, then moves it into place. */
function buildFile(file: string, fill: (db: Database.Database) => void): void {
  const tmp = `${file}.building`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = OFF');
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -65536');
    createSchema(db);
    db.transaction(() => fill(db))();
  } finally {
    db.close();
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
  renameSync(tmp, file);
  const ready = new Database(file);
  ready.pragma('journal_mode = WAL');
  ready.close();
}

function generateFile(
  file: string,
  company: string,
  sizes: CompanySizes,
  seed: number,
  timeZone: string,
): void {
  const generated = generateCompany(company, sizes, seed, timeZone);
  buildFile(file, (db) => {
    for (const view of VIEWS) {
      const columns = VIEW_COLUMNS[view];
      createView(db, view, VIEW_TABLES[view], columns);
      const names = columns.map((c) => c.name);
      const rows = (function* () {
        for (const row of generated.rows(view)) yield names.map((n) => row[n] ?? null);
      })();
      fillTable(db, VIEW_TABLES[view], columns, rows);
      createIndex(db, VIEW_TABLES[view], VIEW_KEYS[view]);
    }
    createView(db, TYPES_VIEW, TYPES_TABLE, TYPES_VIEW_COLUMNS);
    fillTable(db, TYPES_TABLE, TYPES_VIEW_COLUMNS, typesViewRows());
    // Parent look-ups for changeRows (which never deletes a row that has children).
    createIndex(db, 'sucursales', 'nit_tercero');
    createIndex(db, 'acuerdos', 'nit_tercero');
    createIndex(db, 'acuerdos', 'codigo_sucursal');
  });
}

function loadCsvFile(file: string, company: CsvCompany): void {
  buildFile(file, (db) => {
    for (const view of company.views) {
      const table = isView(view.view) ? VIEW_TABLES[view.view] : `${view.view}_data`;
      const key =
        isView(view.view) && view.columns.some((c) => c.name === VIEW_KEYS[view.view as ViewName])
          ? VIEW_KEYS[view.view as ViewName]
          : undefined;
      createView(db, view.view, table, view.columns);
      fillTable(db, table, view.columns, view.rows());
      if (key !== undefined) createIndex(db, table, key);
    }
  });
}

function sameSizes(a: CompanySizes | undefined, b: CompanySizes): boolean {
  return (
    a !== undefined && a.terceros === b.terceros && a.sucursales === b.sucursales && a.acuerdos === b.acuerdos
  );
}

/**
 * Makes sure the data folder holds every company's file, generating or loading what is missing or
 * out of date, and returns the databases with their catalogs.
 */
export function prepareData(options: PrepareOptions): CompanyDatabase[] {
  const dataDir = path.resolve(options.dataDir);
  const log = options.log ?? (() => undefined);
  const timeZone = checkTimeZone(options.timeZone ?? DEFAULT_TIME_ZONE);
  if (options.reset) {
    for (const file of [manifestPath(dataDir), ...COMPANIES.map((c) => path.join(dataDir, `${c}.sqlite`))]) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    }
    const old = readManifestAnyVersion(dataDir);
    for (const entry of Object.values(old?.companies ?? {})) {
      for (const suffix of ['', '-wal', '-shm'])
        rmSync(path.join(dataDir, `${entry.file}${suffix}`), { force: true });
    }
  }
  mkdirSync(dataDir, { recursive: true });
  const previous = options.reset ? undefined : readManifest(dataDir);
  const manifest: Manifest = { version: STORE_VERSION, companies: {} };

  if (options.csvDir !== undefined) {
    const companies = listCsvCompanies(path.resolve(options.csvDir));
    const fingerprint = csvFingerprint(companies);
    for (const company of companies) {
      const fileName = `${company.company}.sqlite`;
      const file = path.join(dataDir, fileName);
      const before = previous?.companies[company.company];
      if (!(before?.source === 'csv' && before.csvFingerprint === fingerprint && existsSync(file))) {
        log(`loading ${company.company} from ${company.folder}`);
        loadCsvFile(file, company);
      }
      manifest.companies[company.company] = {
        database: databaseNameFor(company.company),
        file: fileName,
        source: 'csv',
        csvFingerprint: fingerprint,
      };
    }
  } else {
    for (const company of COMPANIES) {
      const requested = options.sizes?.[company];
      const fileName = `${company}.sqlite`;
      const file = path.join(dataDir, fileName);
      const before = previous?.companies[company];
      // Sizes and seed given explicitly must match the data's; when not given, any generated data will do.
      const keep =
        before?.source === 'generated' &&
        before.sizes !== undefined &&
        existsSync(file) &&
        (before.timeZone ?? DEFAULT_TIME_ZONE) === timeZone &&
        (options.seed === undefined || before.seed === options.seed) &&
        (requested === undefined || sameSizes(before.sizes, resolveSizes(company, requested)));
      const sizes =
        keep && before?.sizes !== undefined ? before.sizes : resolveSizes(company, requested ?? {});
      const seed = keep ? (before?.seed ?? DEFAULT_SEED) : (options.seed ?? DEFAULT_SEED);
      if (!keep) {
        log(
          `generating ${company}: ${sizes.terceros} terceros, ${sizes.sucursales} sucursales, ${sizes.acuerdos} acuerdos`,
        );
        generateFile(file, company, sizes, seed, timeZone);
      }
      manifest.companies[company] = {
        database: databaseNameFor(company),
        file: fileName,
        source: 'generated',
        sizes,
        seed,
        timeZone,
      };
    }
  }
  writeManifest(dataDir, manifest);
  return Object.entries(manifest.companies).map(([company, entry]) => {
    const file = path.join(dataDir, entry.file);
    return { company, database: entry.database, file, catalog: readCatalog(file) };
  });
}

function readManifestAnyVersion(dataDir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(manifestPath(dataDir), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

/** The views of a company file with their declared column types, by lower-case name. */
export function readCatalog(file: string): Map<string, ObjectDef> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(
        'SELECT object, sqlite_name, column_name, sql_type, nullable FROM _catalog ORDER BY object, ordinal',
      )
      .all() as {
      object: string;
      sqlite_name: string;
      column_name: string;
      sql_type: string;
      nullable: number;
    }[];
    const catalog = new Map<string, ObjectDef>();
    for (const row of rows) {
      let object = catalog.get(row.object.toLowerCase());
      if (object === undefined) {
        object = { name: row.object, sqliteName: row.sqlite_name, columns: [] };
        catalog.set(row.object.toLowerCase(), object);
      }
      object.columns.push({
        name: row.column_name,
        type: parseSqlType(row.sql_type),
        nullable: row.nullable === 1,
      });
    }
    return catalog;
  } finally {
    db.close();
  }
}
