import type sql from 'mssql';
import type { SyncApp } from '../app.js';
import type { DatabaseSettings } from '../config/database.js';
import { databaseSettings, type EntityConfig } from '../config/load.js';
import { ConfigError, DeletionGuardError } from '../errors.js';
import { contentHash, rowHash } from '../hash.js';
import type { Logger } from '../logger.js';
import { mapRow } from '../mapping.js';
import { decide, deletionGuardProblem, type OnDelete, planDeletions } from '../snapshot/diff.js';
import { entry, keyOf, type SnapEntry } from '../snapshot/entry.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import { type LoadedSnapshot, SnapshotStore } from '../snapshot/store.js';
import { describeSource, findColumn, type SourceColumn } from '../source/describe.js';
import { describeTarget, extractQuery } from '../source/query.js';
import { type Row, type StreamStats, streamPages } from '../source/sqlserver.js';
import type { RecordFailure } from '../store/sync-store.js';
import { type KeyComparison, keyComparison } from '../values/keys.js';
import { dryRunOptions } from './dry-run.js';
import { DuplicateMarker, type KeyedRow } from './duplicates.js';
import type { EntityEvent } from './events.js';
import {
  DUPLICATE_MARK,
  DUPLICATE_SPELLINGS,
  duplicateMessage,
  MARK_PREFIX,
  ROW_HASH,
  ROW_IDENTITY,
  ROW_SF_ID,
} from './marks.js';
import { leaseMs, runOptions } from './run-options.js';

/** The entity step's event (as Extract, Upsert and Remove receive it). */
export type EntityTask = EntityEvent;

export interface ExtractResult {
  rows: number;
  /** The staged pages of rows to send (new, changed, retried): empty when nothing changed. */
  pages: number[];
  skipped: boolean;
  /** Keys that left the view and are staged for the Remove step. */
  toRemove: number;
  /** Rows staged for Transform (before its rejections). */
  staged: number;
  /** More staged than the entity's bulkThreshold: the state machine takes the Bulk API 2.0 path. */
  bulk: boolean;
}

/** A row's columns, marks left out, sorted: the order the row hash reads values in. */
export const hashedColumns = (row: Row): string[] =>
  Object.keys(row)
    .filter((c) => !c.startsWith(MARK_PREFIX))
    .sort();

/** The content hash Extract gives a row of the view under a mapping version. */
export const hashOfRow = (version: string, row: Row): string => rowHash(version, row, hashedColumns(row));

/**
 * The entity's mapping version: what its payloads are built from besides the row. A change
 * (a field added, a lookup, another object) changes every row's hash, so every row is resent.
 */
export function mappingVersion(entity: EntityConfig): string {
  const { object, externalIdField, strategy, key, fields } = entity;
  return contentHash({ object, externalIdField, strategy, key, fields });
}

/** The source columns the entity's config names: key and every mapped `from`. */
function configuredColumns(entity: EntityConfig): string[] {
  const names = new Set(entity.key);
  for (const m of Object.values(entity.fields)) {
    if (m.from === undefined) continue;
    for (const c of Array.isArray(m.from) ? m.from : [m.from]) names.add(c);
  }
  return [...names];
}

const BINARY_TYPES = new Set(['binary', 'varbinary', 'image', 'timestamp', 'rowversion']);

/** Config that cannot work with the columns the source really has: a permanent error before any row moves. */
function checkAgainstSource(entity: EntityConfig, columns: readonly SourceColumn[], where: string): void {
  const problems: string[] = [];
  for (const k of entity.key) {
    if (!findColumn(columns, k)) problems.push(`key column "${k}" is not in the source`);
  }
  for (const [field, m] of Object.entries(entity.fields)) {
    if (m.from === undefined) continue;
    for (const name of Array.isArray(m.from) ? m.from : [m.from]) {
      const c = findColumn(columns, name);
      if (!c) problems.push(`fields.${field}: column "${name}" is not in the source`);
      else if (!m.ref && BINARY_TYPES.has(c.type) && (m.type !== 'string' || m.encoding === undefined)) {
        problems.push(
          `fields.${field}: column "${c.name}" is ${c.type}; map it as "type": "string" with "encoding": "base64" or "hex"`,
        );
      }
    }
  }
  if (problems.length > 0) {
    throw new ConfigError(
      `${where}: the entity's config does not fit the source (columns: ${columns.map((c) => c.name).join(', ')}):\n  ${problems.join('\n  ')}`,
    );
  }
}

interface PreparedQuery {
  query: string;
  keyComparison: ReturnType<typeof keyComparison>;
}

/** Describes the view or query and builds the ordered, exact-typed query the extract streams. */
async function prepare(
  pool: sql.ConnectionPool,
  entity: EntityConfig,
  where: string,
): Promise<PreparedQuery> {
  const target = describeTarget(entity.source);
  const columns = await describeSource(pool, target.statement, target.from, where);
  checkAgainstSource(entity, columns, where);
  const keys = entity.key
    .map((k) => findColumn(columns, k))
    .filter((c): c is SourceColumn => c !== undefined);
  const accentInsensitive = keys.some((c) => c.accentInsensitive);
  return {
    query: extractQuery(entity.source, columns, entity.key, configuredColumns(entity)),
    keyComparison: keyComparison(keys[0]?.collation, accentInsensitive),
  };
}

/** Parents that failed or were skipped in this run make their children skip. */
async function failedParent(
  app: SyncApp,
  task: EntityTask,
  entity: EntityConfig,
): Promise<string | undefined> {
  if (entity.dependsOn.length === 0) return undefined;
  const records = await app.store.getEntities(task.runId, task.company);
  for (const parent of entity.dependsOn) {
    const r = records.find((x) => x.entity === parent);
    if (r && (r.status === 'failed' || r.status === 'skipped' || r.failedPages > 0)) return parent;
  }
  return undefined;
}

function streamOptions(entity: EntityConfig, settings: DatabaseSettings, where: string) {
  return {
    pageSize: entity.pageSize,
    where,
    timeZone: settings.timeZone,
    idleRowTimeoutMs: settings.idleRowTimeoutMs,
    readAheadPages: settings.readAheadPages,
  };
}

/** Counts the rows of an entity that is skipped (its parent failed), for the report. */
async function countRows(
  app: SyncApp,
  task: EntityTask,
  entity: EntityConfig,
  where: string,
): Promise<number> {
  return app.pools.withPool(
    task.company,
    () => databaseSettings(app.config, task.company, app.lookup),
    () => app.secrets.refresh(),
    async (pool, settings) => {
      const prepared = await prepare(pool, entity, where);
      let rows = 0;
      for await (const page of streamPages(pool, prepared.query, streamOptions(entity, settings, where))) {
        rows += page.length;
      }
      return rows;
    },
  );
}

async function skip(
  app: SyncApp,
  task: EntityTask,
  entity: EntityConfig,
  reason: string,
  log: Logger,
  count = true,
): Promise<ExtractResult> {
  let rows = 0;
  try {
    if (count) rows = await countRows(app, task, entity, `${task.company} ${entity.source.view ?? 'query'}`);
  } catch (error) {
    log.warn('could not count the rows of a skipped entity', { error: (error as Error).message });
  }
  await app.store.setEntity(task.runId, {
    company: task.company,
    entity: task.entity,
    status: 'skipped',
    extracted: rows,
    skipped: rows,
    pages: 0,
    failedPages: 0,
    error: reason,
  });
  log.warn('entity skipped', { reason, rows });
  return { rows, pages: [], skipped: true, toRemove: 0, staged: 0, bulk: false };
}

/** Writes marked rows as staged pages of `pageSize`; rewrites earlier pages when a late repeat shows up. */
class PageWriter {
  private pending: KeyedRow[] = [];
  readonly sizes: number[] = [];

  constructor(
    private readonly app: SyncApp,
    private readonly task: EntityTask,
    private readonly pageSize: number,
    private readonly marker: DuplicateMarker,
  ) {}

  async add(rows: KeyedRow[]): Promise<void> {
    this.pending.push(...rows);
    while (this.pending.length >= this.pageSize) {
      await this.write(this.pending.slice(0, this.pageSize));
      this.pending = this.pending.slice(this.pageSize);
    }
  }

  async finish(): Promise<void> {
    if (this.pending.length > 0) await this.write(this.pending);
    this.pending = [];
    const { runId, company, entity } = this.task;
    for (const [page, identities] of this.marker.latePages()) {
      const rows = await this.app.store.getStage<Row>(runId, company, entity, 'IN', page);
      this.marker.markLate(rows, identities);
      await this.app.store.putStage(runId, company, entity, 'IN', page, rows);
    }
  }

  private async write(rows: KeyedRow[]): Promise<void> {
    const page = this.sizes.length + 1;
    const { runId, company, entity } = this.task;
    await this.app.store.putStage(
      runId,
      company,
      entity,
      'IN',
      page,
      rows.map((r) => r.row),
    );
    await this.app.store.setPage(runId, company, entity, page, { rows: rows.length });
    this.marker.written(rows, page);
    this.sizes.push(rows.length);
  }
}

/** What the diff of one entity found: staged pages and the rows it did not stage. */
interface DiffOutcome {
  sizes: number[];
  rows: number;
  unchanged: number;
  /** Rows rejected before and unchanged since: counted rejected again, with their earlier code. */
  rejectedBefore: SnapEntry[];
  /** Unchanged rows whose key turned out repeated far down the view: rejected, not staged. */
  lateRejected: number;
}

/**
 * Streams the view and compares each row with the snapshot as it goes: rows whose hash (row and
 * mapping version) matches what Salesforce acknowledged are counted, the rest staged for
 * Transform with their hash, identity and known Salesforce Id. Every key seen is marked in the
 * snapshot, so what is left unmarked afterwards is what left the view.
 */
class Differ {
  readonly outcome: DiffOutcome = { sizes: [], rows: 0, unchanged: 0, rejectedBefore: [], lateRejected: 0 };
  private readonly version: string;
  /** The view's columns, sorted: the order the row hash reads values in. */
  private columns: string[] | undefined;
  /** Rows rejected before for a missing parent, unchanged: staged once their parent is in Salesforce. */
  private readonly orphans: Array<{ kr: KeyedRow; hash: string; entry: SnapEntry }> = [];
  /** Rows of keys rejected before as repeated, not repeated so far: decided once the view is read. */
  private readonly wereDuplicates: Array<{ kr: KeyedRow; hash: string; entry: SnapEntry }> = [];

  constructor(
    private readonly app: SyncApp,
    private readonly task: EntityTask,
    private readonly entity: EntityConfig,
    private readonly snapshot: Snapshot,
    private readonly marker: DuplicateMarker,
    private readonly writer: PageWriter,
  ) {
    this.version = mappingVersion(entity);
  }

  async push(released: KeyedRow[]): Promise<void> {
    const staged: KeyedRow[] = [];
    const unstaged: KeyedRow[] = [];
    for (const kr of released) {
      this.outcome.rows += 1;
      if (kr.identity === undefined) {
        staged.push(kr); // no key: Transform rejects it with the reason
        continue;
      }
      // One query: every row has the view's columns (sorted once, not per row).
      this.columns ??= hashedColumns(kr.row);
      const hash = rowHash(this.version, kr.row, this.columns);
      const known = this.snapshot.see(kr.identity);
      const duplicate = kr.row[DUPLICATE_MARK] === true;
      const decision = decide(known, { identity: kr.identity, hash, duplicate }, this.task.mode);
      if (decision.stage === 'if-parents') {
        this.orphans.push({ kr, hash, entry: decision.entry });
      } else if (decision.stage === 'if-unique') {
        this.wereDuplicates.push({ kr, hash, entry: decision.entry });
      } else if (decision.stage) {
        staged.push(marked(kr, hash, known));
      } else {
        if (decision.reason === 'unchanged') this.outcome.unchanged += 1;
        else this.outcome.rejectedBefore.push(decision.entry);
        unstaged.push(kr);
      }
    }
    this.marker.written(unstaged, -1);
    await this.writer.add(staged);
  }

  /**
   * Children rejected before because a parent was not in Salesforce: staged again when every
   * parent they name is there now (the parents' snapshots say so), else rejected again unsent.
   */
  async resolveHeld(): Promise<void> {
    // Still repeated somewhere in the view: rejected again, unsent; else sent at last.
    const unique = this.wereDuplicates.filter((d) => !this.marker.collisions.has(d.kr.identity as string));
    for (const d of this.wereDuplicates) if (!unique.includes(d)) this.outcome.rejectedBefore.push(d.entry);
    await this.writer.add(unique.map((d) => marked(d.kr, d.hash, d.entry)));
    await this.resolveOrphans();
  }

  private async resolveOrphans(): Promise<void> {
    if (this.orphans.length === 0) return;
    const { config } = this.app;
    const extField = (name: string) => config.entity(name).externalIdField ?? 'Id';
    const parentsOf = this.orphans.map((o) =>
      mapRow({ ...o.kr.row }, this.entity, this.task.company, extField),
    );
    const wanted = new Map<string, Set<string>>();
    for (const m of parentsOf)
      for (const p of m.ok ? m.parents : [])
        wanted.set(p.entity, (wanted.get(p.entity) ?? new Set()).add(p.key));
    const snapshots = new SnapshotStore(this.app.store.table);
    const found = new Map<string, Map<string, SnapEntry>>();
    for (const [name, keys] of wanted)
      found.set(name, await snapshots.lookupKeys(this.task.company, name, [...keys]));
    const inSalesforce = (e: SnapEntry | undefined) =>
      e !== undefined && e.status !== 'deleted' && (e.status === 'synced' || e.sfId !== undefined);
    const staged: KeyedRow[] = [];
    this.orphans.forEach((o, n) => {
      const m = parentsOf[n];
      const ready = !m?.ok || m.parents.every((p) => inSalesforce(found.get(p.entity)?.get(p.key)));
      if (ready) staged.push(marked(o.kr, o.hash, o.entry));
      else this.outcome.rejectedBefore.push(o.entry);
    });
    await this.writer.add(staged);
  }

  /**
   * A key that repeats far from its first row (SQL Server orders the spellings apart) whose first
   * row was unchanged and not staged: that row is rejected too, as every row of a colliding key.
   */
  lateUnstaged(): RecordFailure[] {
    const failures: RecordFailure[] = [];
    for (const [identity, spellings] of this.marker.unstagedCollisions()) {
      const e = this.snapshot.get(identity);
      // Only a first row counted unchanged moves: rows still duplicated were counted rejected already.
      if (e?.status !== 'synced') continue;
      this.outcome.unchanged -= 1;
      this.outcome.lateRejected += 1;
      failures.push({
        key: keyOf(e),
        bucket: 'rejected',
        code: 'DUPLICATE_VALUE',
        message: duplicateMessage(keyOf(e), { [DUPLICATE_SPELLINGS]: [...spellings] }),
      });
    }
    return failures;
  }
}

/** A row to stage, with what Transform and Upsert need from the diff. */
function marked(kr: KeyedRow, hash: string, known: SnapEntry | undefined): KeyedRow {
  kr.row[ROW_HASH] = hash;
  kr.row[ROW_IDENTITY] = kr.identity;
  if (known?.sfId) kr.row[ROW_SF_ID] = known.sfId;
  return kr;
}

/** The lease of one run on one entity: a crashed run's lease runs out before the next day's run. */
async function takeLease(app: SyncApp, task: EntityTask, log: Logger): Promise<string | undefined> {
  const lease = await new SnapshotStore(app.store.table).lease(
    task.company,
    task.entity,
    task.runId,
    leaseMs(),
  );
  if (lease.ok) return undefined;
  const until = new Date(lease.until).toISOString();
  log.warn('entity skipped: another run is syncing it', { holder: lease.holder, until });
  return `another run (${lease.holder}) is syncing ${task.company}/${task.entity} (its lease runs until ${until}); skipped, nothing read or sent`;
}

/** The snapshot with any journal a crashed run left merged into its base. */
async function currentSnapshot(
  app: SyncApp,
  task: EntityTask,
  how: KeyComparison,
  dryRun: boolean,
): Promise<LoadedSnapshot> {
  const snapshots = new SnapshotStore(app.store.table);
  const loaded = await snapshots.load(task.company, task.entity);
  const sameKeys = JSON.stringify(loaded.head?.keys) === JSON.stringify(how);
  if ((loaded.journal.length > 0 || !sameKeys) && !dryRun) {
    const head = await snapshots.compact(task.company, task.entity, loaded, loaded.snapshot, how);
    return { ...loaded, head, journal: [] };
  }
  return loaded;
}

/** The view as Extract reads it: how its keys compare (the key columns' collation) and its rows, a page at a time, ordered by key. */
export interface ViewRows {
  keys: KeyComparison;
  pages: AsyncIterable<Row[]>;
  /** How long the server was kept waiting (known once the pages are read). */
  stats?: () => StreamStats | undefined;
}

/**
 * Where Extract reads the view from: `read` runs while the view is open (in production inside
 * the company's SQL Server pool, streaming the ordered query; a unit test hands pages of rows).
 */
export type ViewSource = <T>(read: (view: ViewRows) => Promise<T>) => Promise<T>;

/** The company's view through its SQL Server pool: described, checked against the config, streamed by key. */
function sqlServerView(app: SyncApp, task: EntityTask, entity: EntityConfig, log: Logger): ViewSource {
  const where = `${task.company} ${entity.source.view ?? 'query'}`;
  return (read) =>
    app.pools.withPool(
      task.company,
      () => databaseSettings(app.config, task.company, app.lookup),
      () => app.secrets.refresh(),
      async (pool, settings) => {
        const prepared = await prepare(pool, entity, where);
        let stats: StreamStats | undefined;
        const options = streamOptions(entity, settings, where);
        const pages = streamPages(pool, prepared.query, options, (s) => (stats = s));
        return read({ keys: prepared.keyComparison, pages, stats: () => stats });
      },
      log,
    );
}

/** Streams the company's view, diffs it with the snapshot and stages only what must travel. */
export async function extract(app: SyncApp, task: EntityTask): Promise<ExtractResult> {
  const entity = app.entityOf(task);
  const log = app.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  const parent = await failedParent(app, task, entity);
  if (parent) return skip(app, task, entity, `parent entity ${parent} failed`, log);
  const busy = await takeLease(app, task, log);
  if (busy) return skip(app, task, entity, busy, log, false);
  const { dryRun } = await dryRunOptions(app.store, task.runId);
  return diffView(app, task, sqlServerView(app, task, entity, log), dryRun);
}

/**
 * Extract's core, past the lease: reads the view from `source`, diffs it with the snapshot as it
 * goes, stages the rows to send as IN pages and the keys that left the view as DEL pages (behind
 * the guard), records the entity. Streams: memory holds a few pages and the snapshot.
 */
export async function diffView(
  app: SyncApp,
  task: EntityTask,
  source: ViewSource,
  dryRun: boolean,
): Promise<ExtractResult> {
  const entity = app.entityOf(task);
  const log = app.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  let stats: StreamStats | undefined;
  let snapshot: Snapshot | undefined;
  const diff = await source(async (view) => {
    const loaded = await currentSnapshot(app, task, view.keys, dryRun);
    snapshot = loaded.snapshot;
    const marker = new DuplicateMarker(entity.key, view.keys);
    const writer = new PageWriter(app, task, entity.pageSize, marker);
    const differ = new Differ(app, task, entity, loaded.snapshot, marker, writer);
    for await (const rows of view.pages) await differ.push(marker.push(rows));
    stats = view.stats?.();
    await differ.push(marker.flush());
    await differ.resolveHeld();
    await writer.finish();
    differ.outcome.sizes = writer.sizes;
    const late = differ.lateUnstaged();
    if (late.length > 0) await app.store.putFailures(task.runId, task.company, task.entity, late);
    return differ.outcome;
  });
  const { toRemove, guard } = await stageRemovals(app, task, entity, snapshot as Snapshot, diff.rows, dryRun);
  if (guard) log.warn('removals refused by the mass-deletion guard', { error: guard });
  await recordRejectedBefore(app, task, diff.rejectedBefore);

  await app.store.setEntity(task.runId, {
    company: task.company,
    entity: task.entity,
    status: 'extracted',
    extracted: diff.rows,
    skipped: 0,
    pages: diff.sizes.length,
    failedPages: 0,
    unchanged: diff.unchanged,
    rejectedBefore: diff.rejectedBefore.length + diff.lateRejected,
    toRemove,
    // The guard fails the entity but not its changes: they are sent, and children go on.
    ...(guard ? { error: guard } : {}),
  });
  const staged = diff.sizes.reduce((a, b) => a + b, 0);
  log.info('extracted', {
    rows: diff.rows,
    staged,
    unchanged: diff.unchanged,
    rejectedBefore: diff.rejectedBefore.length,
    toRemove,
    pages: diff.sizes.length,
    serverPauses: stats?.pauses ?? 0,
    longestServerPauseMs: Math.round((stats?.longestPauseMs ?? 0) * 10) / 10,
  });
  const bulk = entity.bulkThreshold > 0 && staged > entity.bulkThreshold;
  return { rows: diff.rows, pages: diff.sizes.map((_, i) => i + 1), skipped: false, toRemove, staged, bulk };
}

/** Removal work items, staged for the Remove step: what it needs to delete or deactivate by Id. */
export interface RemoveRecord {
  identity: string;
  key: string;
  sfId: string;
  hash: string;
}

/** Pages of removals: the Remove step reads them a page at a time. */
export const REMOVE_PAGE = 10_000;

/**
 * Keys that left the view: those never in Salesforce are forgotten; those in Salesforce are
 * staged for the Remove step, unless the guard refuses: then nothing is removed or forgotten, and
 * the entity will be reported failed with DeletionGuardError naming the numbers (its changes are
 * still sent, and its children go on: refusing removals is no reason to hold back updates).
 */
async function stageRemovals(
  app: SyncApp,
  task: EntityTask,
  entity: EntityConfig,
  snapshot: Snapshot,
  viewRows: number,
  dryRun: boolean,
): Promise<{ toRemove: number; guard?: string }> {
  const plan = planDeletions(snapshot, entity.onDelete as OnDelete);
  if (plan.toRemove.length === 0 && plan.toForget.length === 0) return { toRemove: 0 };
  const problem = deletionGuardProblem({
    toRemove: plan.toRemove.length,
    inSalesforce: plan.inSalesforce,
    viewRows,
    maxDeletePercent: entity.maxDeletePercent,
    allowMassDelete: (await runOptions(app.store, task.runId)).allowMassDelete(task.company, task.entity),
  });
  if (problem) {
    const error = new DeletionGuardError(
      `${task.company}/${task.entity}: ${problem}. To confirm, run again with {"allowMassDelete": true} (or {"allowMassDelete": ["${task.entity}"]}) in the execution input.`,
    );
    return { toRemove: 0, guard: `${error.name}: ${error.message}` };
  }
  if (!dryRun && plan.toForget.length > 0) {
    const forgotten = plan.toForget.map((e) => entry({ ...e, status: 'deleted', sfId: undefined, hash: '' }));
    await new SnapshotStore(app.store.table).append(task.company, task.entity, task.runId, forgotten);
  }
  const records: RemoveRecord[] = plan.toRemove.map((e) => ({
    identity: e.identity,
    key: keyOf(e),
    sfId: e.sfId as string,
    hash: e.hash,
  }));
  for (let i = 0; i < records.length; i += REMOVE_PAGE) {
    const page = i / REMOVE_PAGE + 1;
    await app.store.putStage(
      task.runId,
      task.company,
      task.entity,
      'DEL',
      page,
      records.slice(i, i + REMOVE_PAGE),
    );
  }
  return { toRemove: records.length };
}

/** Rows rejected in an earlier run and unchanged since are rejected again, with the same code. */
async function recordRejectedBefore(app: SyncApp, task: EntityTask, entries: SnapEntry[]): Promise<void> {
  if (entries.length === 0) return;
  await app.store.putFailures(
    task.runId,
    task.company,
    task.entity,
    entries.map((e) => ({
      key: keyOf(e),
      bucket: 'rejected',
      code: e.code ?? 'REJECTED',
      message: `rejected in an earlier run (${e.code ?? 'REJECTED'}) and unchanged since: not sent again until the row changes in the ERP`,
    })),
  );
}
