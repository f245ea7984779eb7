import { SalesforceRequestError, SalesforceUnavailableError } from '../../../src/core/errors.js';
import {
  type RecordError,
  type RecordResult,
  responseError,
  type SalesforceClient,
} from '../../../src/core/salesforce/client.js';
import { makeId } from '../../../src/emulators/salesforce/ids.js';

/**
 * What one request meets, besides the org's answer (1-based request number → fault):
 * - `unavailable`: HTTP 503 SERVER_UNAVAILABLE (optionally with Retry-After); nothing committed.
 * - `lost`: Salesforce committed the request but its answer never came back. The real client
 *   resends an idempotent request (PATCH, DELETE) once; this is the answer lost for good (the
 *   resend's too), as the client then throws it: SalesforceUnavailableError marked `lost`.
 * - `kill`: the Lambda dies while the request is out (its timeout, an OOM): nothing committed,
 *   nothing after it runs. Thrown as a plain Error, which no step catches.
 */
export type Fault = { kind: 'unavailable'; retryAfter?: number } | { kind: 'lost' } | { kind: 'kill' };

export type RequestKind = 'upsert' | 'create' | 'update' | 'delete';

export interface SentRequest {
  kind: RequestKind;
  /** External IDs (upsert), Ids (update, delete) or '' (create), in request order. */
  ids: string[];
  /** Whether the caller got Salesforce's answer. */
  answered: boolean;
}

const KEY_PREFIX: Record<string, string> = { Account: '001', RetailStore: '0ZS', ti_acuerdo__c: 'a0A' };

interface StoredRecord {
  object: string;
  fields: Record<string, unknown>;
}

/**
 * A Salesforce org behind SalesforceClient's write methods, without a socket, answering as the
 * REST API does (notes/salesforce.md, "sObject Collections"): at most 200 records a request,
 * allOrNone false, one result per record in request order; upsert matches external IDs
 * case-insensitively and answers `created`; create and update do not; deleting or updating a
 * deleted record fails ENTITY_IS_DELETED "entity is deleted"; records named in `lockOnce` fail
 * UNABLE_TO_LOCK_ROW the next time they are written (the row lock clears), those in `reject`
 * fail with that error every time. Errors thrown for whole requests are the client's own
 * (`responseError` for HTTP answers).
 */
export class FakeSalesforce {
  readonly records = new Map<string, StoredRecord>();
  readonly deleted = new Set<string>();
  readonly requests: SentRequest[] = [];
  readonly faults = new Map<number, Fault>();
  /** External IDs or Ids (lower case for external IDs) whose next write fails UNABLE_TO_LOCK_ROW. */
  readonly lockOnce = new Set<string>();
  /** External IDs or Ids whose every write fails with this error. */
  readonly reject = new Map<string, RecordError>();
  private readonly byExternalId = new Map<string, string>();
  private sequence = 0;

  /** The Id of the record holding this external ID (any case), if any. */
  idOf(object: string, externalId: string): string | undefined {
    return this.byExternalId.get(`${object}:${externalId.toLowerCase()}`);
  }

  /** A record as if created earlier (returns its Id). */
  seed(object: string, fields: Record<string, unknown>, externalIdField?: string): string {
    const id = makeId(KEY_PREFIX[object] ?? 'a0B', ++this.sequence);
    this.records.set(id, { object, fields: { ...fields } });
    const ext = externalIdField ? fields[externalIdField] : undefined;
    if (typeof ext === 'string') this.byExternalId.set(`${object}:${ext.toLowerCase()}`, id);
    return id;
  }

  client(): SalesforceClient {
    const fake = {
      upsertCollection: async (object: string, field: string, records: Array<Record<string, unknown>>) =>
        this.request(
          'upsert',
          `upsert ${object}`,
          records.map((r) => String(r[field] ?? '')),
          () => records.map((r) => this.upsertOne(object, field, r)),
        ),
      saveCollection: async (
        object: string,
        records: Array<Record<string, unknown>>,
        mode: 'create' | 'update',
      ) =>
        this.request(
          mode,
          `${mode} ${object}`,
          records.map((r) => String(r.id ?? '')),
          () => records.map((r) => (mode === 'create' ? this.createOne(object, r) : this.updateOne(r))),
        ),
      deleteCollection: async (ids: string[]) =>
        this.request('delete', 'delete', ids, () => ids.map((id) => this.deleteOne(id))),
    };
    return fake as unknown as SalesforceClient;
  }

  private async request(
    kind: RequestKind,
    what: string,
    ids: string[],
    answer: () => RecordResult[],
  ): Promise<RecordResult[]> {
    if (ids.length > 200)
      throw new SalesforceRequestError(`at most 200 records per request, got ${ids.length}`);
    const sent: SentRequest = { kind, ids, answered: false };
    this.requests.push(sent);
    await Promise.resolve(); // answered later, as a request is: other requests may be in flight
    const fault = this.faults.get(this.requests.indexOf(sent) + 1);
    if (fault?.kind === 'kill') throw new Error('the Lambda was killed while the request was out');
    if (fault?.kind === 'unavailable') {
      throw responseError(
        {
          statusCode: 503,
          body: [{ errorCode: 'SERVER_UNAVAILABLE', message: 'Server temporarily unavailable' }],
          headers: fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
        },
        what,
      );
    }
    const results = answer();
    if (fault?.kind === 'lost') {
      throw new SalesforceUnavailableError(`Salesforce ${what}: ECONNRESET: socket hang up`, {
        cause: { network: 'ECONNRESET', lost: true },
      });
    }
    sent.answered = true;
    return results;
  }

  /** A per-record error the org gives this record now, if any (lock first, as a write takes it first). */
  private recordError(name: string): RecordError | undefined {
    if (this.lockOnce.delete(name))
      return {
        statusCode: 'UNABLE_TO_LOCK_ROW',
        message: 'unable to obtain exclusive access to this record or 1 records',
        fields: [],
      };
    return this.reject.get(name);
  }

  private upsertOne(object: string, field: string, r: Record<string, unknown>): RecordResult {
    const ext = String(r[field] ?? '');
    const error = this.recordError(ext.toLowerCase());
    if (error) return { success: false, errors: [error] };
    const existing = this.idOf(object, ext);
    const { attributes: _, ...fields } = r;
    if (existing) {
      const stored = this.records.get(existing) as StoredRecord;
      stored.fields = { ...stored.fields, ...fields };
      return { id: existing, success: true, errors: [], created: false };
    }
    return { id: this.seed(object, fields, field), success: true, errors: [], created: true };
  }

  private createOne(object: string, r: Record<string, unknown>): RecordResult {
    return { id: this.seed(object, r), success: true, errors: [] };
  }

  private gone(id: string): RecordResult | undefined {
    if (this.deleted.has(id) || !this.records.has(id))
      return {
        success: false,
        errors: [{ statusCode: 'ENTITY_IS_DELETED', message: 'entity is deleted', fields: [] }],
      };
    return undefined;
  }

  private updateOne(r: Record<string, unknown>): RecordResult {
    const id = String(r.id ?? '');
    const problem = this.gone(id);
    if (problem) return problem;
    const error = this.recordError(id);
    if (error) return { success: false, errors: [error] };
    const stored = this.records.get(id) as StoredRecord;
    const { id: _, ...fields } = r;
    stored.fields = { ...stored.fields, ...fields };
    return { id, success: true, errors: [] };
  }

  private deleteOne(id: string): RecordResult {
    const problem = this.gone(id);
    if (problem) return problem;
    const error = this.recordError(id);
    if (error) return { success: false, errors: [error] };
    this.deleted.add(id);
    this.records.delete(id);
    return { id, success: true, errors: [] };
  }
}
