import { ConfigError, SalesforceUnavailableError } from '../errors.js';
import { externalId } from '../mapping.js';
import type { RecordResult, SalesforceClient } from '../salesforce/client.js';
import type { Mapping, RecordFailure } from '../store/sync-store.js';
import { salesforceClient } from './auth.js';
import type { SyncContext } from './context.js';
import type { EntityTask } from './extract.js';
import type { OutRecord } from './transform.js';

export interface UpsertResult {
  /** False when the invocation stopped early to stay inside its time limit: call again. */
  done: boolean;
  sent: number;
  requests: number;
  created: number;
  updated: number;
  failed: number;
}

export interface UpsertOptions {
  client?: SalesforceClient;
  /** Milliseconds left before the Lambda times out. */
  remainingMs?: () => number;
  /** Stop taking new requests when less than this is left (default 60 s). */
  reserveMs?: number;
}

/** Per-record errors that clear with time: the record stays pending for the step's retry. */
const TRANSIENT_RECORD_ERRORS = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
]);

/** One character per staged record: '.' pending, 'c' created, 'u' updated, 'f' failed. */
type Outcome = '.' | 'c' | 'u' | 'f';

interface PageWork {
  page: number;
  records: OutRecord[];
  outcomes: Outcome[];
  /** Requests taken from this page that have not finished. */
  open: number;
  /** All its pending records are in requests. */
  drained: boolean;
  saving: Promise<void>;
}

interface Batch {
  items: Array<{ work: PageWork; index: number }>;
}

/**
 * Sends an entity's staged changes to Salesforce: the pending records of every page that has
 * any, packed into requests of `batchSize` (200) across page boundaries, `maxInFlight` at once.
 * So 1% of changed rows spread over many pages still costs one request per 200 of them.
 * Progress is saved per page after every request: when the state machine retries the step
 * (Salesforce outage, locked rows), only what is still pending is sent again. Pages are read
 * one at a time as requests need them, so memory holds a few pages, whatever the entity's size.
 */
export async function upsert(
  ctx: SyncContext,
  task: EntityTask,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const { config, store } = ctx;
  const entity = config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  const pageNumbers = (await store.getPages(task.runId, task.company, task.entity))
    .filter((p) => p.toSend > 0 && p.status === 'transformed')
    .map((p) => p.page)
    .sort((a, b) => a - b);
  const sf = options.client ?? (await salesforceClient(store, config, entity.maxInFlight));
  const remaining = options.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const reserve = options.reserveMs ?? 60_000;
  const log = ctx.log.child({ runId: task.runId, company: task.company, entity: task.entity });

  let sent = 0;
  let requests = 0;
  let transientRecords = 0;
  let stoppedEarly = false;
  const totals = { created: 0, updated: 0, failed: 0 };

  // ---- a queue of batches fed by reading pages on demand ---------------------------------
  let nextPage = 0;
  let current: PageWork | undefined;
  let cursor = 0;
  let taking = Promise.resolve();

  const loadPage = async (page: number): Promise<PageWork> => {
    const records = await store.getStage<OutRecord>(task.runId, task.company, task.entity, 'OUT', page);
    const saved = await store.getProgress(task.runId, task.company, task.entity, page);
    const outcomes = (saved && saved.length === records.length ? saved : '.'.repeat(records.length)).split(
      '',
    ) as Outcome[];
    return { page, records, outcomes, open: 0, drained: false, saving: Promise.resolve() };
  };

  const takeBatch = async (): Promise<Batch | undefined> => {
    const items: Batch['items'] = [];
    while (items.length < entity.batchSize) {
      if (!current || cursor >= current.records.length) {
        if (current) {
          current.drained = true;
          await finishPageIfDone(current);
        }
        const page = pageNumbers[nextPage];
        if (page === undefined) {
          current = undefined;
          break;
        }
        nextPage += 1;
        current = await loadPage(page);
        cursor = 0;
        continue;
      }
      const index = cursor;
      cursor += 1;
      if (current.outcomes[index] === '.') items.push({ work: current, index });
    }
    for (const work of new Set(items.map((i) => i.work))) work.open += 1;
    return items.length > 0 ? { items } : undefined;
  };

  /** Serialises access to the queue: concurrent senders take batches one after the other. */
  const next = (): Promise<Batch | undefined> => {
    const result = taking.then(takeBatch);
    taking = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  const finishPageIfDone = async (work: PageWork) => {
    if (!work.drained || work.open > 0) return;
    await work.saving;
    const count = (o: Outcome) => work.outcomes.filter((x) => x === o).length;
    const counts = { created: count('c'), updated: count('u'), failed: count('f') };
    await store.setPage(task.runId, task.company, task.entity, work.page, {
      ...counts,
      status: count('.') === 0 ? 'upserted' : 'transformed',
    });
  };

  const send = async (batch: Batch) => {
    const records = batch.items.map(({ work, index }) => work.records[index] as OutRecord);
    let results: RecordResult[];
    try {
      if (entity.strategy === 'externalId') {
        const field = entity.externalIdField as string;
        const payloads = records.map((r) => ({ ...r.payload, [field]: externalId(task.company, r.key) }));
        results = await sf.upsertCollection(entity.object, field, payloads);
      } else {
        results = await sendByIds(sf, entity.object, records);
      }
    } finally {
      requests += 1;
    }
    sent += records.length;
    const mappings: Mapping[] = [];
    const failures: RecordFailure[] = [];
    results.forEach((result, n) => {
      const { work, index } = batch.items[n] as Batch['items'][number];
      const record = records[n] as OutRecord;
      if (result.success) {
        const outcome = result.created ? 'c' : 'u';
        work.outcomes[index] = outcome;
        totals[outcome === 'c' ? 'created' : 'updated'] += 1;
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
      work.outcomes[index] = 'f';
      totals.failed += 1;
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
  };

  /** After a request (sent or not), save the progress of the pages it touched. */
  const settle = async (batch: Batch) => {
    for (const work of new Set(batch.items.map((i) => i.work))) {
      const snapshot = work.outcomes.join('');
      work.saving = work.saving.then(() =>
        store.putProgress(task.runId, task.company, task.entity, work.page, snapshot),
      );
      work.open -= 1;
      await finishPageIfDone(work);
    }
  };

  let firstError: unknown;
  const worker = async () => {
    for (;;) {
      if (firstError !== undefined) return;
      if (remaining() < reserve) {
        stoppedEarly = true;
        return;
      }
      const batch = await next();
      if (!batch) return;
      try {
        await send(batch);
      } catch (error) {
        firstError ??= error;
      } finally {
        await settle(batch);
      }
    }
  };
  await Promise.all(Array.from({ length: entity.maxInFlight }, worker));
  if (current && firstError === undefined && !stoppedEarly) {
    current.drained = true;
    await finishPageIfDone(current);
  }

  if (firstError !== undefined) throw firstError;
  if (transientRecords > 0) {
    throw new SalesforceUnavailableError(
      `${transientRecords} record(s) hit a transient Salesforce error (e.g. UNABLE_TO_LOCK_ROW); the step is retried for them`,
    );
  }
  const done = !stoppedEarly;
  log.info('upserted', { sent, requests, ...totals, done });
  return { done, sent, requests, ...totals };
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
