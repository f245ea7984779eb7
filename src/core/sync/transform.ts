import type { SyncApp } from '../app.js';
import { ConfigError } from '../errors.js';
import { externalId, mapRow, type ParentRef, type Rejection, type SourceRow } from '../mapping.js';
import { entry, type SnapEntry } from '../snapshot/entry.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { RecordFailure } from '../store/sync-store.js';
import { dryRunOptions, type ParentState, parentMappings } from './dry-run.js';
import type { PageEvent } from './events.js';
import {
  DUPLICATE_MARK,
  DUPLICATE_SPELLINGS,
  duplicateMessage,
  ROW_HASH,
  ROW_IDENTITY,
  ROW_SF_ID,
} from './marks.js';

export type PageTask = PageEvent;

/** A record staged for Upsert: its source key and identity, content hash, payload and known Salesforce Id. */
export interface OutRecord {
  key: string;
  identity: string;
  hash: string;
  payload: Record<string, unknown>;
  sfId?: string;
}

export interface TransformResult {
  rows: number;
  unchanged: number;
  rejected: number;
  toSend: number;
}

/** What Extract attached to a staged row: its hash, identity and known Salesforce Id (removed from the row). */
function takeMarks(row: SourceRow): { hash: string; identity: string; sfId?: string } {
  const marks = {
    hash: String(row[ROW_HASH] ?? ''),
    identity: String(row[ROW_IDENTITY] ?? ''),
    sfId: row[ROW_SF_ID] as string | undefined,
  };
  delete row[ROW_HASH];
  delete row[ROW_IDENTITY];
  delete row[ROW_SF_ID];
  return marks.sfId ? marks : { hash: marks.hash, identity: marks.identity };
}

/**
 * Maps one staged page of rows (Extract staged only new, changed and retried rows) to Salesforce
 * payloads, rejects rows that cannot be valid or whose parent is not in Salesforce, records the
 * rejections in the snapshot (so an unchanged rejected row is not staged again), and stages the
 * rest for Upsert.
 */
export async function transform(app: SyncApp, task: PageTask): Promise<TransformResult> {
  const { config, store } = app;
  const entity = config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  const rows = await store.getStage<SourceRow>(task.runId, task.company, task.entity, 'IN', task.page);
  const extField = (name: string) => config.entity(name).externalIdField ?? 'Id';

  const failures: RecordFailure[] = [];
  const rejectedEntries: SnapEntry[] = [];
  const reject = (key: string, reasons: Rejection[], marks?: ReturnType<typeof takeMarks>) => {
    if (marks?.identity) {
      const code = reasons[0]?.code ?? 'REJECTED';
      rejectedEntries.push(
        entry({
          identity: marks.identity,
          key,
          hash: marks.hash,
          status: 'rejected',
          code,
          ...(marks.sfId ? { sfId: marks.sfId } : {}),
        }),
      );
    }
    failures.push({
      key: key || '(no key)',
      bucket: 'rejected',
      code: reasons[0]?.code ?? 'REJECTED',
      message: reasons.map((r) => r.message).join('; '),
      fields: reasons.flatMap((r) => (r.field ? [r.field] : [])),
    });
  };

  const candidates: Array<{
    key: string;
    marks: ReturnType<typeof takeMarks>;
    payload: Record<string, unknown>;
    parents: ParentRef[];
  }> = [];
  for (const row of rows) {
    const duplicate = row[DUPLICATE_MARK] === true;
    delete row[DUPLICATE_MARK];
    const marks = takeMarks(row);
    const mapped = mapRow(row, entity, task.company, extField);
    const duplicateText = duplicate ? duplicateMessage(mapped.key, row) : '';
    delete row[DUPLICATE_SPELLINGS];
    if (duplicate) {
      reject(
        mapped.key,
        [{ code: 'DUPLICATE_VALUE', field: entity.key.join(','), message: duplicateText }],
        marks,
      );
      continue;
    }
    if (!mapped.ok) {
      reject(mapped.key, mapped.reasons, marks);
      continue;
    }
    candidates.push({
      key: mapped.key,
      marks,
      payload: mapped.payload,
      parents: mapped.parents,
    });
  }

  const changed = candidates;
  // Parents must have reached Salesforce: a child of an unknown parent would only fail there.
  const parentKeys = new Map<string, Set<string>>();
  for (const c of changed) {
    for (const p of c.parents) {
      const set = parentKeys.get(p.entity) ?? new Set<string>();
      set.add(p.key);
      parentKeys.set(p.entity, set);
    }
  }
  const parents = new Map<string, Map<string, ParentState>>();
  // A dry run counts parents it would create in this run as present, as the real run will.
  const { dryRun } = await dryRunOptions(store, task.runId);
  for (const [name, keys] of parentKeys)
    parents.set(name, await parentMappings(store, task.runId, task.company, name, [...keys], dryRun));

  const out: OutRecord[] = [];
  for (const c of changed) {
    const missing: Rejection[] = [];
    for (const p of c.parents) {
      const m = parents.get(p.entity)?.get(p.key);
      if (!m || (!m.sfId && m.status !== 'synced')) {
        missing.push({
          code: 'INVALID_CROSS_REFERENCE_KEY',
          field: p.field,
          message: `${p.field}: parent ${p.entity} ${externalId(task.company, p.key)} is not in Salesforce (missing from the source, rejected or failed)`,
        });
      } else if (config.entity(p.entity).strategy === 'idMap') {
        delete c.payload[p.relationship];
        c.payload[p.field] = m.sfId;
      }
    }
    if (missing.length > 0) {
      reject(c.key, missing, c.marks);
      continue;
    }
    const { hash, identity, sfId } = c.marks;
    out.push({ key: c.key, identity, hash, payload: c.payload, ...(sfId ? { sfId } : {}) });
  }

  if (out.length > 0) await store.putStage(task.runId, task.company, task.entity, 'OUT', task.page, out);
  if (failures.length > 0) await store.putFailures(task.runId, task.company, task.entity, failures);
  if (rejectedEntries.length > 0 && !dryRun)
    await new SnapshotStore(store.table).append(task.company, task.entity, task.runId, rejectedEntries);
  const result = { rows: rows.length, unchanged: 0, rejected: failures.length, toSend: out.length };
  await store.setPage(task.runId, task.company, task.entity, task.page, { ...result, status: 'transformed' });
  return result;
}
