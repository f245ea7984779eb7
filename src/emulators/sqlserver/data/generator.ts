/**
 * A deterministic generator of each company's source rows. Every row is a pure function of
 * (company, view, index, sizes, seed), so a million-row view is produced one row at a time and a test
 * can recompute any row to compare it with what the server returned.
 *
 * A few dirty rows of the kind a real ERP holds are present by default (see `dirtyRows`); all
 * other rows are clean: required values present, names of at most 255 characters, valid emails,
 * parents that exist, unique keys.
 */
import {
  DEFAULT_TIME_ZONE,
  decimalTextFromScaled,
  formatDate,
  formatWallClock,
  instantOfWallClock,
  type SqlValue,
  type ZoneOffset,
  zoneOffsets,
} from '../sql-type.js';
import {
  ADDRESS_EXTRAS,
  AGREEMENT_TYPES,
  BRANCH_KINDS,
  CITIES,
  type City,
  CLAUSES,
  EMAIL_DOMAINS,
  EMAIL_USERS,
  LEGAL_SUFFIXES,
  NEIGHBOURHOODS,
  nitCheckDigit,
  PLACES,
  PREFIXES,
  STREETS,
  SURNAMES,
  slug,
} from './colombia.js';
import { type Company, type CompanySizes, DEFAULT_SIZES, MAX_ROWS, type ViewName } from './views.js';

// Module-level aliases of globals used once per row or value: reading a global is costly inside a vm
// context (Jest runs the tests in one); a module binding is not.
const { floor, imul, round } = Math;
const toText = String;

export type Row = Record<string, SqlValue>;

export const DEFAULT_SEED = 20240601;

export interface TerceroRow extends Row {
  nit: string;
  razon_social: string | null;
  nombre_comercial: string | null;
  tipo_tercero: string;
  direccion: string | null;
  ciudad: string | null;
  departamento: string | null;
  telefono: string | null;
  email: string | null;
  cupo_credito: string | null;
  activo: boolean;
  fecha_modificacion: string;
}

export interface SucursalRow extends Row {
  codigo_sucursal: string;
  nit_tercero: string;
  nombre: string | null;
  direccion: string | null;
  ciudad: string | null;
  departamento: string | null;
  telefono: string | null;
  latitud: number | null;
  longitud: number | null;
  fecha_apertura: string | null;
  activo: boolean;
  fecha_modificacion: string;
}

export interface AcuerdoRow extends Row {
  id_acuerdo: bigint;
  nit_tercero: string;
  codigo_sucursal: string | null;
  tipo_acuerdo: string;
  fecha_inicio: string;
  fecha_fin: string | null;
  valor: string | null;
  porcentaje_descuento: string | null;
  cantidad_minima: number | null;
  descripcion: string | null;
  activo: boolean;
  fecha_modificacion: string;
}

/* ------------------------------------------------------------ dirty rows ------------------------------------------------------------ */

export type DirtyKind =
  | 'missing-required'
  | 'name-too-long'
  | 'stray-whitespace'
  | 'invalid-email'
  | 'duplicate-key'
  | 'orphan-parent'
  | 'case-variant-key'
  | 'accent-case-variant-key'
  | 'trailing-space-key'
  | 'leading-space-key'
  | 'accent-distinct-key';

export interface DirtyRow {
  company: string;
  view: ViewName;
  kind: DirtyKind;
  /** The row's key value (for the duplicate, the key both rows share). */
  key: string;
  /** Row positions in the generated view (0-based); two for the duplicate key. */
  indexes: number[];
  /** The column that is dirty. */
  column: string;
  description: string;
  /** For the key variants: each row's spelling of the key, in `indexes` order. */
  keys?: string[];
}

/** Row positions of the dirty terceros (a view needs at least 32 rows to hold them all). */
export const DIRTY_TERCERO_INDEX = {
  missingName: 3,
  longName: 11,
  strayWhitespace: 17,
  invalidEmail: 23,
  duplicateFirst: 29,
  duplicateSecond: 31,
} as const;
/** Row position of the sucursal whose tercero does not exist. */
export const ORPHAN_SUCURSAL_INDEX = 5;

/**
 * Sucursales whose codigo_sucursal is a variant spelling of another's (a view needs at least 56
 * sucursales to hold them all). Under Modern_Spanish_CI_AS, as SQL Server compares them:
 * - case: 'ab-1' = 'AB-1', and 'MUÑOZ-1' = 'muñoz-1' (Ñ/ñ differ only in case);
 * - trailing spaces are ignored: 'L-WS' = 'L-WS ';
 * - leading spaces are not: ' L-WS2' <> 'L-WS2' in SQL Server, but the two are one key once trimmed
 *   (the sync trims keys, and Salesforce trims text), so the broader rule makes them a collision;
 * - accents count: 'CAFE-1' <> 'CAFÉ-1', two distinct keys (a control: neither is a duplicate).
 * Salesforce external IDs are case-insensitive too, so each pair but the last is one key there.
 */
export const VARIANT_KEY_SUCURSALES = [
  { kind: 'case-variant-key', indexes: [37, 39], keys: ['ab-1', 'AB-1'] },
  { kind: 'accent-case-variant-key', indexes: [41, 43], keys: ['MUÑOZ-1', 'muñoz-1'] },
  { kind: 'trailing-space-key', indexes: [45, 47], keys: ['L-WS', 'L-WS '] },
  { kind: 'leading-space-key', indexes: [49, 51], keys: [' L-WS2', 'L-WS2'] },
  { kind: 'accent-distinct-key', indexes: [53, 55], keys: ['CAFE-1', 'CAFÉ-1'] },
] as const satisfies readonly { kind: DirtyKind; indexes: readonly number[]; keys: readonly string[] }[];

const VARIANT_DESCRIPTIONS: Record<(typeof VARIANT_KEY_SUCURSALES)[number]['kind'], string> = {
  'case-variant-key': 'codes differing only in case: one key under Modern_Spanish_CI_AS and in Salesforce',
  'accent-case-variant-key': 'codes differing only in the case of Ñ/ñ: one key under a _CI_ collation',
  'trailing-space-key':
    'codes differing by a trailing space: one key in SQL Server (trailing spaces are ignored)',
  'leading-space-key':
    'codes differing by a leading space: two keys in SQL Server, one once trimmed (the sync and Salesforce trim)',
  'accent-distinct-key':
    'codes differing by an accent: two distinct keys under an accent-sensitive (_AS) collation',
};

/** The code of a sucursal at a variant-key position, if it is one. */
function variantCode(index: number): string | undefined {
  for (const v of VARIANT_KEY_SUCURSALES) {
    const at = (v.indexes as readonly number[]).indexOf(index);
    if (at >= 0) return v.keys[at];
  }
  return undefined;
}

/** Sucursales an acuerdo never points at: the orphan and the variant keys (they may be rejected). */
const NOT_A_PARENT = new Set<number>([
  ORPHAN_SUCURSAL_INDEX,
  ...VARIANT_KEY_SUCURSALES.flatMap((v) => v.indexes),
]);

/**
 * The tercero whose fecha_modificacion is a known wall-clock time of the server's time zone, so a
 * test can check the instant the sync derives: '2026-03-01 08:00:00' in Bogotá is 2026-03-01T13:00:00Z.
 */
export const LOCAL_TIME_TERCERO = {
  index: 7,
  column: 'fecha_modificacion',
  wallClock: '2026-03-01 08:00:00.0000000',
} as const;

export interface LocalTimeRow {
  company: string;
  view: ViewName;
  key: string;
  index: number;
  column: string;
  /** The DATETIME2 value as stored: the server time zone's wall clock. */
  wallClock: string;
  /** The instant it stands for in the given time zone (13:00Z for Bogotá). */
  instant: Date;
}

/** The rows with a known local time in a company generated with these sizes. */
export function localTimeRows(
  company: string,
  sizes: Partial<CompanySizes> = {},
  seed = DEFAULT_SEED,
  timeZone = DEFAULT_TIME_ZONE,
): LocalTimeRow[] {
  const t = LOCAL_TIME_TERCERO;
  if (resolveSizes(company, sizes).terceros <= t.index) return [];
  return [
    {
      company,
      view: 'terceros_view',
      key: nitForIndex(company, t.index, seed),
      index: t.index,
      column: t.column,
      wallClock: t.wallClock,
      instant: instantOfWallClock(t.wallClock, timeZone),
    },
  ];
}

const DIRTY_TERCEROS = new Set<number>(Object.values(DIRTY_TERCERO_INDEX));

/** The dirty rows present in a company generated with these sizes (all of them at default sizes). */
export function dirtyRows(
  company: string,
  sizes: Partial<CompanySizes> = {},
  seed = DEFAULT_SEED,
): DirtyRow[] {
  const s = resolveSizes(company, sizes);
  const out: DirtyRow[] = [];
  const nit = (i: number): string => nitForIndex(company, i, seed);
  const t = DIRTY_TERCERO_INDEX;
  const add = (row: Omit<DirtyRow, 'company' | 'view'>, view: ViewName = 'terceros_view'): void => {
    if (row.indexes.every((i) => i < (view === 'terceros_view' ? s.terceros : s.sucursales))) {
      out.push({ company, view, ...row });
    }
  };
  add({
    kind: 'missing-required',
    key: nit(t.missingName),
    indexes: [t.missingName],
    column: 'razon_social',
    description: 'razon_social is NULL',
  });
  add({
    kind: 'name-too-long',
    key: nit(t.longName),
    indexes: [t.longName],
    column: 'razon_social',
    description: 'razon_social has 300 characters (Salesforce allows 255)',
  });
  add({
    kind: 'stray-whitespace',
    key: nit(t.strayWhitespace),
    indexes: [t.strayWhitespace],
    column: 'razon_social',
    description: 'razon_social and email have leading and trailing spaces (otherwise valid)',
  });
  add({
    kind: 'invalid-email',
    key: nit(t.invalidEmail),
    indexes: [t.invalidEmail],
    column: 'email',
    description: "email has two '@'",
  });
  add({
    kind: 'duplicate-key',
    key: nit(t.duplicateFirst),
    indexes: [t.duplicateFirst, t.duplicateSecond],
    column: 'nit',
    description: 'the same nit on two rows with different data',
  });
  add(
    {
      kind: 'orphan-parent',
      key: sucursalCode(ORPHAN_SUCURSAL_INDEX),
      indexes: [ORPHAN_SUCURSAL_INDEX],
      column: 'nit_tercero',
      description: `nit_tercero ${orphanNit(company, seed)} does not exist in terceros_view`,
    },
    'sucursales_view',
  );
  for (const v of VARIANT_KEY_SUCURSALES) {
    add(
      {
        kind: v.kind,
        key: v.keys[0],
        keys: [...v.keys],
        indexes: [...v.indexes],
        column: 'codigo_sucursal',
        description: VARIANT_DESCRIPTIONS[v.kind],
      },
      'sucursales_view',
    );
  }
  return out;
}

/* ------------------------------------------------------------ randomness ------------------------------------------------------------ */

function hash32(...values: number[]): number {
  let h = 0x811c9dc5;
  for (const v of values) {
    h = imul(h ^ (v & 0xffff), 0x01000193);
    h = imul(h ^ (v >>> 16), 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

const companyHashes = new Map<string, number>();

function companyHash(company: string): number {
  let h = companyHashes.get(company);
  if (h === undefined) {
    h = stringHash(company);
    companyHashes.set(company, h);
  }
  return h;
}

function stringHash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** A small PRNG (mulberry32) with helpers. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)] as T;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  weighted(items: readonly [string, number][]): string {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return (items[items.length - 1] as [string, number])[0];
  }
}

const STREAM: Record<ViewName, number> = { terceros_view: 1, sucursales_view: 2, acuerdos_view: 3 };

/** The random stream of one row; `version` > 0 gives the values of a later update of the row. */
export function rowRng(company: string, view: ViewName, index: number, seed: number, version = 0): Rng {
  return new Rng(hash32(companyHash(company), seed, STREAM[view], index, version));
}

export function resolveSizes(company: string, sizes: Partial<CompanySizes> = {}): CompanySizes {
  const base = (DEFAULT_SIZES as Record<string, CompanySizes>)[company] ?? DEFAULT_SIZES.CASABLANCA;
  const out = { ...base, ...Object.fromEntries(Object.entries(sizes).filter(([, v]) => v !== undefined)) };
  for (const [name, value] of Object.entries(out)) {
    if (!Number.isInteger(value) || value < 0 || value > MAX_ROWS) {
      throw new RangeError(
        `size of ${name} for ${company} must be an integer from 0 to ${MAX_ROWS}, got ${value}`,
      );
    }
  }
  return out;
}

/* ------------------------------------------------------------ keys ------------------------------------------------------------ */

const NIT_RANGE = 200_000_000;
const NIT_MULTIPLIER = 7_654_321; // coprime with NIT_RANGE: index -> NIT is a bijection

function nitFromNumber(n: number): string {
  const digits = toText(800_000_000 + n);
  return `${digits}-${nitCheckDigit(digits)}`;
}

/** The NIT of the tercero at an index: 9 digits from 800000000 to 999999999 plus the DIAN check digit. */
export function nitForIndex(company: string, index: number, seed = DEFAULT_SEED): string {
  const offset = hash32(companyHash(company), seed) % NIT_RANGE;
  // index * multiplier stays below 2^53 for every index up to NIT_RANGE, so this is exact.
  return nitFromNumber(((index % NIT_RANGE) * NIT_MULTIPLIER + offset) % NIT_RANGE);
}

/** A well-formed NIT that no generated tercero has (its index is far beyond any size). */
export function orphanNit(company: string, seed = DEFAULT_SEED): string {
  return nitForIndex(company, NIT_RANGE - 1, seed);
}

export function sucursalCode(index: number): string {
  return `SUC-${toText(index + 1).padStart(6, '0')}`;
}

export const ACUERDO_ID_BASE = 3_000_000_001n;

export function acuerdoId(index: number): bigint {
  return ACUERDO_ID_BASE + BigInt(index);
}

/** A clean tercero index for a child row: never a dirty one. */
function cleanTerceroIndex(rng: Rng, count: number): number {
  if (count === 0) return 0;
  let i = rng.int(0, count - 1);
  for (let guard = 0; DIRTY_TERCEROS.has(i) && guard < 10; guard++) i = (i + 1) % count;
  return i;
}

/* ------------------------------------------------------------ values ------------------------------------------------------------ */

const HOME_CITY: Record<string, string> = { ITALCOL: 'Funza', CASABLANCA: 'Cali', SANTA_REYES: 'Tunja' };
const DAY_2023 = 19358; // 2023-01-01 in days since 1970

function city(rng: Rng, company: string): City {
  if (rng.chance(0.3)) {
    const home = CITIES.find((c) => c.ciudad === HOME_CITY[company]);
    if (home) return home;
  }
  if (rng.chance(0.25)) return CITIES[0] as City;
  return rng.pick(CITIES);
}

function phone(rng: Rng, c: City): string {
  if (rng.chance(0.5)) {
    const prefix = rng.pick([
      '300',
      '301',
      '302',
      '304',
      '305',
      '310',
      '311',
      '312',
      '313',
      '314',
      '315',
      '316',
      '317',
      '318',
      '320',
      '321',
      '322',
      '323',
      '350',
    ]);
    return `+57 ${prefix} ${rng.int(100, 999)} ${rng.int(1000, 9999)}`;
  }
  return `+57 ${c.indicativo} ${rng.int(200, 799)} ${rng.int(1000, 9999)}`;
}

function address(rng: Rng): string {
  const letter = rng.chance(0.2) ? rng.pick(['A', 'B', 'C']) : '';
  const bis = rng.chance(0.05) ? ' Bis' : '';
  return `${rng.pick(STREETS)} ${rng.int(1, 180)}${letter}${bis} # ${rng.int(1, 120)}${rng.chance(0.15) ? rng.pick(['A', 'B']) : ''}-${rng.int(1, 99)}${rng.pick(ADDRESS_EXTRAS)}`;
}

/** A modification time: a random instant from 2023 on, as the server time zone's wall clock shows it. */
function modified(rng: Rng, offset: ZoneOffset): string {
  const days = DAY_2023 + rng.int(0, 900);
  const seconds = rng.int(0, 86_399);
  return formatWallClock((days * 86_400 + seconds) * 1000, offset, rng.int(0, 9_999_999));
}

/** Bogotá's offsets, for callers of the row functions that do not give a time zone's. */
function defaultOffsets(): ZoneOffset {
  return zoneOffsets(DEFAULT_TIME_ZONE);
}

function money(rng: Rng, min: number, max: number): string {
  const whole = rng.int(min, max);
  const cents = rng.chance(0.7) ? 0 : rng.pick([50, 75, 25, 37, 99, 10]);
  return decimalTextFromScaled(BigInt(whole) * 100n + BigInt(cents), 2);
}

/** A credit limit from 1 to 2,000 million pesos, most of them round. */
function creditLimit(rng: Rng): string {
  const millions = BigInt(rng.int(1, 2000));
  const extra = rng.chance(0.8) ? 0n : BigInt(rng.int(1, 99_999_999));
  return decimalTextFromScaled(millions * 100_000_000n + extra, 2);
}

interface CompanyName {
  razon: string;
  comercial: string;
  core: string;
}

function companyName(rng: Rng): CompanyName {
  const prefix = rng.pick(PREFIXES);
  const core = rng.chance(0.35)
    ? rng.pick(PLACES)
    : rng.chance(0.4)
      ? `${rng.pick(SURNAMES)} ${rng.pick(SURNAMES)}`
      : rng.pick(SURNAMES);
  const family = rng.chance(0.1) ? ' & Hermanos' : '';
  return {
    razon: `${prefix} ${core}${family} ${rng.pick(LEGAL_SUFFIXES)}`,
    comercial: `${prefix} ${core}`,
    core,
  };
}

/** The values of a tercero at an index (version > 0: the values of an update). */
export function terceroRow(
  company: string,
  index: number,
  seed = DEFAULT_SEED,
  version = 0,
  offset: ZoneOffset = defaultOffsets(),
): TerceroRow {
  const rng = rowRng(company, 'terceros_view', index, seed, version);
  const name = companyName(rng);
  const tipo = rng.weighted([
    ['CLIENTE', 65],
    ['PROVEEDOR', 20],
    ['DISTRIBUIDOR', 15],
  ]);
  const c = city(rng, company);
  const hasCity = !rng.chance(0.02);
  const domain = `${slug(name.comercial)}${rng.pick(EMAIL_DOMAINS)}`;
  const user = rng.pick(EMAIL_USERS);
  const row: TerceroRow = {
    nit: nitForIndex(company, index, seed),
    razon_social: name.razon,
    nombre_comercial: rng.chance(0.12) ? null : name.comercial,
    tipo_tercero: tipo,
    direccion: rng.chance(0.03) ? null : address(rng),
    ciudad: hasCity ? c.ciudad : null,
    departamento: hasCity ? c.departamento : null,
    telefono: rng.chance(0.04) ? null : phone(rng, c),
    email: rng.chance(0.07) ? null : `${user}@${domain}`,
    cupo_credito: tipo === 'PROVEEDOR' ? (rng.chance(0.7) ? null : '0.00') : creditLimit(rng),
    activo: !rng.chance(0.08),
    fecha_modificacion: modified(rng, offset),
  };
  if (version > 0) return row;
  const t = DIRTY_TERCERO_INDEX;
  switch (index) {
    case LOCAL_TIME_TERCERO.index:
      row.fecha_modificacion = LOCAL_TIME_TERCERO.wallClock;
      break;
    case t.missingName:
      row.razon_social = null;
      break;
    case t.longName: {
      const base = `${name.razon} - Sociedad dedicada a la distribución, comercialización, importación y exportación de alimentos balanceados para animales, materias primas agrícolas, insumos pecuarios y productos de consumo masivo en todo el territorio nacional y en el exterior, con sucursales en las principales ciudades del país`;
      row.razon_social = base.padEnd(300, '.').slice(0, 300);
      break;
    }
    case t.strayWhitespace:
      row.razon_social = `  ${name.razon}   `;
      row.email = ` ${user}@${domain}  `;
      break;
    case t.invalidEmail:
      row.email = `${user}@@${slug(name.core) || 'dominio'}`;
      break;
    case t.duplicateSecond:
      row.nit = nitForIndex(company, t.duplicateFirst, seed);
      break;
  }
  return row;
}

function sucursalParentIndex(company: string, index: number, seed: number, terceros: number): number {
  return cleanTerceroIndex(rowRng(company, 'sucursales_view', index, seed, 0xffff), terceros);
}

/** The values of a sucursal at an index; its tercero is a clean one among `sizes.terceros`. */
export function sucursalRow(
  company: string,
  index: number,
  sizes: CompanySizes,
  seed = DEFAULT_SEED,
  version = 0,
  offset: ZoneOffset = defaultOffsets(),
): SucursalRow {
  const rng = rowRng(company, 'sucursales_view', index, seed, version);
  const c = city(rng, company);
  const located = !rng.chance(0.04);
  const row: SucursalRow = {
    codigo_sucursal: (version === 0 ? variantCode(index) : undefined) ?? sucursalCode(index),
    nit_tercero: nitForIndex(company, sucursalParentIndex(company, index, seed, sizes.terceros), seed),
    nombre: `${rng.pick(BRANCH_KINDS)} ${rng.pick(NEIGHBOURHOODS)}`,
    direccion: rng.chance(0.03) ? null : address(rng),
    ciudad: c.ciudad,
    departamento: c.departamento,
    telefono: rng.chance(0.05) ? null : phone(rng, c),
    latitud: located ? round((c.lat + (rng.next() - 0.5) * 0.1) * 1e6) / 1e6 : null,
    longitud: located ? round((c.lon + (rng.next() - 0.5) * 0.1) * 1e6) / 1e6 : null,
    fecha_apertura: rng.chance(0.06) ? null : formatDate(7305 + rng.int(0, 12_783)),
    activo: !rng.chance(0.1),
    fecha_modificacion: modified(rng, offset),
  };
  if (version === 0 && index === ORPHAN_SUCURSAL_INDEX) row.nit_tercero = orphanNit(company, seed);
  return row;
}

function description(rng: Rng, index: number, tipo: string): string {
  const long = index % 40 === 7;
  const count = long ? rng.int(40, 70) : rng.int(1, 4);
  const parts = [`Acuerdo comercial de tipo ${tipo.toLowerCase().replace('_', ' ')} número ${index + 1}.`];
  for (let i = 0; i < count; i++) {
    parts.push(long ? `Cláusula ${i + 1}. ${rng.pick(CLAUSES)}` : rng.pick(CLAUSES));
  }
  return parts.join(' ');
}

/** The values of an acuerdo at an index: a clean tercero and, for most, one of its sucursales. */
export function acuerdoRow(
  company: string,
  index: number,
  sizes: CompanySizes,
  seed = DEFAULT_SEED,
  version = 0,
  offset: ZoneOffset = defaultOffsets(),
): AcuerdoRow {
  const rng = rowRng(company, 'acuerdos_view', index, seed, version);
  const parents = rowRng(company, 'acuerdos_view', index, seed, 0xffff);
  let sucursal: string | null = null;
  let nit: string;
  if (sizes.sucursales > 0 && parents.chance(0.6)) {
    let s = parents.int(0, sizes.sucursales - 1);
    for (let guard = 0; NOT_A_PARENT.has(s) && guard < NOT_A_PARENT.size + 1; guard++)
      s = (s + 1) % sizes.sucursales;
    sucursal = sucursalCode(s);
    nit = nitForIndex(company, sucursalParentIndex(company, s, seed, sizes.terceros), seed);
  } else {
    nit = nitForIndex(company, cleanTerceroIndex(parents, sizes.terceros), seed);
  }
  const tipo = rng.weighted(AGREEMENT_TYPES);
  const start = 18_262 + rng.int(0, 2_006); // 2020-01-01 .. 2025-06-29
  const withPercent = tipo === 'DESCUENTO' || tipo === 'PRONTO_PAGO' || tipo === 'REBATE';
  const percent = tipo === 'REBATE' ? rng.int(100, 800) : withPercent ? rng.int(50, 3500) : 0;
  return {
    id_acuerdo: acuerdoId(index),
    nit_tercero: nit,
    codigo_sucursal: sucursal,
    tipo_acuerdo: tipo,
    fecha_inicio: formatDate(start),
    fecha_fin: rng.chance(0.25) ? null : formatDate(start + rng.int(90, 1095)),
    valor: tipo === 'DESCUENTO' && rng.chance(0.5) ? null : money(rng, 500_000, 500_000_000),
    porcentaje_descuento: withPercent ? decimalTextFromScaled(BigInt(percent), 2) : null,
    cantidad_minima: tipo === 'VOLUMEN' || tipo === 'REBATE' ? rng.int(10, 5000) : null,
    descripcion: rng.chance(0.03) ? null : description(rng, index, tipo),
    activo: !rng.chance(0.15),
    fecha_modificacion: modified(rng, offset),
  };
}

/* ------------------------------------------------------------ companies ------------------------------------------------------------ */

export interface GeneratedCompany {
  company: string;
  sizes: CompanySizes;
  seed: number;
  /** The server time zone whose wall clock the DATETIME2 values show. */
  timeZone: string;
  rows(view: ViewName): Iterable<Row>;
  terceros(): Iterable<TerceroRow>;
  sucursales(): Iterable<SucursalRow>;
  acuerdos(): Iterable<AcuerdoRow>;
}

/** A company's generated views as lazy iterables (nothing is materialized). */
export function generateCompany(
  company: Company | string,
  sizes: Partial<CompanySizes> = {},
  seed = DEFAULT_SEED,
  timeZone = DEFAULT_TIME_ZONE,
): GeneratedCompany {
  const s = resolveSizes(company, sizes);
  const offset = zoneOffsets(timeZone);
  function* terceros(): Generator<TerceroRow> {
    for (let i = 0; i < s.terceros; i++) yield terceroRow(company, i, seed, 0, offset);
  }
  function* sucursales(): Generator<SucursalRow> {
    for (let i = 0; i < s.sucursales; i++) yield sucursalRow(company, i, s, seed, 0, offset);
  }
  function* acuerdos(): Generator<AcuerdoRow> {
    for (let i = 0; i < s.acuerdos; i++) yield acuerdoRow(company, i, s, seed, 0, offset);
  }
  return {
    company,
    sizes: s,
    seed,
    timeZone,
    terceros,
    sucursales,
    acuerdos,
    rows(view: ViewName): Iterable<Row> {
      return view === 'terceros_view' ? terceros() : view === 'sucursales_view' ? sucursales() : acuerdos();
    },
  };
}

/** One generated row of a view (random access). */
export function generatedRow(
  company: string,
  view: ViewName,
  index: number,
  sizes: CompanySizes,
  seed = DEFAULT_SEED,
  version = 0,
  offset: ZoneOffset = defaultOffsets(),
): Row {
  if (view === 'terceros_view') return terceroRow(company, index, seed, version, offset);
  if (view === 'sucursales_view') return sucursalRow(company, index, sizes, seed, version, offset);
  return acuerdoRow(company, index, sizes, seed, version, offset);
}
