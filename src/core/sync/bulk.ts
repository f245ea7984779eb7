/**
 * The Bulk API 2.0 path of an entity, as the state machine drives it (issue 11): above the
 * entity's `bulkThreshold` its staged records travel in ingest jobs instead of sObject Collections
 * requests. Three steps, run by the upsert function through `operation`, with the waiting done by
 * the definition's Wait state (no Lambda sleeps):
 *
 * - bulkStart: streams the entity's OUT pages (the records Upsert would send, as it would send
 *   them: external ID field = `<COMPANY>-<key>`, parents as `Relationship.ExternalIdField`
 *   columns) into upsert jobs of at most `partBytes` of CSV each, and closes them.
 * - bulkPoll: reads the state of the jobs not known to be finished, first to last, stopping at the
 *   first still running (one call per poll while they run, plus one per job that finished).
 * - bulkFinish: reads every job's successfulResults, failedResults and unprocessedrecords
 *   (streamed), and records each record's outcome as Upsert does: the snapshot journal (synced
 *   with its Id, or failed with Salesforce's code), failure records (Salesforce's text), the
 *   page counts and progress. Records Salesforce did not process (unprocessedrecords, or a
 *   failed row with a transient code such as UNABLE_TO_LOCK_ROW) go into new jobs, at most
 *   two rounds after the first; after that they fail with SF_SYNC_BULK_UNPROCESSED. Records
 *   refused DUPLICATES_DETECTED on an entity whose duplicateRules is allowSave (the Duplicate
 *   Rule Header is documented for REST, headers_duplicaterules.htm, and SOAP create/update/upsert,
 *   sforce_api_header_duplicateruleheader.htm; an ingest job takes none) stay pending, and so do records
 *   no result file mentioned: bulkFinish answers `collections: true` and Upsert sends them by
 *   sObject Collections with the header.
 *
 * Only job ids and counters enter the state; records stay in DynamoDB staging.
 *
 * Results are matched to records by the external ID cell Salesforce echoes in every result row,
 * never by position ("The order of records in the response is not guaranteed to match the
 * ordering of records in the original job data": Bulk API 2.0 guide, Get Job Successful Record
 * Results). The match table is compact (see OutcomeTable): about 29 bytes per record.
 */
import type { SyncApp } from '../app.js';
import type { EntityConfig } from '../config/load.js';
import { BulkJobError, ConfigError, SalesforceRequestError } from '../errors.js';
import { externalId } from '../mapping.js';
import { DEFAULT_MAX_PART_BYTES, lineOf, quoteCell } from '../salesforce/bulk/csv.js';
import { BulkIngest, type JobSpec, type ResultRow } from '../salesforce/bulk/ingest.js';
import { errorCodeOf, jobState, nextPollSeconds } from '../salesforce/bulk/jobs.js';
import { entry, type SnapEntry } from '../snapshot/entry.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { PageRecord, RecordFailure } from '../store/sync-store.js';
import { dryRunOptions } from './dry-run.js';
import type { BulkEvent } from './events.js';
import type { OutRecord } from './transform.js';
import { TRANSIENT_RECORD_ERRORS } from './upsert.js';

/** What each Bulk step returns: the next state of the Bulk loop (ids and counts only). */
export interface BulkResult {
  /** True when the entity goes by sObject Collections instead (idMap strategy, dry run): Upsert runs. */
  collections: boolean;
  /** The jobs of this round. */
  jobs: string[];
  /** How many of `jobs`, from the first, are known to have finished. */
  finished: number;
  /** Polls made in this round. */
  attempt: number;
  /** 0 for the first jobs; each resend of unprocessed records is one more. */
  round: number;
  /** Seconds the Wait state holds before the next poll. */
  waitSeconds: number;
  /** bulkPoll: every job finished; bulkFinish: no record is left to resend. */
  done: boolean;
  /** Salesforce calls this step made. */
  requests: number;
  /** Records uploaded (bulkStart, and bulkFinish's resends). */
  records: number;
  created: number;
  updated: number;
  failed: number;
}

export interface BulkOptions {
  /** Largest CSV upload of one job, in UTF-8 bytes (default DEFAULT_PART_BYTES, 40 MB). */
  partBytes?: number;
  /** The first wait before a poll, doubling up to 60 s (default 5). */
  firstPollSeconds?: number;
}

/**
 * The largest upload of one job by default: 40 MB of CSV. Salesforce takes up to 150 MB of base64
 * (about 100 MB of CSV), but a part is in memory three times while it is sent (our buffer, the
 * request's text, the HTTP client's bytes). Measured on 1,000,000 records (3 jobs) under a 256 MB
 * heap: bulkStart peaked at 332 MB RSS (+174 MB over its start).
 */
export const DEFAULT_PART_BYTES = 40 * 1024 * 1024;

/** Rounds of jobs for one entity: the first, and at most two resends of unprocessed records. */
export const MAX_BULK_ROUNDS = 3;
/** Our code for a record Salesforce left unprocessed in every round. */
export const BULK_UNPROCESSED = 'SF_SYNC_BULK_UNPROCESSED';

/**
 * The Bulk settings from the environment (read at the handler's edge): SF_SYNC_BULK_PART_BYTES
 * (largest upload, default 40 MB, at most 100 MB) and SF_SYNC_BULK_FIRST_POLL_SECONDS (default 5; 0 polls at once,
 * for local tests).
 */
export function bulkOptions(env: NodeJS.ProcessEnv): BulkOptions {
  const read = (name: string, min: number, max: number): number | undefined => {
    const text = env[name];
    if (text === undefined || text === '') return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max)
      throw new ConfigError(`${name} is "${text}"; use an integer from ${min} to ${max}`);
    return value;
  };
  const partBytes = read('SF_SYNC_BULK_PART_BYTES', 1024, DEFAULT_MAX_PART_BYTES);
  const firstPollSeconds = read('SF_SYNC_BULK_FIRST_POLL_SECONDS', 0, 60);
  return {
    ...(partBytes === undefined ? {} : { partBytes }),
    ...(firstPollSeconds === undefined ? {} : { firstPollSeconds }),
  };
}

/** What every step needs: the entity, its job spec and columns, and a Bulk client. */
interface BulkWork {
  app: SyncApp;
  task: BulkEvent;
  entity: EntityConfig;
  field: string;
  bulk: BulkIngest;
  spec: JobSpec;
  columns: string[];
  options: BulkOptions;
}

/**
 * The CSV columns of an entity's records, known from its mapping before any record is read: the
 * external ID field, every mapped field, and a reference to an external-ID parent as its
 * `Relationship.ExternalIdField` column (Bulk API 2.0 guide, "Relationship Fields in a Header
 * Row"). An optional reference also keeps its plain field column, which carries `#N/A` (null)
 * when the row has no parent; a required one never is null (Transform rejects the row), so its
 * header names the relationship only.
 */
export function bulkColumns(app: SyncApp, entity: EntityConfig): string[] {
  const columns = new Set<string>([entity.externalIdField as string]);
  for (const [field, m] of Object.entries(entity.fields)) {
    const parent = m.ref ? app.config.entity(m.ref.entity) : undefined;
    if (m.ref && parent?.strategy === 'externalId' && parent.externalIdField) {
      columns.add(`${m.ref.relationship}.${parent.externalIdField}`);
      if (m.required) continue;
    }
    columns.add(field);
  }
  return [...columns];
}

async function bulkWork(app: SyncApp, task: BulkEvent, options: BulkOptions): Promise<BulkWork> {
  const entity = app.entityOf(task);
  const field = entity.externalIdField as string;
  const bulk = new BulkIngest(await app.salesforceClient(1));
  const spec: JobSpec = { object: entity.object, operation: 'upsert', externalIdFieldName: field };
  return { app, task, entity, field, bulk, spec, columns: bulkColumns(app, entity), options };
}

const callsOf = (bulk: BulkIngest) => Object.values(bulk.calls).reduce((a, b) => a + b, 0);

function result(work: BulkWork, fields: Partial<BulkResult>): BulkResult {
  return {
    collections: false,
    jobs: work.task.jobs,
    finished: work.task.finished,
    attempt: work.task.attempt,
    round: work.task.round,
    waitSeconds: 0,
    done: false,
    requests: callsOf(work.bulk),
    records: 0,
    created: 0,
    updated: 0,
    failed: 0,
    ...fields,
  };
}

/**
 * Uploads CSV lines into as many jobs as `maxBytes` asks, one part in memory at a time: each job
 * is created and filled as soon as its part is full, and all are closed (UploadComplete) only
 * once every part is uploaded. So when an upload fails, every job is still Open and is aborted
 * having written nothing (Salesforce processes a job only after UploadComplete), and the step's
 * Retry starts them all again without sending any record twice.
 */
class JobWriter {
  readonly jobs: string[] = [];
  records = 0;
  /** The part being filled, as UTF-8 bytes: one buffer of `maxBytes`, reused for every part. */
  private part: Buffer | undefined;
  private bytes = 0;
  private count = 0;
  private readonly header: string;
  private readonly headerBytes: number;

  constructor(
    private readonly work: BulkWork,
    private readonly maxBytes = work.options.partBytes ?? DEFAULT_PART_BYTES,
  ) {
    this.header = `${work.columns.map((c) => quoteCell(c)).join(',')}\n`;
    this.headerBytes = Buffer.byteLength(this.header);
  }

  async add(record: Record<string, unknown>, key: string): Promise<void> {
    const line = `${lineOf(record, this.work.columns)}\n`;
    const size = Buffer.byteLength(line);
    if (this.headerBytes + size > this.maxBytes)
      throw new SalesforceRequestError(
        `Bulk CSV: record ${key} takes ${this.headerBytes + size} bytes with the header, more than one upload's ${this.maxBytes}`,
      );
    if (this.count > 0 && this.bytes + size > this.maxBytes) await this.flush();
    this.part ??= Buffer.allocUnsafe(this.maxBytes);
    if (this.count === 0) this.bytes = this.part.write(this.header, 0);
    this.bytes += this.part.write(line, this.bytes);
    this.count += 1;
    this.records += 1;
  }

  async finish(): Promise<string[]> {
    if (this.count > 0) await this.flush();
    await this.guarded(async () => {
      for (const id of this.jobs) await this.work.bulk.close(id);
    });
    return this.jobs;
  }

  /** Runs `step`; when it fails, aborts every job started (best effort) and throws its error. */
  private async guarded(step: () => Promise<void>): Promise<void> {
    try {
      await step();
    } catch (error) {
      for (const id of this.jobs) await this.work.bulk.abort(id).catch(() => undefined);
      throw error;
    }
  }

  private async flush(): Promise<void> {
    const csv = (this.part as Buffer).toString('utf8', 0, this.bytes);
    this.bytes = 0;
    this.count = 0;
    const { bulk, spec } = this.work;
    await this.guarded(async () => {
      const job = await bulk.createJob(spec);
      this.jobs.push(job.id);
      await bulk.upload(job.id, csv);
    });
  }
}

/** The entity's pages with records still to send (Upsert's selection). */
async function pendingPages(app: SyncApp, task: BulkEvent): Promise<PageRecord[]> {
  const pages = await app.store.getPages(task.runId, task.company, task.entity);
  return pages.filter((p) => p.toSend > 0 && p.status === 'transformed').sort((a, b) => a.page - b.page);
}

/** A page's records and their outcomes so far ('.' pending, 'c' created, 'u' updated, 'f' failed). */
async function loadPage(app: SyncApp, task: BulkEvent, page: number) {
  const { runId, company, entity } = task;
  const records = await app.store.getStage<OutRecord>(runId, company, entity, 'OUT', page);
  const saved = await app.store.getProgress(runId, company, entity, page);
  const outcomes = (saved && saved.length === records.length ? saved : '.'.repeat(records.length)).split('');
  return { records, outcomes };
}

const collectionsResult = (task: BulkEvent): BulkResult => ({
  collections: true,
  jobs: [],
  finished: 0,
  attempt: 0,
  round: task.round,
  waitSeconds: 0,
  done: true,
  requests: 0,
  records: 0,
  created: 0,
  updated: 0,
  failed: 0,
});

/**
 * Starts the entity's upsert jobs with every pending staged record. An idMap entity (no external
 * ID to upsert on or to match results by) and a dry run go by Collections: `collections: true`.
 */
export async function bulkStart(
  app: SyncApp,
  task: BulkEvent,
  options: BulkOptions = {},
): Promise<BulkResult> {
  const entity = app.entityOf(task);
  const log = app.log.child({ runId: task.runId, company: task.company, entity: task.entity });
  const { dryRun } = await dryRunOptions(app.store, task.runId);
  if (dryRun || entity.strategy !== 'externalId') {
    log.info('bulk path not taken: the entity goes by Collections', { dryRun, strategy: entity.strategy });
    return collectionsResult(task);
  }
  const work = await bulkWork(app, task, options);
  const writer = new JobWriter(work);
  for (const page of await pendingPages(app, task)) {
    const { records, outcomes } = await loadPage(app, task, page.page);
    for (const [i, r] of records.entries()) {
      if (outcomes[i] !== '.') continue;
      await writer.add({ ...r.payload, [work.field]: externalId(task.company, r.key) }, r.key);
    }
  }
  const jobs = await writer.finish();
  const first = nextPollSeconds(0, pollOptions(options));
  log.info('bulk jobs started', { jobs: jobs.length, records: writer.records, requests: callsOf(work.bulk) });
  return result(work, {
    jobs,
    finished: 0,
    attempt: 0,
    round: 0,
    waitSeconds: jobs.length > 0 ? first : 0,
    done: jobs.length === 0,
    records: writer.records,
  });
}

function pollOptions(options: BulkOptions) {
  return options.firstPollSeconds === undefined ? {} : { firstSeconds: options.firstPollSeconds };
}

/**
 * One poll: the jobs not known to be finished, first to last, until one is still running. A job
 * Aborted, or Failed before processing any record (a refused CSV, a missing field), fails the
 * entity with BulkJobError and Salesforce's message; a job Failed after processing some records
 * goes to bulkFinish, which records them and resends the rest.
 */
export async function bulkPoll(
  app: SyncApp,
  task: BulkEvent,
  options: BulkOptions = {},
): Promise<BulkResult> {
  const work = await bulkWork(app, task, options);
  let finished = task.finished;
  while (finished < task.jobs.length) {
    const id = task.jobs[finished] as string;
    const status = await jobState(work.bulk, id);
    if (!status.done) break;
    if (status.state === 'Aborted' || (status.state === 'Failed' && status.processed === 0)) {
      const why = status.errorMessage ? `: ${status.errorMessage}` : '';
      throw new BulkJobError(
        `Bulk upsert job ${id} of ${work.entity.object} ended ${status.state}${why} (${status.processed} record(s) processed); the entity fails and its records are sent again by the next run`,
      );
    }
    finished += 1;
  }
  const attempt = task.attempt + 1;
  const done = finished === task.jobs.length;
  const waitSeconds = done ? 0 : nextPollSeconds(attempt, pollOptions(options));
  return result(work, { finished, attempt, done, waitSeconds });
}

/** Failure records gathered while results stream, written a few hundred at a time. */
class FailureBuffer {
  private items: RecordFailure[] = [];
  constructor(
    private readonly app: SyncApp,
    private readonly task: BulkEvent,
  ) {}

  async add(failure: RecordFailure): Promise<void> {
    this.items.push(failure);
    if (this.items.length >= 500) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.items.length === 0) return;
    const { runId, company, entity } = this.task;
    await this.app.store.putFailures(runId, company, entity, this.items);
    this.items = [];
  }
}

/** Salesforce's "CODE:message:fields --" as a failure's code, message and fields. */
export function bulkError(text: string): { code: string; message: string; fields: string[] } {
  const code = errorCodeOf(text);
  let message = text.startsWith(`${code}:`) ? text.slice(code.length + 1) : text;
  let fields: string[] = [];
  const tail = /^([\s\S]*):([^:]*) --$/.exec(message);
  if (tail) {
    message = tail[1] as string;
    fields = (tail[2] as string).split(',').filter((f) => f !== '');
  }
  return { code, message, fields };
}

/** A result row's original cells as a record to upload again ('' was an unset field: left out). */
function resend(row: ResultRow): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row.fields)) if (value !== '') record[column] = value;
  return record;
}

/** Reads the three result files of every job into the table; resends or fails what was not processed. */
class ResultReader {
  constructor(
    private readonly work: BulkWork,
    private readonly table: OutcomeTable,
    private readonly failures: FailureBuffer,
    private readonly retry: JobWriter | undefined,
  ) {}

  private keyOf(ext: string): string {
    const prefix = `${this.work.task.company}-`;
    return ext.startsWith(prefix) ? ext.slice(prefix.length) : ext;
  }

  private extOf(row: ResultRow): string {
    const ext = row.fields[this.work.field];
    if (!ext)
      throw new SalesforceRequestError(
        `Bulk results of ${this.work.entity.object} have a row without ${this.work.field}`,
      );
    return ext;
  }

  async read(jobId: string): Promise<void> {
    const { bulk } = this.work;
    for await (const row of bulk.results(jobId, 'successfulResults'))
      this.table.set(this.extOf(row), row.created ? CREATED : UPDATED, row.id);
    for await (const row of bulk.results(jobId, 'failedResults')) {
      const error = bulkError(row.error ?? '');
      if (TRANSIENT_RECORD_ERRORS.has(error.code) && this.retry) await this.resendRow(row);
      else if (error.code === 'DUPLICATES_DETECTED' && this.work.entity.duplicateRules === 'allowSave')
        this.table.set(this.extOf(row), HANDOFF);
      else await this.fail(this.extOf(row), error);
    }
    for await (const row of bulk.results(jobId, 'unprocessedrecords')) {
      if (this.retry) await this.resendRow(row);
      else
        await this.fail(this.extOf(row), {
          code: BULK_UNPROCESSED,
          message: `Salesforce did not process the record in ${MAX_BULK_ROUNDS} Bulk jobs in a row (job ${jobId} ended before it); the next run sends it again`,
          fields: [],
        });
    }
  }

  private async resendRow(row: ResultRow): Promise<void> {
    const ext = this.extOf(row);
    await this.retry?.add(resend(row), this.keyOf(ext));
    this.table.set(ext, RETRY);
  }

  private async fail(ext: string, error: { code: string; message: string; fields: string[] }): Promise<void> {
    this.table.set(ext, FAILED, undefined, error.code);
    await this.failures.add({ key: this.keyOf(ext), bucket: 'failed', ...error });
  }
}

interface Settled {
  created: number;
  updated: number;
  failed: number;
  pending: number;
}

/**
 * Every pending record of the entity's pages gets its outcome from the table: the snapshot journal
 * first (acknowledged means synced), then the page's progress and counts, page by page.
 */
async function settlePages(work: BulkWork, table: OutcomeTable): Promise<Settled> {
  const { app, task } = work;
  const snapshots = new SnapshotStore(app.store.table);
  const total: Settled = { created: 0, updated: 0, failed: 0, pending: 0 };
  for (const page of await pendingPages(app, task)) {
    const { records, outcomes } = await loadPage(app, task, page.page);
    const entries: SnapEntry[] = [];
    for (const [i, r] of records.entries()) {
      if (outcomes[i] !== '.') continue;
      const found = table.get(externalId(task.company, r.key));
      const base = { identity: r.identity, key: r.key, hash: r.hash };
      // Resent in the next round, handed to Collections, or not in these jobs' results: pending.
      if (!found || found.kind === RETRY || found.kind === HANDOFF) {
        total.pending += 1;
        continue;
      }
      if (found && (found.kind === CREATED || found.kind === UPDATED)) {
        outcomes[i] = found.kind === CREATED ? 'c' : 'u';
        total[found.kind === CREATED ? 'created' : 'updated'] += 1;
        const sfId = found.sfId ?? r.sfId;
        entries.push(entry({ ...base, status: 'synced', ...(sfId ? { sfId } : {}) }));
        continue;
      }
      const code = found.code ?? 'UNKNOWN_EXCEPTION';
      outcomes[i] = 'f';
      total.failed += 1;
      entries.push(entry({ ...base, status: 'failed', code, ...(r.sfId ? { sfId: r.sfId } : {}) }));
    }
    await snapshots.append(task.company, task.entity, task.runId, entries);
    await app.store.putProgress(task.runId, task.company, task.entity, page.page, outcomes.join(''));
    const count = (o: string) => outcomes.filter((x) => x === o).length;
    await app.store.setPage(task.runId, task.company, task.entity, page.page, {
      created: count('c'),
      updated: count('u'),
      failed: count('f'),
      status: outcomes.includes('.') ? 'transformed' : 'upserted',
    });
  }
  return total;
}

/**
 * Records the outcome of every record of the finished jobs, resends what Salesforce did not
 * process (a new round of jobs, at most MAX_BULK_ROUNDS in all), and once nothing is left to
 * resend merges the run's journal into the snapshot (as Upsert does when it is done).
 */
export async function bulkFinish(
  app: SyncApp,
  task: BulkEvent,
  options: BulkOptions = {},
): Promise<BulkResult> {
  const work = await bulkWork(app, task, options);
  const expected = (await pendingPages(app, task)).reduce((n, p) => n + p.toSend, 0);
  const table = new OutcomeTable(expected);
  const failures = new FailureBuffer(app, task);
  const lastRound = task.round + 1 >= MAX_BULK_ROUNDS;
  const retry = lastRound ? undefined : new JobWriter(work);
  const reader = new ResultReader(work, table, failures, retry);
  for (const id of task.jobs) await reader.read(id);
  const jobs = retry ? await retry.finish() : [];
  await failures.flush();
  const settled = await settlePages(work, table);
  const done = jobs.length === 0;
  // Records no Bulk job settled (DUPLICATES_DETECTED on an allowSave entity: Bulk cannot send
  // the duplicate rule header; or absent from every result file) go by Collections: Upsert runs.
  const collections = done && settled.pending > 0;
  if (done && !collections)
    await new SnapshotStore(app.store.table).compactJournal(task.company, task.entity);
  const { created, updated, failed } = settled;
  app.log
    .child({ runId: task.runId, company: task.company, entity: task.entity })
    .info('bulk results recorded', {
      round: task.round,
      created,
      updated,
      failed,
      resent: retry?.records ?? 0,
      toCollections: collections ? settled.pending : 0,
    });
  return result(work, {
    collections,
    jobs,
    finished: 0,
    attempt: 0,
    round: task.round + 1,
    done,
    waitSeconds: done ? 0 : nextPollSeconds(0, pollOptions(options)),
    records: retry?.records ?? 0,
    created,
    updated,
    failed,
  });
}

const EMPTY = 0;
const CREATED = 1;
const UPDATED = 2;
const FAILED = 3;
/** Resent in the next round: the record stays pending. */
const RETRY = 4;
/** Left to sObject Collections after the jobs (duplicate rules with allowSave): the record stays pending. */
const HANDOFF = 5;
type Kind = typeof CREATED | typeof UPDATED | typeof FAILED | typeof RETRY | typeof HANDOFF;

/** Two independent 32-bit hashes of a string (FNV-1a and a multiply-xorshift), finalised (murmur3's fmix). */
function hashes(text: string): [number, number] {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  const fmix = (h: number) => {
    let x = h ^ (h >>> 16);
    x = Math.imul(x, 0x85ebca6b);
    x ^= x >>> 13;
    x = Math.imul(x, 0xc2b2ae35);
    return (x ^ (x >>> 16)) | 0;
  };
  return [fmix(a), fmix(b)];
}

const ID_BYTES = 18;

/**
 * External ID → outcome, in typed arrays rather than a Map of strings: an open-addressing table
 * keyed by a 64-bit hash of the external ID (two 32-bit hashes; for a million keys the chance
 * that two share both is about 3·10⁻⁸), with the outcome, the error code's index and the
 * 18-character Salesforce Id in place. 29 bytes a slot, at most two slots a record: about 61 MB
 * for a million records, where a Map of the same strings takes several times that.
 */
export class OutcomeTable {
  private readonly mask: number;
  private readonly h1: Int32Array;
  private readonly h2: Int32Array;
  private readonly kinds: Uint8Array;
  private readonly codes: Uint16Array;
  private readonly ids: Buffer;
  private readonly codeNames: string[] = [''];
  private readonly otherIds = new Map<number, string>();
  private size = 0;

  constructor(expected: number) {
    let capacity = 1024;
    while (capacity < expected * 1.5) capacity *= 2;
    this.mask = capacity - 1;
    this.h1 = new Int32Array(capacity);
    this.h2 = new Int32Array(capacity);
    this.kinds = new Uint8Array(capacity);
    this.codes = new Uint16Array(capacity);
    this.ids = Buffer.alloc(capacity * ID_BYTES);
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return (
      this.h1.byteLength +
      this.h2.byteLength +
      this.kinds.byteLength +
      this.codes.byteLength +
      this.ids.length
    );
  }

  private slot(text: string, adding: boolean): number {
    const [a, b] = hashes(text);
    let i = a & this.mask;
    while (this.kinds[i] !== EMPTY) {
      if (this.h1[i] === a && this.h2[i] === b) return i;
      i = (i + 1) & this.mask;
    }
    if (!adding) return -1;
    if (this.size + 1 > this.mask)
      throw new SalesforceRequestError('Bulk results name more records than were sent');
    this.size += 1;
    this.h1[i] = a;
    this.h2[i] = b;
    return i;
  }

  set(ext: string, kind: Kind, sfId?: string, code?: string): void {
    const i = this.slot(ext, true);
    this.kinds[i] = kind;
    if (sfId && sfId.length === ID_BYTES) this.ids.write(sfId, i * ID_BYTES, 'latin1');
    else if (sfId) this.otherIds.set(i, sfId);
    if (code !== undefined) {
      let n = this.codeNames.indexOf(code);
      if (n < 0) n = this.codeNames.push(code) - 1;
      this.codes[i] = n;
    }
  }

  get(ext: string): { kind: Kind; sfId?: string; code?: string } | undefined {
    const i = this.slot(ext, false);
    if (i < 0) return undefined;
    const kind = this.kinds[i] as Kind;
    const raw = this.ids.toString('latin1', i * ID_BYTES, (i + 1) * ID_BYTES);
    const sfId = raw.charCodeAt(0) === 0 ? this.otherIds.get(i) : raw;
    const code = this.codeNames[this.codes[i] as number] || undefined;
    return { kind, ...(sfId ? { sfId } : {}), ...(code ? { code } : {}) };
  }
}
