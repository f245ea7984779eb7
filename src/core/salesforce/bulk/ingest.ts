/**
 * A Bulk API 2.0 ingest client over SalesforceClient's HTTP (its token refresh, error
 * translation and call counting): create a job, upload its CSV once, close or abort it, read
 * its info and its result files. Salesforce's reference: Bulk API 2.0 and Bulk API Developer
 * Guide, "Ingest" (Create a Job, Upload Job Data, Upload Complete, Get Job Info, Get Job
 * Successful / Failed / Unprocessed Record Results, Abort a Job).
 */
import { z } from 'zod';
import { SalesforceRequestError } from '../../errors.js';
import { isLostResponse, type SalesforceClient } from '../client.js';
import { COLUMN_DELIMITERS, type ColumnDelimiter, CsvRowParser, type LineEnding } from './csv.js';

export type IngestOperation = 'insert' | 'update' | 'upsert' | 'delete' | 'hardDelete';
export type JobState = 'Open' | 'UploadComplete' | 'InProgress' | 'JobComplete' | 'Failed' | 'Aborted';
export type ResultKind = 'successfulResults' | 'failedResults' | 'unprocessedrecords';

/** The calls a BulkIngest makes, by kind (also counted by the SalesforceClient as data calls). */
export type BulkCallKind =
  | 'bulk.create'
  | 'bulk.upload'
  | 'bulk.close'
  | 'bulk.abort'
  | 'bulk.poll'
  | 'bulk.results';

export interface JobSpec {
  object: string;
  operation: IngestOperation;
  /** Required for upsert: the external ID field records are matched on. */
  externalIdFieldName?: string;
  lineEnding?: LineEnding;
  columnDelimiter?: ColumnDelimiter;
}

const jobInfoSchema = z
  .object({
    id: z.string(),
    object: z.string(),
    operation: z.string(),
    state: z.enum(['Open', 'UploadComplete', 'InProgress', 'JobComplete', 'Failed', 'Aborted']),
    externalIdFieldName: z.string().optional(),
    lineEnding: z.enum(['LF', 'CRLF']).optional(),
    columnDelimiter: z.string().optional(),
    numberRecordsProcessed: z.number().optional(),
    numberRecordsFailed: z.number().optional(),
    errorMessage: z.string().optional(),
  })
  .passthrough();

export type JobInfo = z.infer<typeof jobInfoSchema>;

/** One row of a result file: Salesforce's columns and the row's original cells by header. */
export interface ResultRow {
  /** sf__Id: the record's Id (successful rows; failed rows of updates and deletes echo the given Id). */
  id?: string;
  /** sf__Created (successful rows): true when the upsert inserted the record. */
  created?: boolean;
  /** sf__Error (failed rows): "STATUS_CODE:message:fields --". */
  error?: string;
  /** The row's original cells, by the uploaded header's column names. */
  fields: Record<string, string>;
}

const RESERVED = new Set(['sf__Id', 'sf__Created', 'sf__Error']);

/** A result file's header and one of its rows as a ResultRow. */
export function resultRow(header: string[], cells: string[]): ResultRow {
  const fields: Record<string, string> = {};
  const row: ResultRow = { fields };
  header.forEach((name, i) => {
    const value = cells[i] ?? '';
    if (name === 'sf__Id') {
      if (value !== '') row.id = value;
    } else if (name === 'sf__Created') row.created = value === 'true';
    else if (name === 'sf__Error') row.error = value;
    else if (!RESERVED.has(name)) fields[name] = value;
  });
  return row;
}

function parseInfo(body: unknown, what: string): JobInfo {
  const parsed = jobInfoSchema.safeParse(body);
  if (!parsed.success) {
    throw new SalesforceRequestError(
      `Salesforce ${what}: unexpected job info ${JSON.stringify(body).slice(0, 200)}`,
    );
  }
  return parsed.data;
}

export class BulkIngest {
  /** Calls made by kind, for this client's caller (the app's counters). */
  readonly calls: Record<BulkCallKind, number> = {
    'bulk.create': 0,
    'bulk.upload': 0,
    'bulk.close': 0,
    'bulk.abort': 0,
    'bulk.poll': 0,
    'bulk.results': 0,
  };

  constructor(private readonly client: SalesforceClient) {}

  private count(kind: BulkCallKind): void {
    this.calls[kind] += 1;
  }

  /** POST /jobs/ingest: a new Open job. Not resent when its answer is lost (it would make a second job). */
  async createJob(spec: JobSpec): Promise<JobInfo> {
    if (spec.operation === 'upsert' && !spec.externalIdFieldName) {
      throw new SalesforceRequestError(`a Bulk upsert of ${spec.object} needs externalIdFieldName`);
    }
    const json = {
      object: spec.object,
      operation: spec.operation,
      ...(spec.externalIdFieldName && spec.operation === 'upsert'
        ? { externalIdFieldName: spec.externalIdFieldName }
        : {}),
      contentType: 'CSV',
      lineEnding: spec.lineEnding ?? 'LF',
      columnDelimiter: spec.columnDelimiter ?? 'COMMA',
    };
    this.count('bulk.create');
    const what = `bulk create ${spec.operation} ${spec.object}`;
    return parseInfo(await this.client.bulkRequest('POST', '/jobs/ingest', what, { json }), what);
  }

  /** PUT the job's CSV (once per job: Salesforce refuses a second upload). Not resent on a lost answer. */
  async upload(jobId: string, csv: string): Promise<void> {
    this.count('bulk.upload');
    await this.client.bulkRequest('PUT', `/jobs/ingest/${jobId}/batches`, `bulk upload ${jobId}`, {
      csv,
      idempotent: false,
    });
  }

  /**
   * PATCH {state: UploadComplete}: Salesforce starts processing. When the answer is lost, the
   * job's info says whether the close took effect (a second close would be refused).
   */
  async close(jobId: string): Promise<JobInfo> {
    return this.setState(jobId, 'UploadComplete', 'bulk.close');
  }

  /** PATCH {state: Aborted}: processing stops; records not yet processed stay unprocessed. */
  async abort(jobId: string): Promise<JobInfo> {
    return this.setState(jobId, 'Aborted', 'bulk.abort');
  }

  private async setState(
    jobId: string,
    state: 'UploadComplete' | 'Aborted',
    kind: BulkCallKind,
  ): Promise<JobInfo> {
    const what = `bulk ${kind === 'bulk.close' ? 'close' : 'abort'} ${jobId}`;
    this.count(kind);
    try {
      const body = await this.client.bulkRequest('PATCH', `/jobs/ingest/${jobId}`, what, {
        json: { state },
        idempotent: false,
      });
      return parseInfo(body, what);
    } catch (error) {
      if (!isLostResponse(error)) throw error;
      const info = await this.getJob(jobId);
      if (info.state === 'Open') throw error;
      return info;
    }
  }

  /** GET /jobs/ingest/{id}: state and record counts. */
  async getJob(jobId: string): Promise<JobInfo> {
    this.count('bulk.poll');
    const what = `bulk job info ${jobId}`;
    return parseInfo(await this.client.bulkRequest('GET', `/jobs/ingest/${jobId}`, what), what);
  }

  /**
   * One result file, streamed and parsed row by row (never the whole file in memory). Rows come
   * in no particular order (Salesforce does not keep the upload's order); match them by content.
   */
  async *results(
    jobId: string,
    kind: ResultKind,
    columnDelimiter: ColumnDelimiter = 'COMMA',
  ): AsyncGenerator<ResultRow> {
    this.count('bulk.results');
    const body = await this.client.bulkRequest(
      'GET',
      `/jobs/ingest/${jobId}/${kind}/`,
      `bulk ${kind} ${jobId}`,
      {
        stream: true,
      },
    );
    const parser = new CsvRowParser(COLUMN_DELIMITERS[columnDelimiter]);
    let header: string[] | undefined;
    const rows = function* (batch: string[][]): Generator<ResultRow> {
      for (const cells of batch) {
        if (!header) header = cells;
        else yield resultRow(header, cells);
      }
    };
    if (typeof body === 'string') {
      yield* rows([...parser.push(body), ...parser.end()]);
      return;
    }
    for await (const chunk of body as AsyncIterable<string>) yield* rows(parser.push(chunk));
    yield* rows(parser.end());
  }
}
