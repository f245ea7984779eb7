import type { SyncApp } from '../app.js';
import { type ParentBatch, type Parented, ParentScheduler, packByParent } from '../batching.js';
import type { EntityConfig } from '../config/load.js';
import { ConfigError, SalesforceRateLimitError, SalesforceUnavailableError } from '../errors.js';
import { externalId } from '../mapping.js';
import {
  isLostResponse,
  isUnknownException,
  type RecordResult,
  requestRefusal,
  retryAfterSeconds,
  type SalesforceClient,
  type WriteOptions,
} from '../salesforce/client.js';
import { entry, type SnapEntry } from '../snapshot/entry.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { RecordFailure } from '../store/sync-store.js';
import { dryRunOptions, dryUpsert } from './dry-run.js';
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
  /** Records this invocation settled (created, updated or failed): a retry round that made progress. */
  progress: number;
  /** With `done: false`: seconds to wait before the next round (Retry-After, or a short jittered pause). */
  waitSeconds: number;
}

export interface UpsertOptions {
  client?: SalesforceClient;
  /** Milliseconds left before the Lambda times out. */
  remainingMs?: () => number;
  /** Stop taking new requests when less than this is left (default 60 s). */
  reserveMs?: number;
  /** 0..1, for the jitter of the wait between rounds (default Math.random). */
  random?: () => number;
}

/** Requests in a row answered 503 / cut / refused for concurrency before an invocation stops sending. */
export const UNAVAILABLE_STREAK_LIMIT = 3;
/** What an invocation keeps of its time limit: no new request starts with less left. */
export const DEFAULT_RESERVE_MS = 60_000;
/** The longest Retry-After honoured between two rounds (a Wait state holds no Lambda). */
const MAX_WAIT_SECONDS = 60;
/** Without Retry-After, the wait between rounds that made progress: full jitter up to this. */
const ROUND_JITTER_SECONDS = 2;

/** Per-record errors that clear with time: the record stays pending for the step's retry (Upsert, Remove, Bulk). */
export const TRANSIENT_RECORD_ERRORS: ReadonlySet<string> = new Set([
  'UNABLE_TO_LOCK_ROW',
  'SERVER_UNAVAILABLE',
  'REQUEST_RUNNING_TOO_LONG',
]);

/** One character per staged record: '.' pending, 'c' created, 'u' updated, 'f' failed. */
type Outcome = '.' | 'c' | 'u' | 'f';
const isPending = (o: Outcome | undefined) => o === '.';

/** Our result for a record whose request kept answering HTTP 500 after the isolation budget ran out. */
const STILL_PENDING = 'SF_SYNC_PENDING_AFTER_HTTP_500';

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
  /** Records left pending because HTTP 500s used up the isolation budget. */
  unknownPending: number;
  /** Requests this invocation may still spend isolating records behind HTTP 500s. */
  isolationBudget: number;
  /** Splits whose two halves both answered HTTP 500 (more than one looks like an outage). */
  splitsBothFailed: number;
  /** Records left pending because their whole request was refused as transient (503, cut, concurrency). */
  unavailablePending: number;
  /** Transiently refused requests since the last one that got answers. */
  unavailableStreak: number;
  /** The longest Retry-After Salesforce asked for, in seconds. */
  retryAfter: number;
  lastUnavailable: string;
  created: number;
  updated: number;
  failed: number;
}

function newTally(batchSize: number): Tally {
  return {
    sent: 0,
    requests: 0,
    transientRecords: 0,
    unknownPending: 0,
    isolationBudget: isolationBudget(batchSize),
    splitsBothFailed: 0,
    unavailablePending: 0,
    unavailableStreak: 0,
    retryAfter: 0,
    lastUnavailable: '',
    created: 0,
    updated: 0,
    failed: 0,
  };
}

/**
 * The entity's pending records as batches: pages read a window at a time as requests need them,
 * packed by parent, handed out so no two batches in flight share a parent; progress saved per
 * page after every request, and a page marked upserted once none of its records is pending.
 */
class BatchQueue {
  private readonly scheduler = new ParentScheduler<Batch>();
  private nextPage = 0;
  private filling = Promise.resolve();

  constructor(
    private readonly store: SyncApp['store'],
    private readonly task: EntityTask,
    private readonly entity: EntityConfig,
    private readonly pageNumbers: number[],
    private readonly externalIdFieldOf: (entity: string) => string,
  ) {}

  private get morePages(): boolean {
    return this.nextPage < this.pageNumbers.length;
  }

  /** The next batch free to send now; waits while every queued batch shares a parent with one in flight. */
  async next(): Promise<Batch | undefined> {
    for (;;) {
      if (this.scheduler.queued < this.entity.maxInFlight && this.morePages) {
        this.filling = this.filling.then(() => this.loadWindow());
        await this.filling;
      }
      const batch = this.scheduler.take();
      if (batch) return batch;
      if (this.scheduler.queued === 0 && !this.morePages) return undefined;
      if (this.scheduler.running > 0) await this.scheduler.released();
    }
  }

  /** After a request (sent or not), save the progress of the pages it touched. */
  async settle(batch: Batch): Promise<void> {
    const { runId, company, entity } = this.task;
    this.scheduler.release(batch);
    for (const work of new Set(batch.items.map((i) => i.work))) {
      const snapshot = work.outcomes.join('');
      work.saving = work.saving.then(() =>
        this.store.putProgress(runId, company, entity, work.page, snapshot),
      );
      work.open -= 1;
      await this.finishPageIfDone(work);
    }
  }

  private async loadPage(page: number): Promise<PageWork> {
    const { runId, company, entity } = this.task;
    const records = await this.store.getStage<OutRecord>(runId, company, entity, 'OUT', page);
    const saved = await this.store.getProgress(runId, company, entity, page);
    const outcomes = (saved && saved.length === records.length ? saved : '.'.repeat(records.length)).split(
      '',
    ) as Outcome[];
    return { page, records, outcomes, open: 0, saving: Promise.resolve() };
  }

  /** Reads pages until a window's worth of pending records, packs them by parent, queues the batches. */
  private async loadWindow(): Promise<void> {
    const pending: Array<Parented<Item>> = [];
    const pages: PageWork[] = [];
    const want = this.entity.batchSize * this.entity.maxInFlight * WINDOW_BATCHES;
    while (pending.length < want && this.morePages) {
      const work = await this.loadPage(this.pageNumbers[this.nextPage] as number);
      this.nextPage += 1;
      pages.push(work);
      work.records.forEach((r, index) => {
        if (!isPending(work.outcomes[index])) return;
        pending.push({
          item: { work, index },
          parents: parentLocks(this.entity, r.payload, this.externalIdFieldOf),
        });
      });
    }
    const batches = packByParent(pending, this.entity.batchSize);
    for (const b of batches) for (const work of new Set(b.items.map((i) => i.work))) work.open += 1;
    this.scheduler.push(batches);
    for (const work of pages) await this.finishPageIfDone(work);
  }

  private async finishPageIfDone(work: PageWork): Promise<void> {
    if (work.open > 0) return;
    await work.saving;
    const count = (o: Outcome) => work.outcomes.filter((x) => x === o).length;
    const counts = { created: count('c'), updated: count('u'), failed: count('f') };
    await this.store.setPage(this.task.runId, this.task.company, this.task.entity, work.page, {
      ...counts,
      status: work.outcomes.some(isPending) ? 'transformed' : 'upserted',
    });
  }
}

/**
 * Sends an entity's staged changes to Salesforce: the pending records of every page that has
 * any, grouped by parent and packed into requests of `batchSize` (200) across page boundaries,
 * `maxInFlight` at once, never two in flight with a parent in common (a child's write locks its
 * parent: two requests on one parent collide with UNABLE_TO_LOCK_ROW). So 1% of changed rows
 * spread over many pages still costs one request per 200 of them. Progress is saved per page
 * after every request, so a later round or retry sends only what is still pending. Pages are
 * read a window at a time as requests need them, so memory holds a few pages, whatever the
 * entity's size.
 *
 * Rounds: records a transient refusal left pending (503, the concurrency limit, a connection cut
 * before the answer, UNABLE_TO_LOCK_ROW, outage-like 500s) do not fail the invocation. When it
 * settled any record it returns `done: false` with `progress` and `waitSeconds` (Retry-After,
 * else 0–2 s of jitter) and the definition loops it (at most 60 rounds); when it settled none it
 * throws SalesforceUnavailableError for the definition's Retry (exponential backoff, full jitter).
 * Three transiently refused requests in a row stop the round (an outage costs few calls).
 */
export async function upsert(
  app: SyncApp,
  task: EntityTask,
  options: UpsertOptions = {},
): Promise<UpsertResult> {
  const { config, store } = app;
  const entity = config.companyEntity(task.company, task.entity);
  if (!entity)
    throw new ConfigError(`Entity ${task.entity} is not configured or is disabled for ${task.company}`);
  // A dry run counts what it would send and sends nothing (see dry-run.ts).
  if ((await dryRunOptions(store, task.runId)).dryRun) return dryUpsert(app, task);
  const pageNumbers = (await store.getPages(task.runId, task.company, task.entity))
    .filter((p) => p.toSend > 0 && p.status === 'transformed')
    .map((p) => p.page)
    .sort((a, b) => a - b);
  const sf = options.client ?? (await app.salesforceClient(entity.maxInFlight));
  const remaining = options.remainingMs ?? (() => Number.POSITIVE_INFINITY);
  const reserve = options.reserveMs ?? DEFAULT_RESERVE_MS;
  const extField = (name: string) => config.entity(name).externalIdField ?? 'Id';
  const queue = new BatchQueue(store, task, entity, pageNumbers, extField);
  const tally = newTally(entity.batchSize);
  const sending: SendContext = { app, task, entity, sf, tally };
  let stoppedEarly = false;
  let firstError: unknown;
  const worker = async () => {
    while (firstError === undefined) {
      if (remaining() < reserve) {
        stoppedEarly = true;
        return;
      }
      if (tally.unavailableStreak >= UNAVAILABLE_STREAK_LIMIT) return;
      const batch = await queue.next();
      if (!batch) return;
      try {
        await sendBatch(sending, batch);
      } catch (error) {
        firstError ??= error;
      } finally {
        await queue.settle(batch);
      }
    }
  };
  await Promise.all(Array.from({ length: entity.maxInFlight }, worker));

  if (firstError !== undefined) throw firstError;
  const { sent, requests, created, updated, failed } = tally;
  if (!stoppedEarly && !pendingLeft(tally) && tally.unavailableStreak < UNAVAILABLE_STREAK_LIMIT)
    await new SnapshotStore(app.store.table).compactJournal(task.company, task.entity);
  const progress = created + updated + failed;
  const left = pendingLeft(tally);
  // A round that settled records and left some pending is looped by the definition (Choice);
  // one that settled none throws, spending the Retry budget kept for attempts without progress.
  if (left && progress === 0) throw new SalesforceUnavailableError(`${left}; the step is retried for them`);
  const done = !stoppedEarly && !left && tally.unavailableStreak < UNAVAILABLE_STREAK_LIMIT;
  const waitSeconds = done || !left ? 0 : roundWait(tally, options.random ?? Math.random);
  app.log
    .child({ runId: task.runId, company: task.company, entity: task.entity })
    .info('upserted', { sent, requests, created, updated, failed, done, waitSeconds, pending: left });
  return { done, sent, requests, created, updated, failed, progress, waitSeconds };
}

/** Seconds before the next round: Salesforce's Retry-After when it sent one, else full jitter. */
export function roundWait(tally: Pick<Tally, 'retryAfter'>, random: () => number): number {
  if (tally.retryAfter > 0) return Math.min(Math.ceil(tally.retryAfter), MAX_WAIT_SECONDS);
  return Math.floor(random() * (ROUND_JITTER_SECONDS + 1));
}

/** What is still pending after this invocation, and why; empty when nothing is. */
function pendingLeft(tally: Tally): string {
  const parts: string[] = [];
  if (tally.unavailablePending > 0)
    parts.push(
      `${tally.unavailablePending} record(s) were in requests Salesforce refused for now (${tally.lastUnavailable})`,
    );
  if (tally.transientRecords > 0)
    parts.push(
      `${tally.transientRecords} record(s) hit a transient Salesforce error (e.g. UNABLE_TO_LOCK_ROW)`,
    );
  if (tally.unknownPending > 0)
    parts.push(`${tally.unknownPending} record(s) were in requests Salesforce kept answering with HTTP 500`);
  return parts.join('; ');
}

interface SendContext {
  app: SyncApp;
  task: EntityTask;
  entity: EntityConfig;
  sf: SalesforceClient;
  tally: Tally;
}

/**
 * Requests one invocation may spend on isolating records behind HTTP 500s: enough to bisect a
 * full batch down to one record twice (two bad records), not enough to turn an outage into
 * hundreds of calls.
 */
function isolationBudget(batchSize: number): number {
  return 4 * Math.ceil(Math.log2(Math.max(batchSize, 2))) + 2;
}

/** One request for these records: upsert by external ID, or create/update by Id. */
async function write(s: SendContext, items: Item[]): Promise<RecordResult[]> {
  const { task, entity, sf, tally } = s;
  const records = items.map(({ work, index }) => work.records[index] as OutRecord);
  const options = { duplicateRules: entity.duplicateRules };
  tally.requests += 1;
  if (entity.strategy !== 'externalId') return sendByIds(sf, entity.object, records, options);
  const field = entity.externalIdField as string;
  const payloads = records.map((r) => ({ ...r.payload, [field]: externalId(task.company, r.key) }));
  return sf.upsertCollection(entity.object, field, payloads, options);
}

/**
 * A request refused as a whole for what its records hold: Salesforce's HTTP 500
 * (UNKNOWN_EXCEPTION, tried once more alone) or a 400 such as JSON_PARSER_ERROR (deterministic:
 * a record alone refused fails at once with Salesforce's code and message).
 */
type Refused = { unknown: string; code: string; retryAlone: boolean };
type Attempt = { results: RecordResult[] } | Refused;

/** One request; Salesforce's HTTP 500 and per-payload 400s come back as values, anything else stays thrown. */
async function attempt(s: SendContext, items: Item[]): Promise<Attempt> {
  try {
    return { results: await write(s, items) };
  } catch (error) {
    if (isUnknownException(error))
      return { unknown: (error as Error).message, code: 'UNKNOWN_EXCEPTION', retryAlone: true };
    const refusal = requestRefusal(error);
    if (refusal) return { unknown: refusal.message, code: refusal.code, retryAlone: false };
    throw error;
  }
}

const failedWith = (statusCode: string, message: string): RecordResult => ({
  success: false,
  errors: [{ statusCode, message }],
});

/**
 * Sends records and answers one result each. Salesforce's HTTP 500 (UNKNOWN_EXCEPTION) is often
 * deterministic for a payload, so it is neither retried as is nor treated as an outage: the
 * records are split in halves and sent again, down to one record, whose second 500 fails it with
 * UNKNOWN_EXCEPTION. So a bad record fails alone, each record goes at most once more in an
 * identical request, and the rest go through. 500s that look like an outage (both halves of a
 * split failing more than once, or the invocation's request budget used up) leave the records
 * pending: the step ends with SalesforceUnavailableError for the definition's Retry.
 */
async function sendIsolating(s: SendContext, items: Item[]): Promise<RecordResult[]> {
  const first = await attempt(s, items);
  if ('results' in first) return first.results;
  if (items.length > 1) return isolate(s, items, first);
  if (!first.retryAlone) return [failedWith(first.code, first.unknown)];
  if (s.tally.isolationBudget < 1) return pending(s, items, first.unknown);
  s.tally.isolationBudget -= 1;
  const again = await attempt(s, items);
  return 'results' in again ? again.results : [failedWith(again.code, again.unknown)];
}

function pending(s: SendContext, items: Item[], message: string): RecordResult[] {
  s.tally.unknownPending += items.length;
  return items.map(() => failedWith(STILL_PENDING, message));
}

/**
 * Records that were refused together (HTTP 500, or a 400 for what one of them holds): each half
 * is sent once; a refused half is split again, down to the record, which fails alone with
 * Salesforce's code. Both halves answering 500 more than once looks like an outage (pending).
 */
async function isolate(s: SendContext, items: Item[], refused: Refused): Promise<RecordResult[]> {
  const { tally } = s;
  if (tally.isolationBudget < 2) return pending(s, items, refused.unknown);
  tally.isolationBudget -= 2;
  const middle = Math.ceil(items.length / 2);
  const halves = [items.slice(0, middle), items.slice(middle)];
  const attempts = [await attemptHalf(s, halves[0] as Item[]), await attemptHalf(s, halves[1] as Item[])];
  const bothFailed = attempts.every((a) => 'unknown' in a && a.retryAlone);
  if (bothFailed && tally.splitsBothFailed >= 1) return pending(s, items, refused.unknown);
  if (bothFailed) tally.splitsBothFailed += 1;
  const out: RecordResult[] = [];
  for (const [n, a] of attempts.entries()) {
    const half = halves[n] as Item[];
    if ('results' in a) out.push(...a.results);
    else if (half.length === 1) out.push(failedWith(a.code, a.unknown));
    else out.push(...(await isolate(s, half, a)));
  }
  return out;
}

/**
 * One half of a split: a 503 or a cut connection leaves only this half pending for the next round,
 * so what the other requests of the split settled is kept (else, under a share of 503s, a poison
 * record's bisection rarely ends and its whole batch fails with it).
 */
async function attemptHalf(s: SendContext, items: Item[]): Promise<Attempt> {
  try {
    return await attempt(s, items);
  } catch (error) {
    const records = items.map(({ work, index }) => work.records[index] as OutRecord);
    if (!leftPendingFor(s, error, records)) throw error;
    return { results: items.map(() => failedWith(STILL_PENDING, (error as Error).message.slice(0, 200))) };
  }
}

/** Sends one batch and records every answer: in the snapshot, the failures and the page outcomes. */
async function sendBatch(s: SendContext, batch: Batch): Promise<void> {
  const records = batch.items.map(({ work, index }) => work.records[index] as OutRecord);
  let results: RecordResult[];
  try {
    results = await sendIsolating(s, batch.items);
  } catch (error) {
    if (leftPendingFor(s, error, records)) return;
    throw error;
  }
  s.tally.unavailableStreak = 0;
  s.tally.sent += records.length;
  await recordResults(s, batch, records, results);
}

/**
 * A whole request refused for now (503, a cut connection before an answer, the concurrency
 * limit): its records stay pending for the next round. A create (POST) whose answer was lost
 * may have been committed: it is not resent blindly (see sendByIds). Anything else stays thrown.
 */
function leftPendingFor(s: SendContext, error: unknown, records: OutRecord[]): boolean {
  const transient = error instanceof SalesforceUnavailableError || error instanceof SalesforceRateLimitError;
  if (!transient) return false;
  const { tally } = s;
  tally.unavailablePending += records.length;
  tally.unavailableStreak += 1;
  tally.retryAfter = Math.max(tally.retryAfter, retryAfterSeconds(error) ?? 0);
  tally.lastUnavailable = (error as Error).message.slice(0, 200);
  return true;
}

async function recordResults(
  { app, task, tally }: SendContext,
  batch: Batch,
  records: OutRecord[],
  results: RecordResult[],
): Promise<void> {
  const acknowledged: SnapEntry[] = [];
  const failures: RecordFailure[] = [];
  results.forEach((result, n) => {
    const { work, index } = batch.items[n] as Item;
    const record = records[n] as OutRecord;
    const base = { identity: record.identity, key: record.key, hash: record.hash };
    if (result.success) {
      const outcome = result.created ? 'c' : 'u';
      work.outcomes[index] = outcome;
      tally[outcome === 'c' ? 'created' : 'updated'] += 1;
      const sfId = result.id ?? record.sfId;
      acknowledged.push(entry({ ...base, status: 'synced', ...(sfId ? { sfId } : {}) }));
      return;
    }
    const codes = result.errors.map((e) => e.statusCode);
    if (codes.includes(STILL_PENDING)) return;
    if (codes.some((c) => TRANSIENT_RECORD_ERRORS.has(c))) {
      tally.transientRecords += 1;
      return;
    }
    work.outcomes[index] = 'f';
    tally.failed += 1;
    acknowledged.push(
      entry({
        ...base,
        status: 'failed',
        code: codes[0] ?? 'UNKNOWN',
        ...(record.sfId ? { sfId: record.sfId } : {}),
      }),
    );
    failures.push({
      key: record.key,
      bucket: 'failed',
      code: codes[0] ?? 'UNKNOWN',
      message: result.errors.map((e) => e.message).join('; '),
      fields: result.errors.flatMap((e) => e.fields ?? []),
    });
  });
  // Acknowledged means synced: Salesforce's answers reach the snapshot before the request settles.
  await new SnapshotStore(app.store.table).append(task.company, task.entity, task.runId, acknowledged);
  if (failures.length > 0) await app.store.putFailures(task.runId, task.company, task.entity, failures);
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
    const out = await createOnce(
      sf,
      object,
      creates.map((x) => x.r.payload),
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

/** Our code for a create whose answer was lost after it was sent: it may exist in Salesforce. */
export const RESPONSE_LOST = 'SF_SYNC_CREATE_RESPONSE_LOST';

/**
 * Creates by POST are not idempotent: when the answer is lost after the request was sent (a cut
 * connection, a timeout), Salesforce may have committed them, and sending them again could
 * duplicate them. The idMap strategy has no field to find them by, so they fail with
 * RESPONSE_LOST (a row-level reason) instead of being resent; the external ID strategy has no
 * such limit (its upsert is resent).
 */
async function createOnce(
  sf: SalesforceClient,
  object: string,
  payloads: Array<Record<string, unknown>>,
  write: WriteOptions,
): Promise<RecordResult[]> {
  try {
    return await sf.saveCollection(object, payloads, 'create', write);
  } catch (error) {
    if (!isLostResponse(error)) throw error;
    const message = `the answer to the create was lost after it was sent (${(error as Error).message}); the record may exist in Salesforce and is not sent again, to avoid a duplicate: check ${object} before the next run`;
    return payloads.map(() => failedWith(RESPONSE_LOST, message));
  }
}
