/**
 * The REST resources under `/services/data/vXX.X/`: a route table (method + path pattern →
 * endpoint key, minimum API version, handler) and the handlers. Handlers are synchronous: a
 * request's reads and writes happen in one turn of the event loop, so each is atomic.
 */
import type { BulkJobs } from './bulk.js';
import { describeBasic, describeGlobal, describeObject } from './describe.js';
import { type DmlContext, deleteRecords, type WriteResult, writeRecords } from './dml.js';
import { allowSaveFrom } from './duplicates.js';
import {
  ApiError,
  invalidType,
  jsonParserError,
  methodNotAllowed,
  noSuchColumn,
  notFound,
} from './errors.js';
import { normalizeId } from './ids.js';
import { type JsonPath, locateJsonValue, parseJsonBody } from './json.js';
import { prepareJsonRecord } from './prepare.js';
import type { QueryEngine } from './query.js';
import type { FieldDef, ObjectDef } from './schema.js';
import type { SObjectRecord } from './store.js';
import type { Usage } from './usage.js';

export interface RestContext extends DmlContext {
  query: QueryEngine;
  bulk: BulkJobs;
  usage: Usage;
}

export interface RestRequest {
  method: string;
  /** Path segments after /services/data/vXX.X/, decoded. */
  segments: string[];
  search: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  apiVersion: string;
}

export interface Reply {
  status: number;
  json?: unknown;
  text?: string;
  contentType?: string;
}

export interface Route {
  key: string;
  minVersion: number;
  handle: (ctx: RestContext, req: RestRequest) => Reply;
}

const ok = (json: unknown, status = 200): Reply => ({ status, json });
const noContent = (): Reply => ({ status: 204 });

function parseBody(req: RestRequest): unknown {
  const parsed = parseJsonBody(req.body);
  if (!parsed.ok) throw jsonParserError(parsed.message);
  return parsed.value;
}

const locator = (req: RestRequest) => (path: JsonPath) => {
  const at = locateJsonValue(req.body, path);
  return ` at [line:${at.line}, column:${at.column}]`;
};

/** The request's `Sforce-Duplicate-Rule-Header` says allowSave=true. */
const allowSave = (req: RestRequest): boolean => allowSaveFrom(req.headers['sforce-duplicate-rule-header']);

function objectNamed(ctx: DmlContext, name: string): ObjectDef {
  const object = ctx.schema.byLower.get(name.toLowerCase());
  if (!object) throw notFound();
  return object;
}

function asRecordBody(value: unknown, what: string): Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) {
    throw jsonParserError(
      `Cannot deserialize instance of ${what} from ${Array.isArray(value) ? 'START_ARRAY' : 'VALUE'} token at [line:1, column:1]`,
    );
  }
  return value as Record<string, unknown>;
}

/** A failed single-record write as the REST error array (errorCode, not statusCode). */
function singleFailure(result: WriteResult, status = 400): ApiError {
  const first = result.errors[0];
  const error = new ApiError(
    status,
    first?.statusCode ?? 'UNKNOWN_EXCEPTION',
    first?.message ?? 'unknown error',
    first?.fields ?? [],
  );
  (error as ApiError & { all?: WriteResult['errors'] }).all = result.errors;
  return error;
}

function recordView(
  object: ObjectDef,
  record: SObjectRecord,
  v: string,
  fields?: FieldDef[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    attributes: {
      type: object.name,
      url: `/services/data/v${v}/sobjects/${object.name}/${String(record.Id)}`,
    },
  };
  for (const f of fields ?? object.fields) out[f.name] = record[f.name] ?? null;
  return out;
}

function requestedFields(object: ObjectDef, search: URLSearchParams): FieldDef[] | undefined {
  const list = search.get('fields');
  if (list === null || list.trim() === '') return undefined;
  return list.split(',').map((name) => {
    const field = object.fieldsByLower.get(name.trim().toLowerCase());
    if (!field) throw noSuchColumn(name.trim(), object.name);
    return field;
  });
}

/** The unique field named in /sobjects/X/{field}/{value}; Salesforce answers 404 for anything else. */
function externalIdField(object: ObjectDef, name: string): FieldDef {
  const field = object.fieldsByLower.get(name.toLowerCase());
  if (!field || (!field.externalId && !field.unique)) {
    throw new ApiError(
      404,
      'NOT_FOUND',
      `Provided external ID field does not exist or is not accessible: ${name}`,
    );
  }
  return field;
}

function findByIdOr404(ctx: DmlContext, object: ObjectDef, idText: string): SObjectRecord {
  const id = normalizeId(idText);
  const record = id ? ctx.store.get(object.name, id) : undefined;
  if (!record) throw notFound();
  return record;
}

// --- single records ---

function createOne(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[1] as string);
  const body = asRecordBody(parseBody(req), object.name);
  const prepared = prepareJsonRecord(ctx.schema, object, body, [], locator(req));
  const change = ctx.store.begin();
  const [result] = writeRecords(ctx, change, 'insert', [prepared], {
    allOrNone: true,
    allowSave: allowSave(req),
  });
  if (!result?.success) throw singleFailure(result as WriteResult);
  change.commit();
  return ok({ id: result.id, success: true, errors: [] }, 201);
}

function readOne(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[1] as string);
  const fields = requestedFields(object, req.search);
  const record = findByIdOr404(ctx, object, req.segments[2] as string);
  return ok(recordView(object, record, req.apiVersion, fields));
}

function updateOne(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[1] as string);
  const record = findByIdOr404(ctx, object, req.segments[2] as string);
  const body = asRecordBody(parseBody(req), object.name);
  if (Object.keys(body).some((k) => k.toLowerCase() === 'id')) {
    throw new ApiError(400, 'INVALID_FIELD', 'The Id field should not be specified in the sobject data.');
  }
  const prepared = prepareJsonRecord(ctx.schema, object, body, [], locator(req));
  prepared.id = record.Id as string;
  const change = ctx.store.begin();
  const [result] = writeRecords(ctx, change, 'update', [prepared], {
    allOrNone: true,
    allowSave: allowSave(req),
  });
  if (!result?.success) throw singleFailure(result as WriteResult);
  change.commit();
  return noContent();
}

function deleteOne(ctx: RestContext, req: RestRequest, record: SObjectRecord, object: ObjectDef): Reply {
  const change = ctx.store.begin();
  const [result] = deleteRecords(ctx, change, object, [record.Id as string], true);
  if (!result?.success) throw singleFailure(result as WriteResult);
  change.commit();
  void req;
  return noContent();
}

function readByExternalId(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[1] as string);
  const field = externalIdField(object, req.segments[2] as string);
  const record = ctx.store.findUnique(object.name, field, req.segments[3] as string);
  if (!record) throw notFound();
  return ok(recordView(object, record, req.apiVersion, requestedFields(object, req.search)));
}

function upsertOne(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[1] as string);
  const field = externalIdField(object, req.segments[2] as string);
  const value = req.segments[3] as string;
  const body = asRecordBody(parseBody(req), object.name);
  const prepared = prepareJsonRecord(ctx.schema, object, body, [], locator(req));
  prepared.values.set(field, value);
  const change = ctx.store.begin();
  const [result] = writeRecords(ctx, change, 'upsert', [prepared], {
    allOrNone: true,
    externalIdField: field,
    allowSave: allowSave(req),
  });
  if (!result?.success) throw singleFailure(result as WriteResult);
  change.commit();
  if (Number(req.apiVersion) < 46) {
    return result.created ? ok({ id: result.id, success: true, errors: [] }, 201) : noContent();
  }
  return ok(
    { id: result.id, success: true, errors: [], created: result.created },
    result.created ? 201 : 200,
  );
}

// --- sObject Collections ---

interface CollectionBody {
  allOrNone: boolean;
  records: Array<Record<string, unknown>>;
}

function collectionBody(req: RestRequest): CollectionBody {
  const body = parseBody(req);
  if (!body || typeof body !== 'object' || Array.isArray(body)) {
    throw jsonParserError(
      'The request body must be a JSON object {"allOrNone": boolean, "records": [...]} at [line:1, column:1]',
    );
  }
  const { allOrNone, records } = body as Record<string, unknown>;
  if (allOrNone !== undefined && allOrNone !== null && typeof allOrNone !== 'boolean') {
    throw jsonParserError(
      `Cannot deserialize instance of boolean from VALUE_STRING value ${String(allOrNone)} or request may be missing a required field${locator(req)(['allOrNone'])}`,
    );
  }
  if (!Array.isArray(records)) {
    throw jsonParserError(
      `Cannot deserialize instance of list from ${records === undefined ? 'missing "records"' : 'non-array "records"'} value or request may be missing a required field at [line:1, column:1]`,
    );
  }
  if (records.length > 200) {
    throw new ApiError(
      400,
      'EXCEEDED_ID_LIMIT',
      'record limit reached. cannot submit more than 200 records into this call',
    );
  }
  records.forEach((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) {
      throw jsonParserError(
        `Cannot deserialize instance of SObject from ${Array.isArray(r) ? 'START_ARRAY' : 'VALUE'} value${locator(req)(['records', i])}`,
      );
    }
  });
  return { allOrNone: allOrNone === true, records: records as Array<Record<string, unknown>> };
}

/** The object a collection record says it is (attributes.type), checked against the schema. */
function recordType(
  ctx: DmlContext,
  record: Record<string, unknown>,
  index: number,
  required: ObjectDef | undefined,
): ObjectDef {
  const attributes = record.attributes as { type?: unknown } | undefined;
  const type = attributes && typeof attributes === 'object' ? attributes.type : undefined;
  if (typeof type !== 'string' || type === '') {
    if (required) return required;
    throw new ApiError(
      400,
      'INVALID_TYPE',
      `Record ${index} has no attributes.type; each record must contain an attributes map with the sObject type`,
    );
  }
  const object = ctx.schema.byLower.get(type.toLowerCase());
  if (!object) throw invalidType(type);
  if (required && object !== required) {
    throw new ApiError(
      400,
      'INVALID_TYPE',
      `Record ${index} is of type ${object.name}; this request accepts ${required.name} records only`,
    );
  }
  return object;
}

function collectionWrite(
  ctx: RestContext,
  req: RestRequest,
  operation: 'insert' | 'update' | 'upsert',
): Reply {
  const body = collectionBody(req);
  let fixed: ObjectDef | undefined;
  let externalIdFieldDef: FieldDef | undefined;
  if (operation === 'upsert') {
    fixed = objectNamed(ctx, req.segments[2] as string);
    const name = req.segments[3] as string;
    const field = fixed.fieldsByLower.get(name.toLowerCase());
    if (!field) throw noSuchColumn(name, fixed.name);
    if (!field.externalId) {
      throw new ApiError(
        400,
        'INVALID_FIELD',
        `Field ${field.name} is not an External ID or indexed field for ${fixed.name}`,
      );
    }
    externalIdFieldDef = field;
  }
  const locate = locator(req);
  const prepared = body.records.map((record, i) => {
    const object = recordType(ctx, record, i, fixed);
    return prepareJsonRecord(ctx.schema, object, record, ['records', i], locate, {
      allowId: operation === 'update',
    });
  });
  const change = ctx.store.begin();
  const results = writeRecords(ctx, change, operation, prepared, {
    allOrNone: body.allOrNone,
    allowSave: allowSave(req),
    ...(externalIdFieldDef ? { externalIdField: externalIdFieldDef } : {}),
  });
  change.commit();
  return ok(results);
}

function collectionDelete(ctx: RestContext, req: RestRequest): Reply {
  const ids = (req.search.get('ids') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length === 0)
    throw new ApiError(400, 'MISSING_ARGUMENT', 'ids parameter is required: ?ids=id1,id2');
  if (ids.length > 200) {
    throw new ApiError(
      400,
      'EXCEEDED_ID_LIMIT',
      'record limit reached. cannot submit more than 200 records into this call',
    );
  }
  const change = ctx.store.begin();
  const results = deleteRecords(ctx, change, undefined, ids, req.search.get('allOrNone') === 'true');
  change.commit();
  return ok(results.map((r, i) => (r.success ? r : { id: ids[i], ...r })));
}

function collectionRetrieve(ctx: RestContext, req: RestRequest): Reply {
  const object = objectNamed(ctx, req.segments[2] as string);
  let ids: string[];
  let fieldNames: string[];
  if (req.method === 'POST') {
    const body = asRecordBody(parseBody(req), 'request');
    ids = Array.isArray(body.ids) ? body.ids.map(String) : [];
    fieldNames = Array.isArray(body.fields) ? body.fields.map(String) : [];
  } else {
    ids = (req.search.get('ids') ?? '').split(',').filter(Boolean);
    fieldNames = (req.search.get('fields') ?? '').split(',').filter(Boolean);
  }
  if (ids.length === 0 || fieldNames.length === 0) {
    throw new ApiError(400, 'MISSING_ARGUMENT', 'ids and fields are required');
  }
  if (ids.length > 2000)
    throw new ApiError(400, 'EXCEEDED_ID_LIMIT', 'cannot retrieve more than 2000 records in one call');
  const fields = fieldNames.map((name) => {
    const field = object.fieldsByLower.get(name.trim().toLowerCase());
    if (!field) throw noSuchColumn(name.trim(), object.name);
    return field;
  });
  return ok(
    ids.map((idText) => {
      const id = normalizeId(idText.trim());
      const record = id ? ctx.store.get(object.name, id) : undefined;
      return record ? recordView(object, record, req.apiVersion, fields) : null;
    }),
  );
}

// --- query, limits, resources ---

function batchSize(req: RestRequest): number {
  const header = req.headers['sforce-query-options'];
  const m = /batchSize\s*=\s*(\d+)/i.exec(Array.isArray(header) ? header.join(',') : (header ?? ''));
  return m ? Math.min(2000, Math.max(200, Number(m[1]))) : 2000;
}

function query(ctx: RestContext, req: RestRequest): Reply {
  if (req.segments.length === 2) return ok(ctx.query.more(req.segments[1] as string, req.apiVersion));
  const soql = req.search.get('q');
  if (soql === null || soql.trim() === '') {
    throw new ApiError(400, 'MALFORMED_QUERY', 'A query string has to be specified');
  }
  return ok(ctx.query.run(soql, req.apiVersion, batchSize(req)));
}

function limits(ctx: RestContext): Reply {
  const max = ctx.usage.limit;
  const used = ctx.usage.used();
  const pair = (m: number, r: number) => ({ Max: m, Remaining: r });
  return ok({
    ConcurrentAsyncGetReportInstances: pair(200, 200),
    DailyApiRequests: pair(max, Math.max(0, max - used)),
    DailyAsyncApexExecutions: pair(250000, 250000),
    DailyBulkApiBatches: pair(15000, 15000),
    DailyBulkV2QueryFileStorageMB: pair(976562, 976562),
    DailyBulkV2QueryJobs: pair(10000, 10000),
    DataStorageMB: pair(1024, 1024),
    FileStorageMB: pair(1024, 1024),
  });
}

function resources(req: RestRequest): Reply {
  const base = `/services/data/v${req.apiVersion}`;
  return ok({
    composite: `${base}/composite`,
    jobs: `${base}/jobs`,
    limits: `${base}/limits`,
    query: `${base}/query`,
    queryAll: `${base}/queryAll`,
    sobjects: `${base}/sobjects`,
  });
}

// --- Bulk API 2.0 ingest ---

function bulkState(ctx: RestContext, req: RestRequest): Reply {
  return ok(ctx.bulk.setState(req.segments[2] as string, parseBody(req)));
}

function bulkUpload(ctx: RestContext, req: RestRequest): Reply {
  const type = String(req.headers['content-type'] ?? '');
  if (!/^text\/csv\b/i.test(type)) {
    throw new ApiError(
      400,
      'INVALIDJOB',
      `Unsupported Content-Type ${type || '(none)'}; upload job data as text/csv`,
    );
  }
  ctx.bulk.upload(req.segments[2] as string, req.body);
  return { status: 201 };
}

const csvReply = (text: string): Reply => ({ status: 200, text, contentType: 'text/csv' });

// --- routing ---

type Pattern = string[];

interface RouteSpec {
  pattern: Pattern;
  methods: Record<
    string,
    { key: string | ((req: RestRequest) => string); minVersion?: number; handle: Route['handle'] }
  >;
}

/** `*` matches one segment; the literal 'describe' wins over `*` through ordering. */
const ROUTES: RouteSpec[] = [
  { pattern: [], methods: { GET: { key: 'resources', handle: (_c, r) => resources(r) } } },
  { pattern: ['limits'], methods: { GET: { key: 'limits', minVersion: 29, handle: (c) => limits(c) } } },
  {
    pattern: ['sobjects'],
    methods: {
      GET: { key: 'sobjects.describe', handle: (c, r) => ok(describeGlobal(c.schema, r.apiVersion)) },
    },
  },
  {
    pattern: ['sobjects', '*'],
    methods: {
      GET: {
        key: 'sobject.basic',
        handle: (c, r) => ok(describeBasic(objectNamed(c, r.segments[1] as string), r.apiVersion)),
      },
      POST: { key: 'sobject.create', handle: createOne },
    },
  },
  {
    pattern: ['sobjects', '*', 'describe'],
    methods: {
      GET: {
        key: 'sobject.describe',
        handle: (c, r) => ok(describeObject(c.schema, objectNamed(c, r.segments[1] as string), r.apiVersion)),
      },
    },
  },
  {
    pattern: ['sobjects', '*', '*'],
    methods: {
      GET: { key: 'sobject.read', handle: readOne },
      PATCH: { key: 'sobject.update', handle: updateOne },
      DELETE: {
        key: 'sobject.delete',
        handle: (c, r) => {
          const object = objectNamed(c, r.segments[1] as string);
          return deleteOne(c, r, findByIdOr404(c, object, r.segments[2] as string), object);
        },
      },
    },
  },
  {
    pattern: ['sobjects', '*', '*', '*'],
    methods: {
      GET: { key: 'sobject.readByExternalId', handle: readByExternalId },
      PATCH: { key: 'sobject.upsert', handle: upsertOne },
      DELETE: {
        key: 'sobject.deleteByExternalId',
        handle: (c, r) => {
          const object = objectNamed(c, r.segments[1] as string);
          const field = externalIdField(object, r.segments[2] as string);
          const record = c.store.findUnique(object.name, field, r.segments[3] as string);
          if (!record) throw notFound();
          return deleteOne(c, r, record, object);
        },
      },
    },
  },
  {
    pattern: ['composite', 'sobjects'],
    methods: {
      POST: {
        key: 'composite.sobjects.create',
        minVersion: 42,
        handle: (c, r) => collectionWrite(c, r, 'insert'),
      },
      PATCH: {
        key: 'composite.sobjects.update',
        minVersion: 42,
        handle: (c, r) => collectionWrite(c, r, 'update'),
      },
      DELETE: { key: 'composite.sobjects.delete', minVersion: 42, handle: collectionDelete },
    },
  },
  {
    pattern: ['composite', 'sobjects', '*'],
    methods: {
      GET: { key: 'composite.sobjects.retrieve', minVersion: 42, handle: collectionRetrieve },
      POST: { key: 'composite.sobjects.retrieve', minVersion: 42, handle: collectionRetrieve },
    },
  },
  {
    pattern: ['composite', 'sobjects', '*', '*'],
    methods: {
      PATCH: {
        key: 'composite.sobjects.upsert',
        minVersion: 46,
        handle: (c, r) => collectionWrite(c, r, 'upsert'),
      },
    },
  },
  { pattern: ['query'], methods: { GET: { key: 'query', handle: query } } },
  { pattern: ['query', '*'], methods: { GET: { key: 'query.more', handle: query } } },
  { pattern: ['queryAll'], methods: { GET: { key: 'queryAll', handle: query } } },
  { pattern: ['queryAll', '*'], methods: { GET: { key: 'queryAll.more', handle: query } } },
  {
    pattern: ['jobs', 'ingest'],
    methods: {
      POST: {
        key: 'bulk.ingest.create',
        minVersion: 41,
        handle: (c, r) => ok(c.bulk.create(parseBody(r), r.apiVersion)),
      },
      GET: { key: 'bulk.ingest.list', minVersion: 41, handle: (c) => ok(c.bulk.list()) },
    },
  },
  {
    pattern: ['jobs', 'ingest', '*'],
    methods: {
      GET: {
        key: 'bulk.ingest.info',
        minVersion: 41,
        handle: (c, r) => ok(c.bulk.info(r.segments[2] as string)),
      },
      PATCH: {
        key: (r) => {
          const state = /"state"\s*:\s*"(\w+)"/.exec(r.body)?.[1];
          return state === 'UploadComplete'
            ? 'bulk.ingest.uploadComplete'
            : state === 'Aborted'
              ? 'bulk.ingest.abort'
              : 'bulk.ingest.state';
        },
        minVersion: 41,
        handle: bulkState,
      },
      DELETE: {
        key: 'bulk.ingest.delete',
        minVersion: 41,
        handle: (c, r) => {
          c.bulk.delete(r.segments[2] as string);
          return noContent();
        },
      },
    },
  },
  {
    pattern: ['jobs', 'ingest', '*', 'batches'],
    methods: { PUT: { key: 'bulk.ingest.upload', minVersion: 41, handle: bulkUpload } },
  },
  {
    pattern: ['jobs', 'ingest', '*', 'successfulResults'],
    methods: {
      GET: {
        key: 'bulk.ingest.successfulResults',
        minVersion: 41,
        handle: (c, r) => csvReply(c.bulk.results(r.segments[2] as string, 'successful')),
      },
    },
  },
  {
    pattern: ['jobs', 'ingest', '*', 'failedResults'],
    methods: {
      GET: {
        key: 'bulk.ingest.failedResults',
        minVersion: 41,
        handle: (c, r) => csvReply(c.bulk.results(r.segments[2] as string, 'failed')),
      },
    },
  },
  {
    pattern: ['jobs', 'ingest', '*', 'unprocessedrecords'],
    methods: {
      GET: {
        key: 'bulk.ingest.unprocessedRecords',
        minVersion: 41,
        handle: (c, r) => csvReply(c.bulk.results(r.segments[2] as string, 'unprocessed')),
      },
    },
  },
];

function matches(pattern: Pattern, segments: string[]): boolean {
  if (pattern.length !== segments.length) return false;
  return pattern.every((p, i) => p === '*' || p === segments[i]);
}

/**
 * Finds the route of a request. Returns the endpoint key for counting and either the handler or
 * the error to answer (404 unknown resource or version too old, 405 wrong method).
 */
export function route(
  req: RestRequest,
): { key: string; handle: Route['handle'] } | { key: string; error: ApiError } {
  const candidates = ROUTES.filter((r) => matches(r.pattern, req.segments));
  // A literal segment beats a wildcard ('describe' vs an Id).
  candidates.sort(
    (a, b) => b.pattern.filter((p) => p !== '*').length - a.pattern.filter((p) => p !== '*').length,
  );
  const spec = candidates[0];
  if (!spec) return { key: 'notFound', error: notFound() };
  const method = spec.methods[req.method];
  if (!method) {
    return { key: 'methodNotAllowed', error: methodNotAllowed(req.method, Object.keys(spec.methods)) };
  }
  const key = typeof method.key === 'function' ? method.key(req) : method.key;
  if (Number(req.apiVersion) < (method.minVersion ?? 20)) return { key, error: notFound() };
  return { key, handle: method.handle };
}

/** The REST error array of an ApiError (with every error of a failed single-record write). */
export function errorBody(error: ApiError): unknown {
  const all = (error as ApiError & { all?: WriteResult['errors'] }).all;
  if (all && all.length > 1)
    return all.map((e) => ({ message: e.message, errorCode: e.statusCode, fields: e.fields }));
  return error.body();
}
