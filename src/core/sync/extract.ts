import type sql from 'mssql';
import type { SyncApp } from '../app.js';
import type { DatabaseSettings } from '../config/database.js';
import { databaseSettings, type EntityConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../logger.js';
import { describeSource, findColumn, type SourceColumn } from '../source/describe.js';
import { describeTarget, extractQuery } from '../source/query.js';
import { type Row, type StreamStats, streamPages } from '../source/sqlserver.js';
import { keyComparison } from '../values/keys.js';
import { DuplicateMarker, type KeyedRow } from './duplicates.js';
import type { EntityEvent } from './events.js';

export interface ExtractResult {
  rows: number;
  pages: number[];
  skipped: boolean;
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
  task: EntityEvent,
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
  task: EntityEvent,
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

async function skip(app: SyncApp, task: EntityEvent, entity: EntityConfig, parent: string, log: Logger) {
  let rows = 0;
  try {
    rows = await countRows(app, task, entity, `${task.company} ${entity.source.view ?? 'query'}`);
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
    error: `parent entity ${parent} failed`,
  });
  log.warn('entity skipped: its parent failed', { parent, rows });
  return { rows, pages: [], skipped: true };
}

/** Writes marked rows as staged pages of `pageSize`; rewrites earlier pages when a late repeat shows up. */
class PageWriter {
  private pending: KeyedRow[] = [];
  readonly sizes: number[] = [];

  constructor(
    private readonly app: SyncApp,
    private readonly task: EntityEvent,
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
    await this.add(this.marker.flush());
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

/** Streams the company's view into staged pages in DynamoDB and returns the page numbers. */
export async function extract(app: SyncApp, task: EntityEvent): Promise<ExtractResult> {
  const entity = app.entityOf(task);
  const log = app.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  const where = `${task.company} ${entity.source.view ?? 'query'}`;
  const parent = await failedParent(app, task, entity);
  if (parent) return skip(app, task, entity, parent, log);

  let stats: StreamStats | undefined;
  const sizes = await app.pools.withPool(
    task.company,
    () => databaseSettings(app.config, task.company, app.lookup),
    () => app.secrets.refresh(),
    async (pool, settings) => {
      const prepared = await prepare(pool, entity, where);
      const marker = new DuplicateMarker(entity.key, prepared.keyComparison);
      const writer = new PageWriter(app, task, entity.pageSize, marker);
      const options = streamOptions(entity, settings, where);
      for await (const rows of streamPages(pool, prepared.query, options, (s) => (stats = s))) {
        await writer.add(marker.push(rows));
      }
      await writer.finish();
      return writer.sizes;
    },
    log,
  );

  const total = sizes.reduce((a, b) => a + b, 0);
  await app.store.setEntity(task.runId, {
    company: task.company,
    entity: task.entity,
    status: 'extracted',
    extracted: total,
    skipped: 0,
    pages: sizes.length,
    failedPages: 0,
  });
  log.info('extracted', {
    rows: total,
    pages: sizes.length,
    serverPauses: stats?.pauses ?? 0,
    longestServerPauseMs: Math.round((stats?.longestPauseMs ?? 0) * 10) / 10,
    pausedThousands: (stats?.longestPausePer1000Rows ?? []).filter((ms) => ms !== undefined).length,
  });
  return { rows: total, pages: sizes.map((_, i) => i + 1), skipped: false };
}
