/**
 * Bulk API 2.0 ingest jobs: create (insert, update, upsert by `externalIdFieldName`, delete),
 * upload CSV once, `UploadComplete`, asynchronous processing, job info, successful, failed and
 * unprocessed results, abort, delete.
 *
 * Processing runs in the background as Salesforce documents it: the job's rows are divided into
 * internal batches of 10,000 records, processed in parallel, each in chunks of 200 records (one
 * transaction each, Salesforce's chunk size since API 21.0). A chunk that inserts, updates or
 * upserts holds the row locks of its records' parents and of the records it updates (locks.ts,
 * shared with REST writes) for its processing time; a record whose row stays locked past
 * `lockWaitMs` fails `UNABLE_TO_LOCK_ROW` in failedResults. Salesforce's automatic retries are of
 * whole batches that run out of time, not of records that time out on a lock, so such records are
 * not retried. Each chunk commits its record writes, its result lines and the job's counters
 * (with each batch's progress) in one transaction, so a restart resumes an `InProgress` job
 * exactly where it stopped.
 */
import {
  type BulkFaults,
  base64Size,
  DEFAULT_MAX_UPLOAD_BASE64_BYTES,
  faultError,
  faultFails,
  lineEndingError,
  processedLimit,
  resultOrder,
  UNPROCESSED_MESSAGE,
} from './bulk-rules.js';
import { type CsvError, DELIMITERS, formatCsvLine, parseCsv } from './csv.js';
import { type DmlContext, deleteRecords, type WriteResult, writeRecords } from './dml.js';
import { ApiError, notFound } from './errors.js';
import { randomId } from './ids.js';
import { lockedRowsOf, type ParentLocks } from './locks.js';
import type { JobResultRow, Persistence } from './persistence.js';
import { type CsvColumn, csvColumns, type PreparedRecord, prepareCsvRecord } from './prepare.js';
import type { FieldDef, ObjectDef } from './schema.js';
import type { Change } from './store.js';
import { formatDatetime, recordError } from './values.js';

export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';

export interface JobInfo {
  id: string;
  operation: IngestOperation;
  object: string;
  createdById: string;
  createdDate: string;
  systemModstamp: string;
  state: JobState;
  externalIdFieldName?: string;
  concurrencyMode: 'Parallel';
  contentType: 'CSV';
  apiVersion: number;
  jobType: 'V2Ingest';
  contentUrl: string;
  lineEnding: 'LF' | 'CRLF';
  columnDelimiter: string;
  numberRecordsProcessed: number;
  numberRecordsFailed: number;
  retries: number;
  totalProcessingTime: number;
  apiActiveProcessingTime: number;
  apexProcessingTime: number;
  errorMessage?: string;
  /** Emulator bookkeeping, not shown: whether CSV was uploaded, and the rows in it. */
  uploaded?: boolean;
  totalRows?: number;
  /** Emulator bookkeeping, not shown: rows processed in each internal batch. */
  batchProgress?: number[];
  /** Emulator bookkeeping, not shown: the Bulk faults in force when the job was closed. */
  faults?: BulkFaults;
  /** Emulator bookkeeping, not shown: polls still answered InProgress, and the state shown after them. */
  heldPolls?: number;
  finalState?: JobState;
}

/** The org's Bulk settings: limits, internal batch size, and faults for tests. */
export interface BulkSettings {
  /** Largest upload, measured base64-encoded as Salesforce does (default 150 MB). */
  maxUploadBase64Bytes: number;
  /** Records per internal batch (Salesforce: 10,000); tests lower it to see batches interleave. */
  batchSize: number;
  /** Faults applied to jobs closed from now on. */
  faults: BulkFaults;
}

export const DEFAULT_BULK_SETTINGS: BulkSettings = {
  maxUploadBase64Bytes: DEFAULT_MAX_UPLOAD_BASE64_BYTES,
  batchSize: 10_000,
  faults: {},
};

/** Salesforce's chunk size (one transaction) inside an internal batch. */
const CHUNK = 200;
const OPERATIONS: IngestOperation[] = ['insert', 'update', 'upsert', 'delete', 'hardDelete'];
const CREATE_KEYS = new Set([
  'object',
  'operation',
  'externalIdFieldName',
  'contentType',
  'columnDelimiter',
  'lineEnding',
  'assignmentRuleId',
]);

const invalidJob = (message: string) => new ApiError(400, 'INVALIDJOB', message);
const invalidState = (message: string) => new ApiError(400, 'INVALIDJOBSTATE', message);

/** Job info as the API shows it: the creation view (Open, UploadComplete, Aborted responses) or the full one. */
function view(info: JobInfo, full: boolean): Record<string, unknown> {
  const {
    uploaded: _u,
    totalRows: _t,
    batchProgress: _b,
    faults: _fa,
    heldPolls: _h,
    finalState: _fs,
    ...shown
  } = info;
  if (full) return shown;
  const {
    jobType: _j,
    numberRecordsProcessed: _p,
    numberRecordsFailed: _f,
    retries: _r,
    totalProcessingTime: _tp,
    apiActiveProcessingTime: _a,
    apexProcessingTime: _x,
    errorMessage: _e,
    ...created
  } = shown;
  return created;
}

function errorText(result: WriteResult): string {
  const e = result.errors[0];
  return e ? `${e.statusCode}:${e.message}:${e.fields.join(',')} --` : 'UNKNOWN_EXCEPTION:unknown:--';
}

/** Each internal batch's progress; a job saved before batches were tracked ran its rows in order. */
function batchProgress(info: JobInfo, total: number, size: number): number[] {
  const count = Math.ceil(total / size);
  if (info.batchProgress?.length === count) return info.batchProgress;
  return Array.from({ length: count }, (_, b) =>
    Math.min(Math.max(info.numberRecordsProcessed - b * size, 0), Math.min(size, total - b * size)),
  );
}

/** The rows no chunk has processed, in file order. */
function unprocessedRows(info: JobInfo, rows: string[][], size: number): string[][] {
  const progress = batchProgress(info, rows.length, size);
  return rows.filter((_, i) => i % size >= (progress[Math.floor(i / size)] ?? 0));
}

/** The results of a chunk's written rows with the `failShare` fault's rows put back in place, failed. */
function mergeFaulted(
  written: WriteResult[],
  faulted: boolean[],
  faults: BulkFaults | undefined,
): WriteResult[] {
  let next = 0;
  return faulted.map((isFaulted) =>
    isFaulted
      ? { success: false, errors: [faultError(faults)] }
      : (written[next++] ?? { success: false, errors: [] }),
  );
}

interface Running {
  header: string[];
  rows: string[][];
  columns: CsvColumn[];
}

export class BulkJobs {
  private readonly jobs = new Map<string, JobInfo>();
  private readonly running = new Map<string, Running>();
  private stopped = false;
  private readonly pending = new Set<NodeJS.Immediate>();

  constructor(
    private readonly ctx: DmlContext,
    private readonly persistence: Persistence,
    private readonly userId: string,
    /** The org's row locks, shared with REST writes. */
    private readonly locks: ParentLocks,
    /** Limits, batch size and faults; changed in place by the emulator's setters. */
    readonly settings: BulkSettings = { ...DEFAULT_BULK_SETTINGS },
  ) {
    for (const row of persistence.jobs()) {
      const info = JSON.parse(row.info) as JobInfo;
      this.jobs.set(info.id, info);
    }
    for (const info of this.jobs.values()) {
      if (info.state === 'UploadComplete' || info.state === 'InProgress') this.schedule(info.id);
    }
  }

  private save(info: JobInfo): void {
    this.persistence.saveJob(info.id, JSON.stringify(info));
  }

  private job(id: string): JobInfo {
    const info = this.jobs.get(id);
    if (!info) throw notFound();
    return info;
  }

  private objectOf(info: JobInfo): ObjectDef {
    return this.ctx.schema.byLower.get(info.object.toLowerCase()) as ObjectDef;
  }

  create(body: unknown, apiVersion: string): Record<string, unknown> {
    if (!body || typeof body !== 'object' || Array.isArray(body))
      throw invalidJob('InvalidJob : the request body must be a JSON object');
    const spec = body as Record<string, unknown>;
    for (const key of Object.keys(spec)) {
      if (!CREATE_KEYS.has(key)) {
        throw new ApiError(
          400,
          'JSON_PARSER_ERROR',
          `Unrecognized field "${key}"; known fields: ${[...CREATE_KEYS].join(', ')}`,
        );
      }
    }
    if (typeof spec.object !== 'string' || spec.object === '')
      throw invalidJob('InvalidJob : object is required');
    const object = this.ctx.schema.byLower.get(spec.object.toLowerCase());
    if (!object) throw new ApiError(404, 'NOT_FOUND', `sObject type '${spec.object}' is not supported.`);
    const operation = spec.operation as IngestOperation;
    if (!OPERATIONS.includes(operation)) {
      throw invalidJob(
        `InvalidJob : Invalid operation: ${String(spec.operation)}; accepted: ${OPERATIONS.join(', ')}`,
      );
    }
    let externalIdFieldName: string | undefined;
    if (operation === 'upsert') {
      if (typeof spec.externalIdFieldName !== 'string' || spec.externalIdFieldName === '') {
        throw invalidJob(
          `InvalidJob : External ID was blank for ${object.name}. An External ID must be specified for upsert.`,
        );
      }
      const field = object.fieldsByLower.get(spec.externalIdFieldName.toLowerCase());
      if (!field?.externalId) {
        throw invalidJob(
          `InvalidJob : Field name provided, ${spec.externalIdFieldName} is not an External ID or indexed field for ${object.name}`,
        );
      }
      externalIdFieldName = field.name;
    }
    const contentType = spec.contentType ?? 'CSV';
    if (contentType !== 'CSV')
      throw invalidJob(`InvalidJob : Invalid content type: ${String(contentType)}; accepted: CSV`);
    const columnDelimiter = spec.columnDelimiter ?? 'COMMA';
    if (typeof columnDelimiter !== 'string' || !(columnDelimiter in DELIMITERS)) {
      throw invalidJob(
        `InvalidJob : Invalid column delimiter: ${String(columnDelimiter)}; accepted: ${Object.keys(DELIMITERS).join(', ')}`,
      );
    }
    const lineEnding = spec.lineEnding ?? 'LF';
    if (lineEnding !== 'LF' && lineEnding !== 'CRLF') {
      throw invalidJob(`InvalidJob : Invalid line ending: ${String(lineEnding)}; accepted: LF, CRLF`);
    }
    const now = formatDatetime(Date.now());
    const id = randomId('750');
    const info: JobInfo = {
      id,
      operation,
      object: object.name,
      createdById: this.userId,
      createdDate: now,
      systemModstamp: now,
      state: 'Open',
      ...(externalIdFieldName ? { externalIdFieldName } : {}),
      concurrencyMode: 'Parallel',
      contentType: 'CSV',
      apiVersion: Number(apiVersion),
      jobType: 'V2Ingest',
      contentUrl: `services/data/v${apiVersion}/jobs/ingest/${id}/batches`,
      lineEnding,
      columnDelimiter,
      numberRecordsProcessed: 0,
      numberRecordsFailed: 0,
      retries: 0,
      totalProcessingTime: 0,
      apiActiveProcessingTime: 0,
      apexProcessingTime: 0,
      uploaded: false,
    };
    this.jobs.set(id, info);
    this.save(info);
    return view(info, false);
  }

  list(): Record<string, unknown> {
    return { done: true, records: [...this.jobs.values()].map((j) => view(j, true)), nextRecordsUrl: null };
  }

  /** Job info; a finished job held by the `inProgressPolls` fault shows InProgress until its polls are used. */
  info(id: string): Record<string, unknown> {
    const info = this.job(id);
    if (info.finalState && (info.heldPolls ?? 0) > 0) {
      info.heldPolls = (info.heldPolls ?? 0) - 1;
      const { errorMessage: _e, ...running } = info;
      const shown = view({ ...running, state: 'InProgress' }, true);
      if (info.heldPolls === 0) this.finish(info, info.finalState);
      return shown;
    }
    return view(info, true);
  }

  upload(id: string, csv: string): void {
    const info = this.job(id);
    if (info.state !== 'Open')
      throw invalidState(`Job ${id} is ${info.state}; data can be uploaded only while it is Open`);
    // Bulk 2.0 takes one upload per job; a second PUT is refused with this message (typo included
    // in the original "multipe"; quoted on salesforce.stackexchange "Providing multiple batches to
    // the Bulk API 2.0"), errorCode INVALIDJOB.
    if (info.uploaded)
      throw invalidJob(
        `Found multiple contents for job: <${id}>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.`,
      );
    const size = base64Size(Buffer.byteLength(csv));
    if (size > this.settings.maxUploadBase64Bytes) {
      throw new ApiError(
        413,
        'REQUEST_ENTITY_TOO_LARGE',
        `Job data is ${size} bytes once base64-encoded; an upload may hold at most ${this.settings.maxUploadBase64Bytes} (150 MB base64, about 100 MB of CSV). Split the data into several jobs`,
      );
    }
    this.persistence.saveJobData(id, csv);
    info.uploaded = true;
    info.systemModstamp = formatDatetime(Date.now());
    this.save(info);
  }

  /** PATCH {"state": "UploadComplete" | "Aborted"}. */
  setState(id: string, body: unknown): Record<string, unknown> {
    const info = this.job(id);
    const state = body && typeof body === 'object' ? (body as Record<string, unknown>).state : undefined;
    if (state === 'UploadComplete') {
      if (info.state !== 'Open')
        throw invalidState(`Job ${id} is ${info.state}; only an Open job can be closed`);
      info.state = 'UploadComplete';
      info.systemModstamp = formatDatetime(Date.now());
      info.faults = { ...this.settings.faults };
      this.save(info);
      this.schedule(id);
      return view(info, false);
    }
    if (state === 'Aborted') {
      if (!['Open', 'UploadComplete', 'InProgress'].includes(info.state) || info.finalState) {
        throw invalidState(
          `Job ${id} is ${info.state}; only Open, UploadComplete or InProgress jobs can be aborted`,
        );
      }
      this.finish(info, 'Aborted');
      return view(info, false);
    }
    throw invalidJob(`InvalidJob : Invalid state: ${String(state)}; accepted: UploadComplete, Aborted`);
  }

  delete(id: string): void {
    const info = this.job(id);
    if (info.state === 'Open') {
      throw invalidState(
        `Job ${id} is Open; a job can be deleted when UploadComplete, JobComplete, Aborted or Failed`,
      );
    }
    this.jobs.delete(id);
    this.running.delete(id);
    this.persistence.deleteJob(id);
  }

  /** successfulResults/, failedResults/ and unprocessedrecords/ as CSV. */
  results(id: string, kind: 'successful' | 'failed' | 'unprocessed'): string {
    const info = this.job(id);
    const delimiter = DELIMITERS[info.columnDelimiter] ?? ',';
    const eol = info.lineEnding === 'CRLF' ? '\r\n' : '\n';
    const data = this.persistence.jobData(id);
    let header: string[] = [];
    let rows: string[][] = [];
    try {
      const parsed = data ? parseCsv(data, delimiter) : [];
      header = parsed[0] ?? [];
      rows = parsed.slice(1);
    } catch {
      // a job whose data cannot be parsed has failed; its results are empty
    }
    if (kind === 'unprocessed') {
      const lines = [formatCsvLine(header, delimiter)];
      if (info.state === 'Failed' || info.state === 'Aborted') {
        for (const row of unprocessedRows(info, rows, this.settings.batchSize))
          lines.push(formatCsvLine(row, delimiter));
      }
      return lines.join(eol) + eol;
    }
    const wanted = kind === 'successful' ? 's' : 'f';
    const first = kind === 'successful' ? ['sf__Id', 'sf__Created'] : ['sf__Id', 'sf__Error'];
    const lines = [formatCsvLine([...first, ...header], delimiter)];
    const order = (seq: number) => resultOrder(seq, this.settings.batchSize, CHUNK);
    const results = this.persistence.jobResults(id).filter((r) => r.kind === wanted);
    const keyed = results.map((r) => ({ r, key: order(r.seq) }));
    keyed.sort((a, b) => a.key[0] - b.key[0] || a.key[1] - b.key[1] || a.key[2] - b.key[2]);
    for (const { r } of keyed) lines.push(r.line);
    return lines.join(eol) + eol;
  }

  private schedule(id: string): void {
    if (this.stopped) return;
    const handle = setImmediate(() => {
      this.pending.delete(handle);
      this.process(id).catch((error: unknown) => {
        const info = this.jobs.get(id);
        if (this.stopped || !info) return;
        this.fail(info, `UNKNOWN_EXCEPTION : ${(error as Error).message}`);
      });
    });
    this.pending.add(handle);
  }

  private fail(info: JobInfo, message: string): void {
    info.errorMessage = message;
    this.finish(info, 'Failed');
  }

  /** Ends a job in a terminal state (or holds it InProgress for the `inProgressPolls` fault). */
  private finish(info: JobInfo, state: JobState): void {
    const held = info.faults?.inProgressPolls ?? 0;
    this.running.delete(info.id);
    info.systemModstamp = formatDatetime(Date.now());
    if (state !== 'Aborted' && held > 0 && info.heldPolls === undefined) {
      info.heldPolls = held;
      info.finalState = state;
      info.state = 'InProgress';
    } else {
      info.state = state;
      info.finalState = undefined;
    }
    this.save(info);
  }

  /** Parses the uploaded CSV and maps its header; a string is the message the job fails with. */
  private begin(info: JobInfo): Running | string {
    const delimiter = DELIMITERS[info.columnDelimiter] ?? ',';
    const data = this.persistence.jobData(info.id);
    if (!data) return 'InvalidBatch : No data was uploaded for this job';
    let parsed: string[][];
    try {
      parsed = parseCsv(data, delimiter);
    } catch (error) {
      return `ClientInputError : ${(error as CsvError).message}`;
    }
    const header = parsed[0];
    if (!header) return 'InvalidBatch : The CSV has no header row';
    const badEnding = lineEndingError(data, info.lineEnding);
    if (badEnding) return badEnding;
    const columns = csvColumns(this.ctx.schema, this.objectOf(info), header);
    if (typeof columns === 'string') return columns;
    const isDelete = info.operation === 'delete' || info.operation === 'hardDelete';
    if (isDelete && (columns.length !== 1 || columns[0]?.kind !== 'id')) {
      return 'InvalidBatch : A delete job takes a single Id column';
    }
    const rows = parsed.slice(1);
    const badRow = rows.findIndex((r) => r.length !== header.length);
    if (badRow >= 0) {
      return `ClientInputError : Row ${badRow + 2} has ${rows[badRow]?.length} fields but the header has ${header.length}`;
    }
    return { header, rows, columns };
  }

  /**
   * Runs the job: its internal batches of BATCH rows in parallel, each a sequence of CHUNK-row
   * transactions holding their rows' locks (see the module comment).
   */
  private async process(id: string): Promise<void> {
    const info = this.jobs.get(id);
    if (!info || (info.state !== 'UploadComplete' && info.state !== 'InProgress')) return;
    if (this.running.has(id) || info.finalState) return;
    const begun = this.begin(info);
    if (typeof begun === 'string') {
      this.fail(info, begun);
      return;
    }
    const run = begun;
    this.running.set(id, run);
    info.state = 'InProgress';
    info.totalRows = run.rows.length;
    info.batchProgress = batchProgress(info, run.rows.length, this.settings.batchSize);
    this.save(info);
    const batches = info.batchProgress.map((_, b) => this.batch(info, run, b));
    await Promise.all(batches);
    if (!this.live(info, run)) return;
    if (processedLimit(info.faults, run.rows.length) < run.rows.length) this.fail(info, UNPROCESSED_MESSAGE);
    else this.finish(info, 'JobComplete');
  }

  /** True while `run` is still the job's current run (not aborted, deleted or stopped). */
  private live(info: JobInfo, run: Running): boolean {
    return !this.stopped && info.state === 'InProgress' && this.running.get(info.id) === run;
  }

  private async batch(info: JobInfo, run: Running, b: number): Promise<void> {
    const size = this.settings.batchSize;
    const end = Math.min((b + 1) * size, processedLimit(info.faults, run.rows.length));
    const progress = info.batchProgress as number[];
    while (this.live(info, run)) {
      const from = b * size + (progress[b] ?? 0);
      if (from >= end) return;
      await this.chunk(info, run, b, from, Math.min(from + CHUNK, end));
      const abortAt = info.faults?.abortAfterRecords;
      if (abortAt !== undefined && info.numberRecordsProcessed >= abortAt && this.live(info, run)) {
        this.finish(info, 'Aborted');
      }
    }
  }

  /**
   * One chunk in one transaction. Inserts, updates and upserts hold the row locks of their
   * records (parents, and the records updated) for the chunk's processing time, as a REST write
   * does; records whose row stays locked past `lockWaitMs` fail UNABLE_TO_LOCK_ROW.
   */
  private async chunk(info: JobInfo, run: Running, b: number, from: number, to: number): Promise<void> {
    const object = this.objectOf(info);
    const rows = run.rows.slice(from, to);
    const started = Date.now();
    const faulted = rows.map((_, i) => faultFails(info.faults, from + i));
    const kept = <T>(items: T[]) => items.filter((_, i) => !faulted[i]);
    const withFaults = (results: WriteResult[]) => mergeFaulted(results, faulted, info.faults);
    if (info.operation === 'delete' || info.operation === 'hardDelete') {
      const ids = kept(rows.map((r) => r[0] ?? ''));
      this.commitChunk(info, run, b, from, rows, (change) =>
        withFaults(deleteRecords(this.ctx, change, object, ids, false)),
      );
      this.addProcessingTime(info, started);
      return;
    }
    const prepared: PreparedRecord[] = rows.map((row) => {
      const p = prepareCsvRecord(object, run.columns, row);
      if (info.operation === 'insert' && p.id !== undefined) {
        p.errors.unshift(
          recordError('INVALID_FIELD_FOR_INSERT_UPDATE', 'cannot specify Id in an insert call', ['Id']),
        );
      }
      return p;
    });
    const externalIdField = info.externalIdFieldName
      ? (object.fieldsByLower.get(info.externalIdFieldName.toLowerCase()) as FieldDef)
      : undefined;
    const writing = kept(prepared);
    const locked = writing.flatMap((item) => lockedRowsOf(this.ctx, item, externalIdField));
    const operation = info.operation as Exclude<IngestOperation, 'delete' | 'hardDelete'>;
    await this.locks.hold(locked, rows.length, (lockedOut) => {
      if (!this.live(info, run)) return;
      this.commitChunk(info, run, b, from, rows, (change) =>
        withFaults(
          writeRecords(this.ctx, change, operation, writing, {
            allOrNone: false,
            lockedOut,
            ...(externalIdField ? { externalIdField } : {}),
          }),
        ),
      );
    });
    this.addProcessingTime(info, started);
  }

  private addProcessingTime(info: JobInfo, started: number): void {
    info.totalProcessingTime += Date.now() - started;
    info.apiActiveProcessingTime = info.totalProcessingTime;
  }

  /** Writes a chunk and commits its records, result lines and the job's counters together. */
  private commitChunk(
    info: JobInfo,
    run: Running,
    b: number,
    from: number,
    rows: string[][],
    write: (change: Change) => WriteResult[],
  ): void {
    const change = this.ctx.store.begin();
    const results = write(change);
    const delimiter = DELIMITERS[info.columnDelimiter] ?? ',';
    const idColumn = run.columns.findIndex((c) => c.kind === 'id');
    const lines: JobResultRow[] = results.map((result, i) => {
      const row = rows[i] ?? [];
      const seq = from + i;
      if (result.success) {
        const created = result.created ?? info.operation === 'insert';
        return { seq, kind: 's', line: formatCsvLine([result.id ?? '', String(created), ...row], delimiter) };
      }
      const givenId = idColumn >= 0 ? (row[idColumn] ?? '') : '';
      return { seq, kind: 'f', line: formatCsvLine([givenId, errorText(result), ...row], delimiter) };
    });
    const progress = info.batchProgress as number[];
    progress[b] = (progress[b] ?? 0) + rows.length;
    info.numberRecordsProcessed += rows.length;
    info.numberRecordsFailed += results.filter((r) => !r.success).length;
    info.systemModstamp = formatDatetime(Date.now());
    const { writes, deletes, meta } = change.rows();
    this.persistence.commitJobChunk(info.id, JSON.stringify(info), lines, writes, deletes, meta);
  }

  stop(): void {
    this.stopped = true;
    for (const handle of this.pending) clearImmediate(handle);
    this.pending.clear();
  }
}
