import { gunzipSync, gzipSync } from 'node:zlib';
import { StoreStateError } from '../errors.js';
import { type Item, N, num, S, str, type Table } from './table.js';

/** Staged rows and payloads are gzipped JSON cut into parts under DynamoDB's 400 KB item limit. */
const PART_BYTES = 350_000;
const pad = (n: number, width = 6) => String(n).padStart(width, '0');

export type StageKind = 'IN' | 'OUT' | 'DEL';
export type MappingStatus = 'synced' | 'failed';

export interface Mapping {
  key: string;
  sfId?: string;
  hash: string;
  status: MappingStatus;
  runId: string;
  /** When Salesforce's answer was recorded (read back; written by putMappings). */
  at?: string;
}

function mappingOf(item: Item): Mapping {
  const at = str(item, 'at');
  return {
    key: str(item, 'sk') ?? '',
    sfId: str(item, 'sfId'),
    hash: str(item, 'hash') ?? '',
    status: (str(item, 'status') as MappingStatus) ?? 'failed',
    runId: str(item, 'runId') ?? '',
    ...(at ? { at } : {}),
  };
}

export interface RecordFailure {
  key: string;
  bucket: 'rejected' | 'failed';
  code: string;
  message: string;
  fields?: string[];
}

export interface PageCounts {
  rows?: number;
  unchanged?: number;
  rejected?: number;
  toSend?: number;
  created?: number;
  updated?: number;
  failed?: number;
}

export interface Token {
  accessToken: string;
  instanceUrl: string;
  expiresAt: number;
}

/** A token as the cache holds it: encrypted (src/core/crypto/token-seal.ts), with its expiry in clear. */
export interface SealedToken {
  sealed: string;
  expiresAt: number;
}

export const BUCKETS = [
  'created',
  'updated',
  'unchanged',
  'rejected',
  'failed',
  'skipped',
  'deleted',
] as const;
export type Bucket = (typeof BUCKETS)[number];

/**
 * A run as its record holds it: opened by Plan (status RUNNING, the input as given, the plan),
 * closed by Report (status, summary). JSON attributes come back parsed but unvalidated: the
 * reader that knows their shape parses them (e.g. the report's RunSummarySchema).
 */
export interface RunRecord {
  runId: string;
  /** RUNNING until Report closes the run, then the summary's status (SUCCEEDED, COMPLETED_WITH_FAILURES). */
  status: string;
  /** The execution input as given; null when it was not stored as JSON. */
  input: unknown;
  plan: unknown;
  startedAt?: string;
  finishedAt?: string;
  /** The run summary Report wrote, when it closed the run. */
  summary?: unknown;
  /** The API calls a local run made (saved after the run for its report). */
  apiCalls?: unknown;
}

export interface EntityRecord {
  company: string;
  entity: string;
  status: 'extracted' | 'failed' | 'skipped' | 'pending';
  extracted: number;
  skipped: number;
  pages: number;
  failedPages: number;
  error?: string;
  /** When the entity's extract (or skip) was recorded, ISO 8601; absent on records written before it was kept. */
  at?: string;
  /** Rows Extract found as Salesforce last acknowledged them: not staged. */
  unchanged?: number;
  /** Rows rejected in an earlier run and unchanged since: not staged, counted rejected again. */
  rejectedBefore?: number;
  /** Keys that left the view and exist in Salesforce: staged for removal (delete or deactivate). */
  toRemove?: number;
  /** Of those, removed (acknowledged by Salesforce) and failed, as the Remove step counts them. */
  removed?: number;
  removeFailed?: number;
}

/** When a page was first staged by extract, transformed, upserted or failed (ISO 8601). */
export interface PageTimes {
  extractedAt?: string;
  transformedAt?: string;
  upsertedAt?: string;
  failedAt?: string;
}

export interface PageRecord extends Required<PageCounts>, PageTimes {
  company: string;
  entity: string;
  page: number;
  status: 'transformed' | 'upserted' | 'failed';
  error?: string;
}

const stagePk = (runId: string, company: string, entity: string) => `STAGE#${runId}#${company}#${entity}`;
const runPk = (runId: string) => `RUN#${runId}`;
/** The Upsert's progress keeps its historical key; the Remove step's has its own. */
const progressSk = (kind: StageKind, page: number) =>
  kind === 'DEL' ? `PROGDEL#${pad(page)}` : `PROG#${pad(page)}`;

/** Everything sf-sync keeps in its one DynamoDB table. */
export class SyncStore {
  constructor(
    readonly table: Table,
    readonly ttlHours = 48,
  ) {}

  private ttl(): number {
    return Math.floor(Date.now() / 1000) + this.ttlHours * 3600;
  }

  // ---- staging -------------------------------------------------------------------------

  async putStage(
    runId: string,
    company: string,
    entity: string,
    kind: StageKind,
    page: number,
    data: unknown[],
  ): Promise<void> {
    const body = gzipSync(Buffer.from(JSON.stringify(data)));
    const parts = Math.max(1, Math.ceil(body.length / PART_BYTES));
    const items: Item[] = [];
    for (let p = 0; p < parts; p += 1) {
      items.push({
        pk: S(stagePk(runId, company, entity)),
        sk: S(`${kind}#${pad(page)}#${pad(p, 3)}`),
        parts: N(parts),
        data: { B: body.subarray(p * PART_BYTES, (p + 1) * PART_BYTES) },
        ttl: N(this.ttl()),
      });
    }
    await this.table.batchPut(items);
  }

  async getStage<T>(
    runId: string,
    company: string,
    entity: string,
    kind: StageKind,
    page: number,
  ): Promise<T[]> {
    const items = await this.table.query(stagePk(runId, company, entity), `${kind}#${pad(page)}#`);
    const expected = num(items[0], 'parts');
    if (items.length === 0 || items.length !== expected) {
      throw new StoreStateError(
        `Staged ${kind} page ${page} of ${company}/${entity} in run ${runId} is missing or incomplete (${items.length}/${expected} parts); it may have expired`,
      );
    }
    const body = Buffer.concat(items.map((i) => Buffer.from(i.data?.B ?? new Uint8Array())));
    return JSON.parse(gunzipSync(body).toString('utf8')) as T[];
  }

  async getProgress(
    runId: string,
    company: string,
    entity: string,
    page: number,
    kind: StageKind = 'OUT',
  ): Promise<string | undefined> {
    return str(await this.table.get(stagePk(runId, company, entity), progressSk(kind, page)), 'outcomes');
  }

  async putProgress(
    runId: string,
    company: string,
    entity: string,
    page: number,
    outcomes: string,
    kind: StageKind = 'OUT',
  ): Promise<void> {
    await this.table.put({
      pk: S(stagePk(runId, company, entity)),
      sk: S(progressSk(kind, page)),
      outcomes: S(outcomes),
      ttl: N(this.ttl()),
    });
  }

  // ---- mappings ------------------------------------------------------------------------

  async getMappings(company: string, entity: string, keys: string[]): Promise<Map<string, Mapping>> {
    const unique = [...new Set(keys)];
    const items = await this.table.batchGet(unique.map((k) => ({ pk: `MAP#${company}#${entity}`, sk: k })));
    return new Map(items.map((i) => [str(i, 'sk') ?? '', mappingOf(i)]));
  }

  /** Every record of an entity the sync holds Salesforce's last answer for, in key order. */
  async listMappings(company: string, entity: string): Promise<Mapping[]> {
    return (await this.table.query(`MAP#${company}#${entity}`)).map(mappingOf);
  }

  async putMappings(company: string, entity: string, mappings: Mapping[]): Promise<void> {
    const at = new Date().toISOString();
    await this.table.batchPut(
      mappings.map((m) => ({
        pk: S(`MAP#${company}#${entity}`),
        sk: S(m.key),
        hash: S(m.hash),
        status: S(m.status),
        runId: S(m.runId),
        at: S(at),
        ...(m.sfId ? { sfId: S(m.sfId) } : {}),
      })),
    );
  }

  // ---- failures --------------------------------------------------------------------------

  async putFailures(
    runId: string,
    company: string,
    entity: string,
    failures: RecordFailure[],
  ): Promise<void> {
    // Rows sharing a key (a duplicate key in the source) make one failure item: a batch may not hold a key twice.
    const rows = new Map<string, number>();
    for (const f of failures) rows.set(f.key, (rows.get(f.key) ?? 0) + 1);
    const unique = [...new Map(failures.map((f) => [f.key, f] as const)).values()];
    await this.table.batchPut(
      unique.map((f) => ({
        pk: S(`FAIL#${runId}`),
        sk: S(`${company}#${entity}#${f.key}`),
        bucket: S(f.bucket),
        code: S(f.code),
        message: S(
          `${f.message.slice(0, 2000)}${(rows.get(f.key) ?? 1) > 1 ? ` [${rows.get(f.key)} rows]` : ''}`,
        ),
        ...(f.fields && f.fields.length > 0 ? { fields: S(f.fields.join(',')) } : {}),
        ttl: N(Math.floor(Date.now() / 1000) + 90 * 24 * 3600),
      })),
    );
  }

  async getFailures(runId: string): Promise<Array<RecordFailure & { company: string; entity: string }>> {
    const items = await this.table.query(`FAIL#${runId}`);
    return items.map((i) => {
      const [company = '', entity = '', ...rest] = (str(i, 'sk') ?? '').split('#');
      const fields = str(i, 'fields');
      return {
        company,
        entity,
        key: rest.join('#'),
        bucket: str(i, 'bucket') as 'rejected' | 'failed',
        code: str(i, 'code') ?? '',
        message: str(i, 'message') ?? '',
        ...(fields ? { fields: fields.split(',') } : {}),
      };
    });
  }

  // ---- runs ----------------------------------------------------------------------------

  async openRun(runId: string, input: unknown, plan: unknown): Promise<void> {
    const startedAt = new Date().toISOString();
    await this.table.put({
      pk: S(runPk(runId)),
      sk: S('RUN'),
      status: S('RUNNING'),
      input: S(JSON.stringify(input)),
      plan: S(JSON.stringify(plan)),
      startedAt: S(startedAt),
    });
    await this.table.put({ pk: S('RUNS'), sk: S(`${startedAt}#${runId}`), runId: S(runId) });
  }

  /** The run's record (what Plan opened and Report closed), or undefined when there is no such run. */
  async getRun(runId: string): Promise<RunRecord | undefined> {
    const item = await this.table.get(runPk(runId), 'RUN');
    return item ? toRunRecord(runId, item) : undefined;
  }

  async closeRun(runId: string, status: string, summary: unknown): Promise<void> {
    await this.table.update(runPk(runId), 'RUN', {
      UpdateExpression: 'SET #s = :s, finishedAt = :f, summary = :sum',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: {
        ':s': S(status),
        ':f': S(new Date().toISOString()),
        ':sum': S(JSON.stringify(summary)),
      },
    });
  }

  async listRuns(limit = 20): Promise<string[]> {
    const items = await this.table.query('RUNS', undefined, { ScanIndexForward: false, Limit: limit });
    return items.slice(0, limit).map((i) => str(i, 'runId') ?? '');
  }

  async setEntity(runId: string, record: EntityRecord): Promise<void> {
    await this.table.update(runPk(runId), `ENT#${record.company}#${record.entity}`, {
      UpdateExpression:
        'SET #s = :s, extracted = :e, skipped = :k, pages = :p, company = :c, entity = :n, #err = :err, #at = :at, unchanged = :u, rejectedBefore = :rb, toRemove = :tr',
      ExpressionAttributeNames: { '#s': 'status', '#err': 'error', '#at': 'at' },
      ExpressionAttributeValues: {
        ':u': N(record.unchanged ?? 0),
        ':rb': N(record.rejectedBefore ?? 0),
        ':tr': N(record.toRemove ?? 0),
        ':at': S(new Date().toISOString()),
        ':s': S(record.status),
        ':e': N(record.extracted),
        ':k': N(record.skipped),
        ':p': N(record.pages),
        ':c': S(record.company),
        ':n': S(record.entity),
        ':err': S(record.error ?? ''),
      },
    });
  }

  async failEntity(runId: string, company: string, entity: string, error: string): Promise<void> {
    await this.table.update(runPk(runId), `ENT#${company}#${entity}`, {
      UpdateExpression: 'SET #s = :s, #err = :err, company = :c, entity = :n',
      ExpressionAttributeNames: { '#s': 'status', '#err': 'error' },
      ExpressionAttributeValues: { ':s': S('failed'), ':err': S(error), ':c': S(company), ':n': S(entity) },
    });
  }

  async addFailedPage(runId: string, company: string, entity: string): Promise<void> {
    await this.table.update(runPk(runId), `ENT#${company}#${entity}`, {
      UpdateExpression: 'ADD failedPages :one SET company = :c, entity = :n',
      ExpressionAttributeValues: { ':one': N(1), ':c': S(company), ':n': S(entity) },
    });
  }

  /** Adds what one Remove round settled to the entity's counts. */
  async addRemoved(
    runId: string,
    company: string,
    entity: string,
    removed: number,
    failed: number,
  ): Promise<void> {
    await this.table.update(runPk(runId), `ENT#${company}#${entity}`, {
      UpdateExpression: 'ADD removed :r, removeFailed :f',
      ExpressionAttributeValues: { ':r': N(removed), ':f': N(failed) },
    });
  }

  async getEntity(runId: string, company: string, entity: string): Promise<EntityRecord | undefined> {
    const item = await this.table.get(runPk(runId), `ENT#${company}#${entity}`);
    return item ? toEntityRecord(item) : undefined;
  }

  async getEntities(runId: string, company: string): Promise<EntityRecord[]> {
    const items = await this.table.query(runPk(runId), `ENT#${company}#`);
    return items.map(toEntityRecord);
  }

  async setPage(
    runId: string,
    company: string,
    entity: string,
    page: number,
    fields: Partial<PageRecord>,
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Item = {};
    const sets: string[] = [];
    for (const [k, v] of Object.entries({ ...fields, company, entity, page })) {
      if (v === undefined) continue;
      names[`#${k}`] = k;
      values[`:${k}`] = typeof v === 'number' ? N(v) : S(String(v));
      sets.push(`#${k} = :${k}`);
    }
    // The first time a page reaches a step is kept (a retry does not move it): the report's timeline.
    const stamp = fields.status
      ? `${fields.status}At`
      : fields.rows !== undefined
        ? 'extractedAt'
        : undefined;
    if (stamp) {
      names[`#${stamp}`] = stamp;
      values[':now'] = S(new Date().toISOString());
      sets.push(`#${stamp} = if_not_exists(#${stamp}, :now)`);
    }
    await this.table.update(runPk(runId), `PAGE#${company}#${entity}#${pad(page)}`, {
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  async getPage(
    runId: string,
    company: string,
    entity: string,
    page: number,
  ): Promise<PageRecord | undefined> {
    const item = await this.table.get(runPk(runId), `PAGE#${company}#${entity}#${pad(page)}`);
    return item ? toPageRecord(item) : undefined;
  }

  async getPages(runId: string, company: string, entity: string): Promise<PageRecord[]> {
    const items = await this.table.query(runPk(runId), `PAGE#${company}#${entity}#`);
    return items.map(toPageRecord);
  }

  async failCompany(runId: string, company: string, error: string): Promise<void> {
    await this.table.put({
      pk: S(runPk(runId)),
      sk: S(`CO#${company}`),
      company: S(company),
      error: S(error),
    });
  }

  /** Everything recorded for a run: entities, pages and company failures. */
  async getRunDetail(
    runId: string,
  ): Promise<{ entities: EntityRecord[]; pages: PageRecord[]; companyFailures: Map<string, string> }> {
    const items = await this.table.query(runPk(runId));
    const entities: EntityRecord[] = [];
    const pages: PageRecord[] = [];
    const companyFailures = new Map<string, string>();
    for (const i of items) {
      const sk = str(i, 'sk') ?? '';
      if (sk.startsWith('ENT#')) entities.push(toEntityRecord(i));
      else if (sk.startsWith('PAGE#')) pages.push(toPageRecord(i));
      else if (sk.startsWith('CO#')) companyFailures.set(str(i, 'company') ?? '', str(i, 'error') ?? '');
    }
    return { entities, pages, companyFailures };
  }

  // ---- token cache -----------------------------------------------------------------------

  /** The sealed (encrypted) token of `ref`; the store never sees a usable token. */
  async getSealedToken(ref: string): Promise<SealedToken | undefined> {
    const item = await this.table.get('TOKEN', ref);
    const sealed = item ? str(item, 'sealed') : undefined;
    if (!item || !sealed) return undefined; // none, or a plain-text entry from before: never used
    return { sealed, expiresAt: num(item, 'expiresAt') };
  }

  async putSealedToken(ref: string, token: SealedToken): Promise<void> {
    await this.table.put({
      pk: S('TOKEN'),
      sk: S(ref),
      sealed: S(token.sealed),
      expiresAt: N(token.expiresAt),
      ttl: N(Math.ceil(token.expiresAt / 1000)),
    });
  }
}

/** An attribute holding JSON text, parsed; undefined when absent or not JSON. */
function json(item: Item, name: string): unknown {
  const text = str(item, name);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function toRunRecord(runId: string, i: Item): RunRecord {
  const startedAt = str(i, 'startedAt');
  const finishedAt = str(i, 'finishedAt');
  const summary = json(i, 'summary');
  const apiCalls = json(i, 'apiCalls');
  return {
    runId,
    status: str(i, 'status') ?? 'UNKNOWN',
    input: json(i, 'input') ?? null,
    plan: json(i, 'plan') ?? null,
    ...(startedAt ? { startedAt } : {}),
    ...(finishedAt ? { finishedAt } : {}),
    ...(summary === undefined ? {} : { summary }),
    ...(apiCalls === undefined ? {} : { apiCalls }),
  };
}

function toEntityRecord(i: Item): EntityRecord {
  const error = str(i, 'error');
  const at = str(i, 'at');
  return {
    company: str(i, 'company') ?? '',
    entity: str(i, 'entity') ?? '',
    status: (str(i, 'status') as EntityRecord['status']) ?? 'pending',
    extracted: num(i, 'extracted'),
    skipped: num(i, 'skipped'),
    pages: num(i, 'pages'),
    failedPages: num(i, 'failedPages'),
    unchanged: num(i, 'unchanged'),
    rejectedBefore: num(i, 'rejectedBefore'),
    toRemove: num(i, 'toRemove'),
    removed: num(i, 'removed'),
    removeFailed: num(i, 'removeFailed'),
    ...(error ? { error } : {}),
    ...(at ? { at } : {}),
  };
}

function toPageRecord(i: Item): PageRecord {
  const error = str(i, 'error');
  return {
    company: str(i, 'company') ?? '',
    entity: str(i, 'entity') ?? '',
    page: num(i, 'page'),
    status: (str(i, 'status') as PageRecord['status']) ?? 'transformed',
    rows: num(i, 'rows'),
    unchanged: num(i, 'unchanged'),
    rejected: num(i, 'rejected'),
    toSend: num(i, 'toSend'),
    created: num(i, 'created'),
    updated: num(i, 'updated'),
    failed: num(i, 'failed'),
    ...(error ? { error } : {}),
    ...pageTimes(i),
  };
}

function pageTimes(i: Item): PageTimes {
  const times: PageTimes = {};
  for (const k of ['extractedAt', 'transformedAt', 'upsertedAt', 'failedAt'] as const) {
    const v = str(i, k);
    if (v) times[k] = v;
  }
  return times;
}
