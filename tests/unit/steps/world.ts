import { readFileSync } from 'node:fs';
import { createSyncApp, type SyncApp } from '../../../src/core/app.js';
import { parseConfig, type SyncConfig } from '../../../src/core/config/load.js';
import { createLogger } from '../../../src/core/logger.js';
import type { SnapEntry } from '../../../src/core/snapshot/entry.js';
import { SnapshotStore } from '../../../src/core/snapshot/store.js';
import { SyncStore } from '../../../src/core/store/sync-store.js';
import { FakeTable } from '../fakes/table.js';

export const RUN = 'run-1';
export const CO = 'ITALCOL';

/** The shipped config as JSON: what a test may edit before it is validated. */
export interface RawConfigJson {
  defaults: Record<string, unknown>;
  entities: Record<string, Record<string, unknown> & { fields: Record<string, unknown> }>;
}

/** The shipped config, edited (raw JSON) before it is validated as at start. */
export function configWith(edit: (raw: RawConfigJson) => void = () => {}): SyncConfig {
  const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8')) as RawConfigJson;
  edit(raw);
  return parseConfig(raw);
}

/** One unit-test world: the table in memory, a store over it, an app built on them, the log lines. */
export interface World {
  table: FakeTable;
  store: SyncStore;
  app: SyncApp;
  lines: string[];
  snapshots: SnapshotStore;
}

export async function world(config: SyncConfig = configWith(), input: unknown = {}): Promise<World> {
  const table = new FakeTable();
  const store = new SyncStore(table.asTable(), config.stagingTtlHours);
  const lines: string[] = [];
  const log = createLogger({}, (line) => lines.push(line));
  const app = createSyncApp({ TABLE_NAME: 'unit' }, { config, store, log });
  await store.openRun(RUN, input, []);
  return { table, store, app, lines, snapshots: new SnapshotStore(table.asTable()) };
}

/** Another Lambda container over the same table (a retry lands on a fresh one). */
export function sameTable(w: World): SyncApp {
  return createSyncApp({ TABLE_NAME: 'unit' }, { config: w.app.config, store: w.store, log: w.app.log });
}

/** The snapshot's entries of one entity as [identity, status, extra] tuples, sorted by identity. */
export async function entries(w: World, entity: string, company = CO): Promise<SnapEntry[]> {
  return [...(await w.snapshots.load(company, entity)).snapshot.entries];
}

/** The failure records of the run: [key, bucket, code]. */
export async function failures(w: World): Promise<Array<[string, string, string]>> {
  return (await w.store.getFailures(RUN)).map((f) => [f.key, f.bucket, f.code]);
}

/** Items of a partition whose sort key starts with a prefix. */
export function itemKeys(table: FakeTable, pk: string, prefix = ''): string[] {
  return [...(table.items.get(pk)?.keys() ?? [])].filter((sk) => sk.startsWith(prefix)).sort();
}
