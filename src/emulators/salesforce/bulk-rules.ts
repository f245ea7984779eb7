/**
 * What a Bulk API 2.0 ingest job checks of its data before processing (upload size, line
 * endings), the order its results come back in, and the faults tests can ask of its jobs.
 */
import { z } from 'zod';
import { type RecordError, recordError } from './values.js';

/**
 * "A request can provide CSV data that does not in total exceed 150 MB of base64 encoded
 * content. When job data is uploaded, it is converted to base64 [...] upload data that does not
 * exceed 100 MB." (Bulk API 2.0 guide, Upload Job Data.) The limit is on the base64 size.
 */
export const DEFAULT_MAX_UPLOAD_BASE64_BYTES = 150 * 1024 * 1024;

/** The size of `bytes` bytes once base64-encoded. */
export const base64Size = (bytes: number): number => 4 * Math.ceil(bytes / 3);

/**
 * The line ending a job's data must use. A file whose rows end otherwise fails the job with
 * "ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF"
 * (the message real orgs give, quoted in forcedotcom/cli#3113 and many a data-loading guide).
 * Line breaks inside quoted cells are data, not row ends.
 */
export function lineEndingError(text: string, lineEnding: 'LF' | 'CRLF'): string | undefined {
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) quoted = !quoted;
    if (quoted || c !== 10 /* \n */) continue;
    const crlf = i > 0 && text.charCodeAt(i - 1) === 13;
    if (crlf !== (lineEnding === 'CRLF')) {
      return `ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is ${lineEnding}`;
    }
  }
  return undefined;
}

/**
 * The order result rows come back in. Salesforce: "The order of records in the response is not
 * guaranteed to match the ordering of records in the original job data" (Get Job Successful /
 * Failed / Unprocessed Record Results). Its internal batches run in parallel, so their chunks
 * interleave: this orders rows chunk by chunk, taking one chunk of each batch in turn (the first
 * chunk of every batch, then the second...), rows within a chunk in file order.
 */
export function resultOrder(seq: number, batchSize: number, chunkSize: number): [number, number, number] {
  const batch = Math.floor(seq / batchSize);
  const chunk = Math.floor((seq % batchSize) / chunkSize);
  return [chunk, batch, seq];
}

export const bulkFaultsSchema = z.strictObject({
  /** 0..1 of each job's records fail with `failError` instead of being written (spread evenly: exactly ⌊n·share⌋). */
  failShare: z.number().min(0).max(1).optional(),
  /** The error of `failShare` records (default UNABLE_TO_LOCK_ROW). */
  failError: z
    .strictObject({
      statusCode: z.string().min(1),
      message: z.string(),
      fields: z.array(z.string()).optional(),
    })
    .optional(),
  /** 0..1 of each job's records, at the end of the file, are never processed: the job ends Failed. */
  unprocessedShare: z.number().min(0).max(1).optional(),
  /** The job is aborted (as by its creator) once this many records were processed. */
  abortAfterRecords: z.number().int().min(0).optional(),
  /** Job info answers InProgress this many more times after the job finished processing. */
  inProgressPolls: z.number().int().min(0).optional(),
});

export type BulkFaults = z.infer<typeof bulkFaultsSchema>;

const ACCEPTED =
  '{failShare?: 0..1, failError?: {statusCode, message, fields?}, unprocessedShare?: 0..1, abortAfterRecords?: integer >= 0, inProgressPolls?: integer >= 0}';

export class BulkFaultsError extends Error {
  override readonly name = 'BulkFaultsError';
}

/** Validates Bulk faults, naming what is wrong and what is accepted. */
export function parseBulkFaults(input: unknown): BulkFaults {
  const parsed = bulkFaultsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(bulk faults)'}: ${i.message}`)
      .join('; ');
    throw new BulkFaultsError(`invalid bulk faults: ${issues}. Accepted: ${ACCEPTED}`);
  }
  return parsed.data;
}

/** Whether the row at `seq` (0-based) is one of the ⌊n·share⌋ rows `failShare` fails, spread evenly. */
export function faultFails(faults: BulkFaults | undefined, seq: number): boolean {
  const share = faults?.failShare ?? 0;
  return share > 0 && Math.floor((seq + 1) * share) > Math.floor(seq * share);
}

/** The error a `failShare` row fails with. */
export function faultError(faults: BulkFaults | undefined): RecordError {
  const e = faults?.failError;
  return e
    ? recordError(e.statusCode, e.message, e.fields ?? [])
    : recordError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record or 1 records');
}

/** How many of `total` rows are processed before `unprocessedShare` stops the job. */
export function processedLimit(faults: BulkFaults | undefined, total: number): number {
  const share = faults?.unprocessedShare ?? 0;
  return total - Math.floor(total * share);
}

export const UNPROCESSED_MESSAGE =
  'InternalServerError : the job stopped before processing every record (emulator fault unprocessedShare)';
