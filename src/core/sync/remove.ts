import type { SyncApp } from '../app.js';
import { chunk } from '../batching.js';
import type { EntityConfig } from '../config/load.js';
import { SalesforceRateLimitError, SalesforceUnavailableError } from '../errors.js';
import { type RecordResult, retryAfterSeconds, type SalesforceClient } from '../salesforce/client.js';
import type { OnDelete } from '../snapshot/diff.js';
import { entry, type SnapEntry } from '../snapshot/entry.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { RecordFailure } from '../store/sync-store.js';
import { dryRunOptions } from './dry-run.js';
import { type EntityTask, REMOVE_PAGE, type RemoveRecord } from './extract.js';
import {
  DEFAULT_RESERVE_MS,
  roundWait,
  TRANSIENT_RECORD_ERRORS,
  UNAVAILABLE_STREAK_LIMIT,
  type UpsertOptions,
  type UpsertResult,
} from './upsert.js';

/** Per-record answers that mean the record is already gone: removal acknowledged. */
const ALREADY_GONE = new Set(['ENTITY_IS_DELETED']);

type Outcome = '.' | 'd' | 'f';

interface Work {
  page: number;
  records: RemoveRecord[];
  outcomes: Outcome[];
}

export interface RemoveResult extends UpsertResult {
  removed: number;
}

/**
 * Removes from Salesforce the records whose keys left the view (staged by Extract after the
 * guard): `onDelete: "delete"` deletes them by Id through sObject Collections (200 a request),
 * `{"deactivate": {...}}` updates that one field. Runs after every wave of the company, in reverse
 * wave order (children before parents). Each acknowledged removal is written to the snapshot at
 * once and progress saved per request, so a retry or a later round sends only what is pending;
 * rounds and waits as Upsert's.
 */
export async function remove(
  app: SyncApp,
  task: EntityTask,
  options: UpsertOptions = {},
): Promise<RemoveResult> {
  const entity = app.entityOf(task);
  const none = {
    done: true,
    sent: 0,
    requests: 0,
    created: 0,
    updated: 0,
    failed: 0,
    progress: 0,
    waitSeconds: 0,
    removed: 0,
  };
  const record = await app.store.getEntity(task.runId, task.company, task.entity);
  const toRemove = record?.status === 'extracted' ? (record.toRemove ?? 0) : 0;
  if (toRemove === 0) return none;
  const pages = Math.ceil(toRemove / REMOVE_PAGE);
  if ((await dryRunOptions(app.store, task.runId)).dryRun) {
    await app.store.addRemoved(task.runId, task.company, task.entity, toRemove - (record?.removed ?? 0), 0);
    return { ...none, removed: toRemove };
  }
  const sf = options.client ?? (await app.salesforceClient(entity.maxInFlight));
  const tally = { sent: 0, requests: 0, removed: 0, failed: 0, pending: 0, retryAfter: 0, streak: 0 };
  for (let page = 1; page <= pages; page += 1) {
    const work = await loadWork(app, task, page);
    const pending = work.records.map((_, i) => i).filter((i) => work.outcomes[i] === '.');
    const batches = chunk(pending, entity.batchSize);
    const worker = async () => {
      for (let batch = batches.shift(); batch; batch = batches.shift()) {
        if (
          tally.streak >= UNAVAILABLE_STREAK_LIMIT ||
          (options.remainingMs?.() ?? Number.POSITIVE_INFINITY) < (options.reserveMs ?? DEFAULT_RESERVE_MS)
        ) {
          tally.pending += batch.length;
          continue;
        }
        await sendRemoval(app, task, entity, sf, work, batch, tally);
      }
    };
    await Promise.all(Array.from({ length: entity.maxInFlight }, worker));
  }
  const done = tally.pending === 0;
  if (!done && tally.removed + tally.failed === 0)
    throw new SalesforceUnavailableError(
      `${tally.pending} removal(s) were refused for now; the step is retried for them`,
    );
  app.log.child({ runId: task.runId, company: task.company, entity: task.entity }).info('removed', {
    removed: tally.removed,
    failed: tally.failed,
    pending: tally.pending,
    requests: tally.requests,
  });
  return {
    ...none,
    done,
    sent: tally.sent,
    requests: tally.requests,
    failed: tally.failed,
    removed: tally.removed,
    progress: tally.removed + tally.failed,
    waitSeconds: done ? 0 : roundWait(tally, options.random ?? Math.random),
  };
}

async function loadWork(app: SyncApp, task: EntityTask, page: number): Promise<Work> {
  const records = await app.store.getStage<RemoveRecord>(task.runId, task.company, task.entity, 'DEL', page);
  const saved = await app.store.getProgress(task.runId, task.company, task.entity, page, 'DEL');
  const outcomes = (saved && saved.length === records.length ? saved : '.'.repeat(records.length)).split(
    '',
  ) as Outcome[];
  return { page, records, outcomes };
}

type Tally = {
  sent: number;
  requests: number;
  removed: number;
  failed: number;
  pending: number;
  retryAfter: number;
  streak: number;
};

/** One request: delete by Id, or update the deactivation field; answers recorded before it returns. */
async function sendRemoval(
  app: SyncApp,
  task: EntityTask,
  entity: EntityConfig,
  sf: SalesforceClient,
  work: Work,
  batch: number[],
  tally: Tally,
): Promise<void> {
  const records = batch.map((i) => work.records[i] as RemoveRecord);
  const onDelete = entity.onDelete as OnDelete;
  let results: RecordResult[];
  tally.requests += 1;
  try {
    results =
      onDelete === 'delete'
        ? await sf.deleteCollection(records.map((r) => r.sfId))
        : await sf.saveCollection(
            entity.object,
            records.map((r) => ({
              id: r.sfId,
              [(onDelete as Exclude<OnDelete, string>).deactivate.field]: (
                onDelete as Exclude<OnDelete, string>
              ).deactivate.value,
            })),
            'update',
            { duplicateRules: entity.duplicateRules },
          );
  } catch (error) {
    if (!(error instanceof SalesforceUnavailableError || error instanceof SalesforceRateLimitError))
      throw error;
    tally.pending += records.length;
    tally.streak += 1;
    tally.retryAfter = Math.max(tally.retryAfter, retryAfterSeconds(error) ?? 0);
    return;
  }
  tally.streak = 0;
  tally.sent += records.length;
  const acknowledged: SnapEntry[] = [];
  const failures: RecordFailure[] = [];
  let removed = 0;
  let failed = 0;
  results.forEach((result, n) => {
    const r = records[n] as RemoveRecord;
    const index = batch[n] as number;
    const codes = result.success ? [] : result.errors.map((e) => e.statusCode);
    if (result.success || codes.some((c) => ALREADY_GONE.has(c))) {
      work.outcomes[index] = 'd';
      removed += 1;
      // Deleted: nothing of it is left in Salesforce. Deactivated: it stays, with its Id.
      const kept = onDelete === 'delete' ? {} : { sfId: r.sfId };
      acknowledged.push(
        entry({
          identity: r.identity,
          key: r.key,
          hash: onDelete === 'delete' ? '' : r.hash,
          status: 'deleted',
          ...kept,
        }),
      );
    } else if (codes.some((c) => TRANSIENT_RECORD_ERRORS.has(c))) {
      tally.pending += 1;
    } else {
      work.outcomes[index] = 'f';
      failed += 1;
      failures.push({
        key: r.key,
        bucket: 'failed',
        code: codes[0] ?? 'UNKNOWN',
        message: `removing ${r.sfId}: ${result.success ? '' : result.errors.map((e) => e.message).join('; ')}`,
      });
    }
  });
  await new SnapshotStore(app.store.table).append(task.company, task.entity, task.runId, acknowledged);
  if (failures.length > 0) await app.store.putFailures(task.runId, task.company, task.entity, failures);
  await app.store.putProgress(
    task.runId,
    task.company,
    task.entity,
    work.page,
    work.outcomes.join(''),
    'DEL',
  );
  await app.store.addRemoved(task.runId, task.company, task.entity, removed, failed);
  tally.removed += removed;
  tally.failed += failed;
}
