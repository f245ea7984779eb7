import { chunk } from '../batching.js';
import { ConfigError, SalesforceUnavailableError } from '../errors.js';
import { externalId } from '../mapping.js';
import type { RecordResult, SalesforceClient } from '../salesforce/client.js';
import type { Mapping, RecordFailure } from '../store/sync-store.js';
import { salesforceClient } from './auth.js';
import type { SyncContext } from './context.js';
import type { OutRecord, PageTask } from './transform.js';

export interface UpsertResult {
  sent: number;
  created: number;
  updated: number;
  failed: number;
}

/** Per-record errors that clear with time: the record is left pending for the page's retry. */
const TRANSIENT_RECORD_ERRORS = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
]);

/** One character per staged record: '.' pending, 'c' created, 'u' updated, 'f' failed. */
type Outcome = '.' | 'c' | 'u' | 'f';

/**
 * Sends one staged page to Salesforce in requests of at most `batchSize` records, up to
 * `maxInFlight` at once. Progress is saved after every request, so when the state machine
 * retries the page (Salesforce outage, locked rows) only what is still pending is sent again.
 */
export async function upsert(
  ctx: SyncContext,
  task: PageTask,
  client?: SalesforceClient,
): Promise<UpsertResult> {
  const { config, store } = ctx;
  const entity = config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  const records = await store.getStage<OutRecord>(task.runId, task.company, task.entity, 'OUT', task.page);
  const saved = await store.getProgress(task.runId, task.company, task.entity, task.page);
  const outcomes: Outcome[] = (
    saved && saved.length === records.length ? saved : '.'.repeat(records.length)
  ).split('') as Outcome[];
  const sf = client ?? (await salesforceClient(store, config, entity.maxInFlight));

  const pending = records.map((_, i) => i).filter((i) => outcomes[i] === '.');
  const chunks = chunk(pending, entity.batchSize);

  let sent = 0;
  let transientRecords = 0;
  let saving = Promise.resolve();
  const saveProgress = () => {
    const snapshot = outcomes.join('');
    saving = saving.then(() => store.putProgress(task.runId, task.company, task.entity, task.page, snapshot));
    return saving;
  };

  const sendChunk = async (indexes: number[]) => {
    const batch = indexes.map((i) => records[i] as OutRecord);
    let results: RecordResult[];
    if (entity.strategy === 'externalId') {
      const field = entity.externalIdField as string;
      const payloads = batch.map((r) => ({ ...r.payload, [field]: externalId(task.company, r.key) }));
      results = await sf.upsertCollection(entity.object, field, payloads);
    } else {
      results = await sendByIds(sf, entity.object, batch);
    }
    sent += batch.length;
    const mappings: Mapping[] = [];
    const failures: RecordFailure[] = [];
    results.forEach((result, n) => {
      const index = indexes[n] as number;
      const record = batch[n] as OutRecord;
      if (result.success) {
        outcomes[index] = result.created ? 'c' : 'u';
        mappings.push({
          key: record.key,
          hash: record.hash,
          status: 'synced',
          runId: task.runId,
          sfId: result.id ?? record.sfId,
        });
        return;
      }
      if (result.errors.some((e) => TRANSIENT_RECORD_ERRORS.has(e.statusCode))) {
        transientRecords += 1;
        return;
      }
      outcomes[index] = 'f';
      mappings.push({
        key: record.key,
        hash: record.hash,
        status: 'failed',
        runId: task.runId,
        sfId: record.sfId,
      });
      failures.push({
        key: record.key,
        bucket: 'failed',
        code: result.errors[0]?.statusCode ?? 'UNKNOWN',
        message: result.errors.map((e) => e.message).join('; '),
        fields: result.errors.flatMap((e) => e.fields ?? []),
      });
    });
    await store.putMappings(task.company, task.entity, mappings);
    if (failures.length > 0) await store.putFailures(task.runId, task.company, task.entity, failures);
    await saveProgress();
  };

  const settled = await Promise.allSettled(chunks.map(sendChunk));
  await saving;
  const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
  const result = { sent, created: count('c'), updated: count('u'), failed: count('f') };
  await store.setPage(task.runId, task.company, task.entity, task.page, {
    created: result.created,
    updated: result.updated,
    failed: result.failed,
    status: count('.') === 0 ? 'upserted' : 'transformed',
  });

  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (rejected) throw rejected.reason;
  if (transientRecords > 0) {
    throw new SalesforceUnavailableError(
      `${transientRecords} record(s) of page ${task.page} hit a transient Salesforce error (e.g. UNABLE_TO_LOCK_ROW); the page will be retried for them`,
    );
  }
  return result;
}

/** The idMap strategy: create records we have no Salesforce Id for, update the others by Id. */
async function sendByIds(sf: SalesforceClient, object: string, batch: OutRecord[]): Promise<RecordResult[]> {
  const results: RecordResult[] = new Array(batch.length);
  const creates = batch.map((r, i) => ({ r, i })).filter((x) => !x.r.sfId);
  const updates = batch.map((r, i) => ({ r, i })).filter((x) => x.r.sfId);
  if (creates.length > 0) {
    const out = await sf.saveCollection(
      object,
      creates.map((x) => x.r.payload),
      'create',
    );
    out.forEach((res, n) => {
      results[(creates[n] as { i: number }).i] = { ...res, created: res.success };
    });
  }
  if (updates.length > 0) {
    const out = await sf.saveCollection(
      object,
      updates.map((x) => ({ ...x.r.payload, id: x.r.sfId })),
      'update',
    );
    out.forEach((res, n) => {
      results[(updates[n] as { i: number }).i] = { ...res, created: false };
    });
  }
  return results;
}
