import { type ParentBatch, type Parented, ParentScheduler, packByParent } from '../batching.js';
import type { EntityConfig } from '../config/load.js';
import { ConfigError, SalesforceUnavailableError } from '../errors.js';
import { externalId } from '../mapping.js';
import {
  isUnknownException,
  type RecordResult,
  type SalesforceClient,
  type WriteOptions,
} from '../salesforce/client.js';
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

/**
 * One character per staged record: '.' pending, 'x' pending after one HTTP 500
 * (UNKNOWN_EXCEPTION: sent once more, then failed), 'c' created, 'u' updated, 'f' failed.
 */
type Outcome = '.' | 'x' | 'c' | 'u' | 'f';
const isPending = (o: Outcome | undefined) => o === '.' || o === 'x';

interface PageWork {
  page: number;
  records: OutRecord[];
  outcomes: Outcome[];
  /** Requests taken from this page that have not finished. */
  open: number;
  saving: Promise<void>;
}

type Item = { work: PageWork; index: number };
type Batch = ParentBatch<Item>;

/** Pending records gathered before packing: enough to group children by parent across pages. */
const WINDOW_BATCHES = 8;

/** The lock keys of a record's parents (lookup targets), read from its payload; lower case as Salesforce matches. */
export function parentLocks(
  entity: EntityConfig,
  payload: Record<string, unknown>,
  externalIdFieldOf: (entity: string) => string,
): string[] {
  const locks: string[] = [];
  for (const [field, m] of Object.entries(entity.fields)) {
    if (!m.ref) continue;
    const nested = payload[m.ref.relationship] as Record<string, unknown> | null | undefined;
    const value = nested?.[externalIdFieldOf(m.ref.entity)] ?? payload[field];
    if (typeof value === 'string' && value !== '') locks.push(`${m.ref.entity}:${value.toLowerCase()}`);
  }
  return locks;
}

/** Counts of what one invocation did, shared by its workers. */
interface Tally {
  sent: number;
  requests: number;
  transientRecords: number;
  unknownOnce: number;
  created: number;
  updated: number;
  failed: number;
}

/**
 * Sends an entity's staged changes to Salesforce: the pending records of every page that has
 * any, grouped by parent and packed into requests of `batchSize` (200) across page boundaries,
 * `maxInFlight` at once, never two in flight with a parent in common (a child's write locks its
 * parent: two requests on one parent collide with UNABLE_TO_LOCK_ROW). So 1% of changed rows
 * spread over many pages still costs one request per 200 of them. Progress is saved per page
 * after every request: when the state machine retries the step (Salesforce outage, locked rows,
 * a first HTTP 500), only what is still pending is sent again. Pages are read a window at a
 * time as requests need them, so memory holds a few pages, whatever the entity's size.
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
  const extField = (name: string) => config.entity(name).externalIdField ?? 'Id';
  const tally: Tally = {
    sent: 0,
    requests: 0,
    transientRecords: 0,
    unknownOnce: 0,
    created: 0,
    updated: 0,
    failed: 0,
  };
  let stoppedEarly = false;

  const finishPageIfDone = async (work: PageWork) => {
    if (work.open > 0) return;
    await work.saving;
    const count = (o: Outcome) => work.outcomes.filter((x) => x === o).length;
    const counts = { created: count('c'), updated: count('u'), failed: count('f') };
    await store.setPage(task.runId, task.company, task.entity, work.page, {
      ...counts,
      status: work.outcomes.some(isPending) ? 'transformed' : 'upserted',
    });
  };

  // ---- a scheduler fed by reading windows of pages on demand -----------------------------
  const scheduler = new ParentScheduler<Batch>();
  let nextPage = 0;
  let filling = Promise.resolve();

  const loadPage = async (page: number): Promise<PageWork> => {
    const records = await store.getStage<OutRecord>(task.runId, task.company, task.entity, 'OUT', page);
    const saved = await store.getProgress(task.runId, task.company, task.entity, page);
    const outcomes = (saved && saved.length === records.length ? saved : '.'.repeat(records.length)).split(
      '',
    ) as Outcome[];
    return { page, records, outcomes, open: 0, saving: Promise.resolve() };
  };

  /** Reads pages until a window's worth of pending records, packs them by parent, queues the batches. */
  const loadWindow = async () => {
    const pending: Array<Parented<Item>> = [];
    const pages: PageWork[] = [];
    const want = entity.batchSize * Math.max(entity.maxInFlight, 1) * WINDOW_BATCHES;
    while (pending.length < want && nextPage < pageNumbers.length) {
      const work = await loadPage(pageNumbers[nextPage] as number);
      nextPage += 1;
      pages.push(work);
      work.records.forEach((r, index) => {
        if (isPending(work.outcomes[index]))
          pending.push({ item: { work, index }, parents: parentLocks(entity, r.payload, extField) });
      });
    }
    const batches = packByParent(pending, entity.batchSize);
    for (const b of batches) for (const work of new Set(b.items.map((i) => i.work))) work.open += 1;
    scheduler.push(batches);
    for (const work of pages) await finishPageIfDone(work);
  };

  /** The next batch free to send now; waits while every queued batch shares a parent with one in flight. */
  const next = async (): Promise<Batch | undefined> => {
    for (;;) {
      if (scheduler.queued < entity.maxInFlight && nextPage < pageNumbers.length) {
        filling = filling.then(loadWindow);
        await filling;
      }
      const batch = scheduler.take();
      if (batch) return batch;
      if (scheduler.queued === 0 && nextPage >= pageNumbers.length) return undefined;
      if (scheduler.running > 0) await scheduler.released();
    }
  };

  const send = (batch: Batch) => sendBatch({ ctx, task, entity, sf, tally }, batch);

  /** After a request (sent or not), save the progress of the pages it touched. */
  const settle = async (batch: Batch) => {
    scheduler.release(batch);
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

  if (firstError !== undefined) throw firstError;
  throwIfRetryNeeded(tally);
  const done = !stoppedEarly;
  const { sent, requests, created, updated, failed } = tally;
  log.info('upserted', { sent, requests, created, updated, failed, done });
  return { done, sent, requests, created, updated, failed };
}

/** Records left pending for the definition's Retry: locked rows, and a first HTTP 500. */
function throwIfRetryNeeded(tally: Tally): void {
  const parts: string[] = [];
  if (tally.transientRecords > 0)
    parts.push(
      `${tally.transientRecords} record(s) hit a transient Salesforce error (e.g. UNABLE_TO_LOCK_ROW)`,
    );
  if (tally.unknownOnce > 0)
    parts.push(
      `${tally.unknownOnce} record(s) were in a request Salesforce answered with HTTP 500 (sent once more; failed if it happens again)`,
    );
  if (parts.length > 0)
    throw new SalesforceUnavailableError(`${parts.join('; ')}; the step is retried for them`);
}

interface SendContext {
  ctx: SyncContext;
  task: EntityTask;
  entity: EntityConfig;
  sf: SalesforceClient;
  tally: Tally;
}

/** Sends one batch and records every answer: in the snapshot, the failures and the page outcomes. */
async function sendBatch(s: SendContext, batch: Batch): Promise<void> {
  const { task, entity, sf, tally } = s;
  const records = batch.items.map(({ work, index }) => work.records[index] as OutRecord);
  const write = { duplicateRules: entity.duplicateRules };
  let results: RecordResult[];
  try {
    if (entity.strategy === 'externalId') {
      const field = entity.externalIdField as string;
      const payloads = records.map((r) => ({ ...r.payload, [field]: externalId(task.company, r.key) }));
      results = await sf.upsertCollection(entity.object, field, payloads, write);
    } else {
      results = await sendByIds(sf, entity.object, records, write);
    }
  } catch (error) {
    if (!isUnknownException(error)) throw error;
    results = unknownExceptionResults(batch, error as Error, tally);
  } finally {
    tally.requests += 1;
  }
  tally.sent += records.length;
  await recordResults(s, batch, records, results);
}

/**
 * A request answered HTTP 500: its records that already had one 500 fail with UNKNOWN_EXCEPTION
 * (Salesforce's 500s are often deterministic for a payload); the others are marked to go once more.
 */
function unknownExceptionResults(batch: Batch, error: Error, tally: Tally): RecordResult[] {
  return batch.items.map(({ work, index }) => {
    if (work.outcomes[index] === 'x') {
      return {
        success: false,
        errors: [{ statusCode: 'UNKNOWN_EXCEPTION', message: `${error.message} (twice)` }],
      };
    }
    work.outcomes[index] = 'x';
    tally.unknownOnce += 1;
    return { success: false, errors: [{ statusCode: 'RETRY_AFTER_UNKNOWN_EXCEPTION', message: '' }] };
  });
}

async function recordResults(
  { ctx, task, tally }: SendContext,
  batch: Batch,
  records: OutRecord[],
  results: RecordResult[],
): Promise<void> {
  const mappings: Mapping[] = [];
  const failures: RecordFailure[] = [];
  results.forEach((result, n) => {
    const { work, index } = batch.items[n] as Item;
    const record = records[n] as OutRecord;
    const base = { key: record.key, hash: record.hash, runId: task.runId };
    if (result.success) {
      const outcome = result.created ? 'c' : 'u';
      work.outcomes[index] = outcome;
      tally[outcome === 'c' ? 'created' : 'updated'] += 1;
      mappings.push({ ...base, status: 'synced', sfId: result.id ?? record.sfId });
      return;
    }
    const codes = result.errors.map((e) => e.statusCode);
    if (codes.includes('RETRY_AFTER_UNKNOWN_EXCEPTION')) return;
    if (codes.some((c) => TRANSIENT_RECORD_ERRORS.has(c))) {
      tally.transientRecords += 1;
      return;
    }
    work.outcomes[index] = 'f';
    tally.failed += 1;
    mappings.push({ ...base, status: 'failed', sfId: record.sfId });
    failures.push({
      key: record.key,
      bucket: 'failed',
      code: codes[0] ?? 'UNKNOWN',
      message: result.errors.map((e) => e.message).join('; '),
      fields: result.errors.flatMap((e) => e.fields ?? []),
    });
  });
  await ctx.store.putMappings(task.company, task.entity, mappings);
  if (failures.length > 0) await ctx.store.putFailures(task.runId, task.company, task.entity, failures);
}

/** The idMap strategy: create records we have no Salesforce Id for, update the others by Id. */
async function sendByIds(
  sf: SalesforceClient,
  object: string,
  batch: OutRecord[],
  write: WriteOptions,
): Promise<RecordResult[]> {
  const results: RecordResult[] = new Array(batch.length);
  const creates = batch.map((r, i) => ({ r, i })).filter((x) => !x.r.sfId);
  const updates = batch.map((r, i) => ({ r, i })).filter((x) => x.r.sfId);
  if (creates.length > 0) {
    const out = await sf.saveCollection(
      object,
      creates.map((x) => x.r.payload),
      'create',
      write,
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
      write,
    );
    out.forEach((res, n) => {
      results[(updates[n] as { i: number }).i] = { ...res, created: false };
    });
  }
  return results;
}
