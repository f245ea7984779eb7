/**
 * The steps of a Bulk API 2.0 load as the state machine drives it, pure of DynamoDB: start the
 * jobs (one per upload-sized part), read a job's state between Wait states, and turn its result
 * files into one outcome per record.
 *
 * Matching results to records. Salesforce does not return results in upload order ("The order
 * of records in the response is not guaranteed to match the ordering of records in the original
 * job data", Get Job Successful/Failed/Unprocessed Record Results), and its internal batches run
 * in parallel, so position means nothing. Every result row repeats the row's original cells
 * after Salesforce's own columns, so a record is found again by a column whose value is unique in
 * the job and that we sent: the external ID column for upsert (the key Salesforce matched on; two
 * rows with one external ID in a job would fail as duplicates anyway), the Id column for update,
 * delete and hardDelete (the sf__Id of a successful delete is the 18-character form, while the
 * echoed Id cell is exactly what we sent, so we match on the cell). Keys not found in any file
 * are reported `unprocessed` when the caller passes the keys it sent.
 */
import { SalesforceRequestError } from '../../errors.js';
import { type ColumnDelimiter, type CsvFormat, columnsOf, csvParts } from './csv.js';
import type { BulkIngest, IngestOperation, JobInfo, JobSpec, JobState, ResultRow } from './ingest.js';

export interface StartedJob {
  id: string;
  /** The keys of the records uploaded to this job, in file order. */
  keys: string[];
  bytes: number;
}

export interface StartOptions extends CsvFormat {
  /** Required for upsert. */
  externalIdFieldName?: string;
  /** The key a record is known by (default: its external ID for upsert, its Id otherwise). */
  keyOf?: (record: Record<string, unknown>) => string;
  /** Largest upload in bytes (default 100 MB). */
  maxBytes?: number;
  /** CSV columns (default: every key seen in the records). */
  columns?: string[];
}

/** The column a job's results are matched on: the external ID for upsert, else Id. */
export function matchColumn(operation: IngestOperation, externalIdFieldName?: string): string {
  if (operation === 'upsert') {
    if (!externalIdFieldName) throw new SalesforceRequestError('a Bulk upsert needs externalIdFieldName');
    return externalIdFieldName;
  }
  if (operation === 'insert') {
    throw new SalesforceRequestError(
      'insert results cannot be matched back to records by a unique column we sent; use upsert on an external ID',
    );
  }
  return 'Id';
}

function defaultKeyOf(column: string): (record: Record<string, unknown>) => string {
  return (record) => {
    const value = record[column];
    if (typeof value !== 'string' || value === '') {
      throw new SalesforceRequestError(`Bulk: a record has no ${column}; every record of the job needs one`);
    }
    return value;
  };
}

/**
 * Creates, fills and closes as many jobs as uploads the records need (one when they fit in
 * `maxBytes`). A job whose upload or close fails is aborted (best effort) and the error thrown;
 * jobs closed before it keep running, and their ids are lost to the caller — a caller that
 * retries should prefer parts small enough to need one job, or record ids as it goes.
 */
export async function startJobs(
  bulk: BulkIngest,
  object: string,
  operation: IngestOperation,
  records: Iterable<Record<string, unknown>>,
  options: StartOptions = {},
): Promise<StartedJob[]> {
  const column = matchColumn(operation, options.externalIdFieldName);
  // Columns given: the records are read once, lazily; otherwise they are held to find the columns.
  const list = options.columns || Array.isArray(records) ? records : [...records];
  const columns = options.columns ?? columnsOf(list);
  if (!columns.includes(column)) {
    throw new SalesforceRequestError(`Bulk ${operation} of ${object}: the records have no ${column} column`);
  }
  const spec: JobSpec = {
    object,
    operation,
    ...(options.externalIdFieldName ? { externalIdFieldName: options.externalIdFieldName } : {}),
    ...(options.lineEnding ? { lineEnding: options.lineEnding } : {}),
    ...(options.columnDelimiter ? { columnDelimiter: options.columnDelimiter } : {}),
  };
  const parts = csvParts(list, {
    columns,
    keyOf: options.keyOf ?? defaultKeyOf(column),
    ...(options.maxBytes ? { maxBytes: options.maxBytes } : {}),
    ...(options.lineEnding ? { lineEnding: options.lineEnding } : {}),
    ...(options.columnDelimiter ? { columnDelimiter: options.columnDelimiter } : {}),
  });
  const started: StartedJob[] = [];
  for (const part of parts) {
    const job = await bulk.createJob(spec);
    try {
      await bulk.upload(job.id, part.csv);
      await bulk.close(job.id);
    } catch (error) {
      await bulk.abort(job.id).catch(() => undefined);
      throw error;
    }
    started.push({ id: job.id, keys: part.keys, bytes: part.bytes });
  }
  return started;
}

export interface JobStatus {
  state: JobState;
  processed: number;
  failed: number;
  /** True once the job is JobComplete, Failed or Aborted: no Wait state follows. */
  done: boolean;
  /** Why a Failed job failed, as Salesforce says it. */
  errorMessage?: string;
}

const DONE: JobState[] = ['JobComplete', 'Failed', 'Aborted'];

export function statusOf(info: JobInfo): JobStatus {
  return {
    state: info.state,
    processed: info.numberRecordsProcessed ?? 0,
    failed: info.numberRecordsFailed ?? 0,
    done: DONE.includes(info.state),
    ...(info.errorMessage ? { errorMessage: info.errorMessage } : {}),
  };
}

/** One poll of a job (one API call). */
export async function jobState(bulk: BulkIngest, jobId: string): Promise<JobStatus> {
  return statusOf(await bulk.getJob(jobId));
}

export interface PollOptions {
  firstSeconds?: number;
  maxSeconds?: number;
}

/**
 * Seconds the state machine waits before poll number `attempt` (0-based): 5, 10, 20, 40, then
 * 60 each time. Salesforce asks for no particular interval; doubling keeps a short job's wait
 * short and a long job's polls (each an API call) few.
 */
export function nextPollSeconds(attempt: number, options: PollOptions = {}): number {
  const first = options.firstSeconds ?? 5;
  const max = options.maxSeconds ?? 60;
  if (!Number.isInteger(attempt) || attempt < 0) {
    throw new SalesforceRequestError(`poll attempt must be an integer >= 0, got ${attempt}`);
  }
  return Math.min(max, first * 2 ** Math.min(attempt, 30));
}

export type Outcome = 'created' | 'updated' | 'deleted' | 'failed' | 'unprocessed';

export interface RecordOutcome {
  key: string;
  outcome: Outcome;
  sfId?: string;
  /** Failed rows: Salesforce's error, e.g. "REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --". */
  error?: string;
  /** The status code at the start of `error` (REQUIRED_FIELD_MISSING...). */
  errorCode?: string;
}

/** The status code of a Bulk sf__Error text ("CODE:message:fields --"). */
export function errorCodeOf(error: string): string {
  const code = /^([A-Z_]+):/.exec(error)?.[1];
  return code ?? 'UNKNOWN_EXCEPTION';
}

/** One result row as an outcome; `keyOf` finds the row's record key among its original cells. */
export function outcomeOf(
  kind: 'successfulResults' | 'failedResults' | 'unprocessedrecords',
  operation: IngestOperation,
  row: ResultRow,
  keyOf: (fields: Record<string, string>) => string,
): RecordOutcome {
  const key = keyOf(row.fields);
  if (kind === 'unprocessedrecords') return { key, outcome: 'unprocessed' };
  if (kind === 'failedResults') {
    const error = row.error ?? '';
    return {
      key,
      outcome: 'failed',
      ...(row.id ? { sfId: row.id } : {}),
      error,
      errorCode: errorCodeOf(error),
    };
  }
  const deleting = operation === 'delete' || operation === 'hardDelete';
  const outcome: Outcome = deleting ? 'deleted' : row.created ? 'created' : 'updated';
  return { key, outcome, ...(row.id ? { sfId: row.id } : {}) };
}

export interface OutcomeOptions {
  operation: IngestOperation;
  /** The column to match on (see matchColumn); `keyOf` maps its cell to a record key. */
  externalIdFieldName?: string;
  /** Maps a result row's original cells to the record key (default: the match column's cell). */
  keyOf?: (fields: Record<string, string>) => string;
  /** The keys uploaded to this job: any without a result row is reported unprocessed. */
  expected?: Iterable<string>;
  /** The job's column delimiter (result files use it too; default COMMA). */
  columnDelimiter?: ColumnDelimiter;
}

/**
 * Every outcome of a finished job, streamed: successful, failed, then unprocessed rows, then the
 * expected keys no file mentioned. Three result calls.
 */
export async function* outcomes(
  bulk: BulkIngest,
  jobId: string,
  options: OutcomeOptions,
): AsyncGenerator<RecordOutcome> {
  const column = matchColumn(options.operation, options.externalIdFieldName);
  const keyOf = options.keyOf ?? ((fields: Record<string, string>) => fields[column] ?? '');
  const missing = options.expected ? new Set(options.expected) : undefined;
  const kinds = ['successfulResults', 'failedResults', 'unprocessedrecords'] as const;
  for (const kind of kinds) {
    for await (const row of bulk.results(jobId, kind, options.columnDelimiter)) {
      const outcome = outcomeOf(kind, options.operation, row, keyOf);
      missing?.delete(outcome.key);
      yield outcome;
    }
  }
  for (const key of missing ?? []) yield { key, outcome: 'unprocessed' };
}

/** All outcomes of a finished job in one array (see `outcomes` for large jobs). */
export async function collectOutcomes(
  bulk: BulkIngest,
  jobId: string,
  options: OutcomeOptions,
): Promise<RecordOutcome[]> {
  const all: RecordOutcome[] = [];
  for await (const outcome of outcomes(bulk, jobId, options)) all.push(outcome);
  return all;
}
