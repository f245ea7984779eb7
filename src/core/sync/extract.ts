import { databaseSettings, type EntityConfig } from '../config/load.js';
import { ConfigError } from '../errors.js';
import { sourceKey } from '../mapping.js';
import { getPool, quoteName, type Row, streamPages } from '../source/sqlserver.js';
import type { SyncContext } from './context.js';
import { DUPLICATE_MARK } from './marks.js';

export interface EntityTask {
  runId: string;
  company: string;
  entity: string;
  mode: 'delta' | 'full';
}

export interface ExtractResult {
  rows: number;
  pages: number[];
  skipped: boolean;
}

export function sourceQuery(entity: EntityConfig): string {
  if (entity.source.query) return entity.source.query;
  const order = entity.key.map(quoteName).join(', ');
  return `SELECT * FROM ${quoteName(entity.source.view ?? '')} ORDER BY ${order}`;
}

/**
 * Marks rows whose key repeats. The query orders by key, so repeats are neighbours: the last
 * row of a page is held back until the next row shows whether it repeats too.
 */
class DuplicateMarker {
  private held: Row | undefined;
  private heldKey: string | undefined;
  private heldDuplicate = false;

  constructor(private readonly keyColumns: string[]) {}

  push(rows: Row[]): Row[] {
    const out: Row[] = [];
    for (const row of rows) {
      const key = sourceKey(row, this.keyColumns);
      if (this.held) {
        const repeat = key !== undefined && key === this.heldKey;
        if (repeat) {
          this.heldDuplicate = true;
          row[DUPLICATE_MARK] = true;
        }
        if (this.heldDuplicate) this.held[DUPLICATE_MARK] = true;
        out.push(this.held);
        this.heldDuplicate = repeat;
      }
      this.held = row;
      this.heldKey = key;
    }
    return out;
  }

  flush(): Row[] {
    const last = this.held;
    this.held = undefined;
    if (last && this.heldDuplicate) last[DUPLICATE_MARK] = true;
    return last ? [last] : [];
  }
}

/** Parents that failed or were skipped in this run make their children skip. */
async function failedParent(
  ctx: SyncContext,
  task: EntityTask,
  entity: EntityConfig,
): Promise<string | undefined> {
  if (entity.dependsOn.length === 0) return undefined;
  const records = await ctx.store.getEntities(task.runId, task.company);
  for (const parent of entity.dependsOn) {
    const r = records.find((x) => x.entity === parent);
    if (r && (r.status === 'failed' || r.status === 'skipped' || r.failedPages > 0)) return parent;
  }
  return undefined;
}

/** Streams the company's view into staged pages in DynamoDB and returns the page numbers. */
export async function extract(ctx: SyncContext, task: EntityTask): Promise<ExtractResult> {
  const entity = ctx.config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  const log = ctx.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  const settings = databaseSettings(ctx.config, task.company);
  const where = `${task.company} ${entity.source.view ?? 'query'}`;

  const parent = await failedParent(ctx, task, entity);
  if (parent) {
    let rows = 0;
    try {
      const pool = await getPool(task.company, settings);
      for await (const page of streamPages(pool, sourceQuery(entity), entity.pageSize, where))
        rows += page.length;
    } catch (error) {
      log.warn('could not count the rows of a skipped entity', { error: (error as Error).message });
    }
    await ctx.store.setEntity(task.runId, {
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

  const pool = await getPool(task.company, settings);
  const marker = new DuplicateMarker(entity.key);
  const sizes: number[] = [];
  let pending: Row[] = [];
  const flush = async (rows: Row[]) => {
    const page = sizes.length + 1;
    await ctx.store.putStage(task.runId, task.company, task.entity, 'IN', page, rows);
    await ctx.store.setPage(task.runId, task.company, task.entity, page, { rows: rows.length });
    sizes.push(rows.length);
  };
  for await (const rows of streamPages(pool, sourceQuery(entity), entity.pageSize, where)) {
    pending.push(...marker.push(rows));
    while (pending.length >= entity.pageSize) {
      await flush(pending.slice(0, entity.pageSize));
      pending = pending.slice(entity.pageSize);
    }
  }
  pending.push(...marker.flush());
  if (pending.length > 0) await flush(pending);

  const total = sizes.reduce((a, b) => a + b, 0);
  await ctx.store.setEntity(task.runId, {
    company: task.company,
    entity: task.entity,
    status: 'extracted',
    extracted: total,
    skipped: 0,
    pages: sizes.length,
    failedPages: 0,
  });
  log.info('extracted', { rows: total, pages: sizes.length });
  return { rows: total, pages: sizes.map((_, i) => i + 1), skipped: false };
}
