/**
 * The chaos drill of issue 13 (item 7), shared by tests/integration/sync/chaos.test.ts (short) and
 * `npm run chaos` (long): hostile values planted in the SQL Server emulator's data, a full local sync
 * driven through Salesforce faults (503s, row locks, session expiry, lost responses, a sticky 500)
 * and SQL Server connections cut mid-reply, compared with a fault-free run of the same data.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { loadConfig, type SyncConfig } from '../src/core/config/load.js';
import type { Counts, RunSummary } from '../src/core/sync/report.js';
import type { SalesforceFaults } from '../src/emulators/salesforce/faults.js';
import { storageValue, typedValue } from '../src/emulators/sqlserver/data/storage.js';
import { VIEW_COLUMNS, VIEW_TABLES, type ViewName } from '../src/emulators/sqlserver/data/views.js';
import type { SqlFault } from '../src/emulators/sqlserver/index.js';
import { registerFunctions } from '../src/emulators/sqlserver/server/functions.js';
import { type LocalEnvironment, startLocalEnvironment } from '../src/local/environment.js';
import { type LocalRunResult, runSync } from '../src/local/run.js';
import type { TaskEvent } from '../src/local/stepfunctions.js';

export type Sizes = Record<
  'ITALCOL' | 'CASABLANCA' | 'SANTA_REYES',
  Record<'terceros' | 'sucursales' | 'acuerdos', number>
>;

/** The text Salesforce's sticky 500 matches: one tercero carries it in its name, every day. */
export const STICKY_500 = 'CH-STICKY-500';

const AT = '2026-11-28 10:00:00';
export const ASTRAL = '😀 Ferretería 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🇨🇴 👩🏽‍🌾';

/** Hostile rows (column -> value) per view; keys are prefixed CH- so they never meet generated ones. */
export function hostileRows(): Record<ViewName, Array<Record<string, unknown>>> {
  const tercero = (nit: string, razon: string, extra: Record<string, unknown> = {}) => ({
    nit,
    razon_social: razon,
    tipo_tercero: 'CLIENTE',
    activo: true,
    fecha_modificacion: AT,
    ...extra,
  });
  const sucursal = (codigo: string, nit: string, extra: Record<string, unknown> = {}) => ({
    codigo_sucursal: codigo,
    nit_tercero: nit,
    nombre: `Sucursal ${codigo}`,
    activo: true,
    fecha_modificacion: AT,
    ...extra,
  });
  const acuerdo = (id: string, nit: string, extra: Record<string, unknown> = {}) => ({
    id_acuerdo: id,
    nit_tercero: nit,
    tipo_acuerdo: 'DESCUENTO',
    fecha_inicio: '2026-01-01',
    activo: true,
    fecha_modificacion: AT,
    ...extra,
  });
  return {
    terceros_view: [
      tercero('CH-EMOJI-1', ASTRAL, { nombre_comercial: '🏪'.repeat(40) }),
      tercero('CH-MAIL-1', 'Correo con eñe', { email: 'ñandú@ejemplo.co' }),
      tercero('CH-MAIL-2', 'Correo con HTML', { email: '"<a>"@x.co' }),
      tercero('CH-RTL-1', '\u200Fشركة الأنديز\u200E S.A.S \u202Eevil\u202C', {
        telefono: '\u200F+57 300 123 4567',
      }),
      tercero('CH-COMB-1', 'Jose\u0301 Pen\u0303a Cafe\u0301 Ltda', { ciudad: 'Bogota\u0301' }),
      tercero('CH-CTRL-1', 'Nul\u0000Byte\u0007Bell\u001b[31mred\tTab\nLine\r\nEnd', { direccion: '\u0000' }),
      tercero('CH-SQL-1', "Robert'); DROP TABLE terceros;--", { nombre_comercial: "' OR '1'='1" }),
      tercero('CH-HTML-1', '<script>alert("x")</script>&amp;<b>bold</b>'),
      tercero('CH-LONG-1', 'Ñ'.repeat(400), { nombre_comercial: '𝔘'.repeat(127) }),
      tercero('CH-LONG-2', 'Ñ'.repeat(255), { direccion: 'Calle '.repeat(33) }),
      tercero('CH-NUM-MAX', 'Cupo máximo', { cupo_credito: '9999999999999999.99' }),
      tercero('CH-NUM-MIN', 'Cupo mínimo', { cupo_credito: '-9999999999999999.99' }),
      tercero('CH-NUM-TINY', 'Cupo diminuto', { cupo_credito: '0.01' }),
      tercero('CH-CASE-1', 'Clave en mayúsculas'),
      tercero('ch-case-1', 'clave en minúsculas'),
      tercero('CH-WS-1', 'Clave sin espacios'),
      tercero(' CH-WS-1 ', 'Clave con espacios'),
      tercero('CH-STICKY-1', `${STICKY_500} Ltda`),
      tercero('CH-EMPTY-1', ''),
    ],
    sucursales_view: [
      sucursal('CH-S-GEO-MAX', 'CH-EMOJI-1', { latitud: 90, longitud: 180, nombre: `${ASTRAL} norte` }),
      sucursal('CH-S-GEO-MIN', 'CH-RTL-1', { latitud: -90, longitud: -180 }),
      sucursal('CH-S-GEO-HUGE', 'CH-COMB-1', { latitud: 1.7976931348623157e308, longitud: -5e-324 }),
      sucursal('CH-S-DATE-MIN', 'CH-SQL-1', { fecha_apertura: '0001-01-01' }),
      sucursal('CH-S-DATE-MAX', 'CH-HTML-1', { fecha_apertura: '9999-12-31' }),
      sucursal('CH-S-DATE-SF', 'CH-NUM-MAX', { fecha_apertura: '1700-01-01' }),
      sucursal('CH-S-WS', ' CH-WS-1 ', { nombre: ' \t espacios \u00A0\u2003' }),
      sucursal('CH-S-CASE', 'ch-case-1'),
      sucursal('CH-S-STICKY', 'CH-STICKY-1'),
      sucursal('CH-S-CTRL', 'CH-CTRL-1', { nombre: '\u0001\u0002\u0003\uFFFE\uFEFF' }),
    ],
    acuerdos_view: [
      acuerdo('9223372036854775807', 'CH-EMOJI-1', {
        valor: '9999999999999999.99',
        cantidad_minima: 2147483647,
      }),
      acuerdo('-9223372036854775808', 'CH-RTL-1', {
        valor: '-9999999999999999.99',
        cantidad_minima: -2147483648,
      }),
      acuerdo('9007199254740993', 'CH-COMB-1', { porcentaje_descuento: '999.99' }),
      acuerdo('9007199254740994', 'CH-SQL-1', {
        porcentaje_descuento: '-999.99',
        fecha_inicio: '0001-01-01',
      }),
      acuerdo('9007199254740995', 'CH-HTML-1', { fecha_fin: '9999-12-31' }),
      acuerdo('9007199254740996', 'CH-NUM-TINY', {
        tipo_acuerdo: 'straße ıi',
        codigo_sucursal: 'CH-S-GEO-MAX',
      }),
      acuerdo('9007199254740997', 'CH-LONG-2', { descripcion: `${'a'.repeat(32767)}😀 tail` }),
      acuerdo('9007199254740998', 'CH-CTRL-1', { descripcion: `${'🌋'.repeat(20000)}` }),
      acuerdo('9007199254740999', 'CH-STICKY-1', { codigo_sucursal: 'CH-S-STICKY' }),
      acuerdo('9007199254741000', ' CH-WS-1 ', { codigo_sucursal: 'CH-S-WS' }),
    ],
  };
}

/** Inserts the hostile rows into a company's emulator database (values checked as SQL Server would). */
export function plantHostileRows(env: LocalEnvironment, company: string): number {
  const file = path.join(env.dataDir, 'sqlserver', `${company}.sqlite`);
  const db = new Database(file, { fileMustExist: true });
  registerFunctions(db);
  let planted = 0;
  try {
    db.pragma('busy_timeout = 10000');
    db.transaction(() => {
      for (const [view, rows] of Object.entries(hostileRows()) as Array<
        [ViewName, Array<Record<string, unknown>>]
      >) {
        const columns = VIEW_COLUMNS[view];
        const names = columns.map((c) => `"${c.name}"`).join(', ');
        const insert = db.prepare(
          `INSERT INTO "${VIEW_TABLES[view]}" (${names}) VALUES (${columns.map(() => '?').join(', ')})`,
        );
        for (const row of rows) {
          const values = columns.map((c) => {
            const v = row[c.name];
            return v === undefined ? null : storageValue(typedValue(v as never, c.type), c.type);
          });
          insert.run(...values);
          planted++;
        }
      }
    })();
  } finally {
    db.close();
  }
  return planted;
}

/** mulberry32: seeded, so a drill repeats. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One cut per view (per query of it, `times`), each after a random number of reply bytes. */
export function sqlCuts(next: () => number, maxBytes: number): SqlFault[] {
  return (['terceros_view', 'sucursales_view', 'acuerdos_view'] as const).map((query) => ({
    kind: 'drop' as const,
    bytes: 40 + Math.floor(next() * maxBytes),
    query,
    times: 1 + Math.floor(next() * 2),
  }));
}

export function salesforceFaults(seed: number): SalesforceFaults {
  return {
    seed,
    unavailableShare: 0.2,
    lockRowShare: 0.05,
    expireSessionAfterCalls: 50,
    lostResponseShare: 0.05,
    unknownExceptionMatch: [STICKY_500],
  };
}

/** A record as compared: mapped fields only, references as the parent's external ID. */
export type Snapshot = Record<string, Record<string, Record<string, unknown>>>;

async function token(env: LocalEnvironment): Promise<string> {
  const sf = env.salesforce;
  if (!sf) throw new Error('no Salesforce emulator');
  const r = await fetch(`${sf.instanceUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: sf.credentials.clientId,
      client_secret: sf.credentials.clientSecret,
    }).toString(),
  });
  const body = (await r.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: HTTP ${r.status}`);
  return body.access_token;
}

async function queryAll(env: LocalEnvironment, soql: string): Promise<Array<Record<string, unknown>>> {
  const base = env.salesforce?.instanceUrl as string;
  const auth = { authorization: `Bearer ${await token(env)}` };
  const records: Array<Record<string, unknown>> = [];
  let url: string | undefined = `${base}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`;
  while (url) {
    const r = await fetch(url, { headers: auth });
    const body = (await r.json()) as { records?: Array<Record<string, unknown>>; nextRecordsUrl?: string };
    if (!body.records)
      throw new Error(`query failed: HTTP ${r.status} ${JSON.stringify(body).slice(0, 300)}`);
    records.push(...body.records);
    url = body.nextRecordsUrl ? `${base}${body.nextRecordsUrl}` : undefined;
  }
  return records;
}

/** What the Salesforce emulator holds for every entity: external ID -> mapped fields. */
export async function snapshot(env: LocalEnvironment, config: SyncConfig): Promise<Snapshot> {
  const entities = config.raw.entities as Record<
    string,
    { object: string; externalIdField: string; fields: Record<string, { ref?: { entity: string } }> }
  >;
  const idToKey = new Map<string, string>();
  const raw: Record<string, Array<Record<string, unknown>>> = {};
  for (const [name, e] of Object.entries(entities)) {
    const fields = ['Id', e.externalIdField, ...Object.keys(e.fields)];
    raw[name] = await queryAll(env, `SELECT ${[...new Set(fields)].join(', ')} FROM ${e.object}`);
    for (const r of raw[name] ?? []) idToKey.set(String(r.Id), `${name}:${String(r[e.externalIdField])}`);
  }
  const out: Snapshot = {};
  for (const [name, e] of Object.entries(entities)) {
    const byKey: Record<string, Record<string, unknown>> = {};
    for (const r of raw[name] ?? []) {
      const fields: Record<string, unknown> = {};
      for (const [field, m] of Object.entries(e.fields)) {
        const v = r[field] ?? null;
        fields[field] = m.ref && v !== null ? (idToKey.get(String(v)) ?? `unknown id ${String(v)}`) : v;
      }
      byKey[String(r[e.externalIdField])] = fields;
    }
    out[name] = byKey;
  }
  return out;
}

/** Field-by-field differences between two snapshots (empty when equal). */
export function differences(expected: Snapshot, actual: Snapshot, limit = 20): string[] {
  const out: string[] = [];
  for (const entity of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const a = expected[entity] ?? {};
    const b = actual[entity] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (!(key in b)) out.push(`${entity} ${JSON.stringify(key)}: missing`);
      else if (!(key in a)) out.push(`${entity} ${JSON.stringify(key)}: unexpected`);
      else
        for (const field of Object.keys(a[key] ?? {}))
          if (JSON.stringify(a[key]?.[field]) !== JSON.stringify(b[key]?.[field]))
            out.push(
              `${entity} ${JSON.stringify(key)}.${field}: ${JSON.stringify(a[key]?.[field])?.slice(0, 80)} != ${JSON.stringify(b[key]?.[field])?.slice(0, 80)}`,
            );
      if (out.length >= limit) return out;
    }
  }
  return out;
}

export function bucketSums(
  summary: RunSummary | undefined,
): Array<{ where: string; sum: number; extracted: number }> {
  if (!summary) return [];
  const sum = (c: Counts) => c.created + c.updated + c.unchanged + c.rejected + c.failed + c.skipped;
  const out = [];
  for (const [company, c] of Object.entries(summary.companies))
    for (const [entity, e] of Object.entries(c.entities))
      out.push({ where: `${company}/${entity}`, sum: sum(e), extracted: e.extracted });
  return out;
}

export interface ChaosWorld {
  env: LocalEnvironment;
  config: SyncConfig;
  run(input: unknown): Promise<LocalRunResult & { events: TaskEvent[] }>;
  stop(): Promise<void>;
}

/** Starts the stand-ins in a temp folder with the given sizes and plants the hostile rows in ITALCOL. */
export async function startChaosWorld(sizes: Sizes): Promise<ChaosWorld> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-chaos-'));
  const config = loadConfig('config/sync.config.json');
  const env = await startLocalEnvironment({ config, dataDir: dir, sizes });
  plantHostileRows(env, 'ITALCOL');
  return {
    env,
    config,
    async run(input) {
      const events: TaskEvent[] = [];
      const result = await runSync({ input, retryIntervalScale: 0.001, onTaskEvent: (e) => events.push(e) });
      return { ...result, events };
    },
    async stop() {
      await env.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `npm run chaos` options: --rows N (demo-shaped data, default 7000), --rounds N (default 3), --seed N. */
export interface ChaosOptions {
  rows: number;
  rounds: number;
  seed: number;
}

export class ChaosUsageError extends Error {
  override readonly name = 'ChaosUsageError';
}

export function parseChaosArgs(args: string[]): ChaosOptions {
  const options: ChaosOptions = { rows: 7000, rounds: 3, seed: 1 };
  const limits = { rows: [100, 500000], rounds: [1, 50], seed: [0, 2 ** 31 - 1] } as const;
  for (let i = 0; i < args.length; i++) {
    const name = args[i]?.replace(/^--/, '') as keyof ChaosOptions;
    const value = Number(args[i + 1]);
    const [min, max] = limits[name] ?? [];
    if (min === undefined || max === undefined)
      throw new ChaosUsageError(`unknown option ${args[i]}; accepted: --rows N, --rounds N, --seed N`);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ChaosUsageError(
        `--${name} takes an integer from ${min} to ${max}, got ${String(args[i + 1])}`,
      );
    options[name] = value;
    i++;
  }
  return options;
}

/** Demo proportions: companies 4 : 2 : 1, terceros : sucursales : acuerdos = 2 : 3 : 1. */
export function chaosSizes(total: number): Sizes {
  const weights = { ITALCOL: 4, CASABLANCA: 2, SANTA_REYES: 1 } as const;
  const out = {} as Sizes;
  for (const [company, w] of Object.entries(weights) as Array<[keyof Sizes, number]>) {
    const share = (total * w) / 7;
    out[company] = {
      terceros: Math.max(1, Math.round(share / 3)),
      sucursales: Math.max(1, Math.round(share / 2)),
      acuerdos: Math.max(1, Math.round(share / 6)),
    };
  }
  return out;
}

type Line = (text: string) => void;

function figures(label: string, r: LocalRunResult & { events: TaskEvent[] }): string {
  const t = r.summary?.totals;
  const failedEvents = r.events.filter((e) => e.type === 'TaskFailed');
  const failedAttempts = failedEvents.length;
  const why = [...new Set(failedEvents.map((e) => `${e.stateName} ${e.error?.name}`))].join(', ');
  const rounds = r.events.filter((e) => e.stateName === 'Upsert' && e.type === 'TaskSucceeded').length;
  return (
    `${label}: ${r.status} in ${r.seconds.toFixed(1)} s; extracted ${t?.extracted}, created ${t?.created}, ` +
    `updated ${t?.updated}, unchanged ${t?.unchanged}, rejected ${t?.rejected}, failed ${t?.failed}, ` +
    `skipped ${t?.skipped}; ${r.salesforce.dataCalls} data calls, ${r.salesforce.authCalls} token calls, ` +
    `${rounds} Upsert rounds, ${failedAttempts} failed attempts retried${why ? ` (${why})` : ''}`
  );
}

/** The long drill: a fault-free reference, then `rounds` stormy runs, a calm one, and a last one. */
export async function runChaos(options: ChaosOptions, line: Line): Promise<number> {
  const sizes = chaosSizes(options.rows);
  const clean = await startChaosWorld(sizes);
  let expected: Snapshot;
  try {
    line(figures('reference (no faults)', await clean.run({})));
    expected = await snapshot(clean.env, clean.config);
  } finally {
    await clean.stop();
  }
  const world = await startChaosWorld(sizes);
  let problems = 0;
  try {
    const next = rng(options.seed);
    for (let round = 1; round <= options.rounds; round++) {
      world.env.salesforce?.setFaults(salesforceFaults(options.seed + round));
      const cuts = sqlCuts(next, 200000);
      world.env.sqlserver?.setFaults(cuts);
      const r = await world.run({ mode: 'full' });
      const left = world.env.sqlserver?.pendingFaults().reduce((n, f) => n + (f.times ?? 1), 0) ?? 0;
      const fired = cuts.reduce((n, f) => n + (f.times ?? 1), 0) - left;
      const uneven = bucketSums(r.summary).filter((b) => b.sum !== b.extracted);
      problems += uneven.length;
      line(`${figures(`stormy run ${round}`, r)}; SQL cuts ${fired}; buckets uneven: ${uneven.length}`);
    }
    world.env.salesforce?.setFaults({});
    world.env.sqlserver?.setFaults([]);
    line(figures('calm run', await world.run({})));
    const diff = differences(expected, await snapshot(world.env, world.config));
    problems += diff.length;
    line(
      `org vs reference: ${diff.length === 0 ? 'identical' : `${diff.length}+ differences:\n  ${diff.join('\n  ')}`}`,
    );
    const last = await world.run({});
    if (last.salesforce.dataCalls !== 0) problems++;
    line(figures('one more run', last));
  } finally {
    await world.stop();
  }
  line(problems === 0 ? 'chaos: all checks held' : `chaos: ${problems} check(s) failed`);
  return problems === 0 ? 0 : 1;
}

const invokedDirectly =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  let options: ChaosOptions | undefined;
  try {
    options = parseChaosArgs(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof ChaosUsageError)) throw error;
    process.stderr.write(`npm run chaos: ${error.message}\n`);
    process.exit(2);
  }
  runChaos(options, (text) => process.stdout.write(`${text}\n`)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`npm run chaos: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}
