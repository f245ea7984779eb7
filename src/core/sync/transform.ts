import type { SyncApp } from '../app.js';
import { contentHash } from '../hash.js';
import { externalId, mapRow, type ParentRef, type Rejection, type SourceRow } from '../mapping.js';
import type { RecordFailure } from '../store/sync-store.js';
import { dryRunOptions, parentMappings } from './dry-run.js';
import type { PageEvent } from './events.js';
import { DUPLICATE_MARK, DUPLICATE_SPELLINGS, duplicateMessage } from './marks.js';

/** A record staged for Upsert: its source key, content hash, payload and known Salesforce Id. */
export interface OutRecord {
  key: string;
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

/**
 * Maps one staged page of rows to Salesforce payloads, rejects rows that cannot be valid,
 * drops rows whose content hash matches the last successful sync (delta mode), and stages
 * the rest for Upsert.
 */
export async function transform(app: SyncApp, task: PageEvent): Promise<TransformResult> {
  const { config, store } = app;
  const entity = app.entityOf(task);
  const rows = await store.getStage<SourceRow>(task.runId, task.company, task.entity, 'IN', task.page);
  const extField = (name: string) => config.entity(name).externalIdField ?? 'Id';

  const failures: RecordFailure[] = [];
  const reject = (key: string, reasons: Rejection[]) => {
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
    hash: string;
    payload: Record<string, unknown>;
    parents: ParentRef[];
  }> = [];
  for (const row of rows) {
    const duplicate = row[DUPLICATE_MARK] === true;
    delete row[DUPLICATE_MARK];
    const mapped = mapRow(row, entity, task.company, extField);
    const duplicateText = duplicate ? duplicateMessage(mapped.key, row) : '';
    delete row[DUPLICATE_SPELLINGS];
    if (duplicate) {
      reject(mapped.key, [{ code: 'DUPLICATE_VALUE', field: entity.key.join(','), message: duplicateText }]);
      continue;
    }
    if (!mapped.ok) {
      reject(mapped.key, mapped.reasons);
      continue;
    }
    candidates.push({
      key: mapped.key,
      hash: contentHash(mapped.payload),
      payload: mapped.payload,
      parents: mapped.parents,
    });
  }

  const known = await store.getMappings(
    task.company,
    task.entity,
    candidates.map((c) => c.key),
  );
  let unchanged = 0;
  const changed: typeof candidates = [];
  for (const c of candidates) {
    const m = known.get(c.key);
    if (task.mode === 'delta' && m && m.status === 'synced' && m.hash === c.hash) unchanged += 1;
    else changed.push(c);
  }

  // Parents must have reached Salesforce: a child of an unknown parent would only fail there.
  const parentKeys = new Map<string, Set<string>>();
  for (const c of changed) {
    for (const p of c.parents) {
      const set = parentKeys.get(p.entity) ?? new Set<string>();
      set.add(p.key);
      parentKeys.set(p.entity, set);
    }
  }
  const parents = new Map<string, Map<string, { sfId?: string; status: string }>>();
  // A dry run counts parents it would create in this run as present, as the real run will.
  const { dryRun } = parentKeys.size > 0 ? await dryRunOptions(store, task.runId) : { dryRun: false };
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
      reject(c.key, missing);
      continue;
    }
    const sfId = known.get(c.key)?.sfId;
    out.push({ key: c.key, hash: c.hash, payload: c.payload, ...(sfId ? { sfId } : {}) });
  }

  if (out.length > 0) await store.putStage(task.runId, task.company, task.entity, 'OUT', task.page, out);
  if (failures.length > 0) await store.putFailures(task.runId, task.company, task.entity, failures);
  const result = { rows: rows.length, unchanged, rejected: failures.length, toSend: out.length };
  await store.setPage(task.runId, task.company, task.entity, task.page, { ...result, status: 'transformed' });
  return result;
}
