/**
 * Writes records the way Salesforce's DML does, for REST (single record and sObject Collections)
 * and Bulk API 2.0 alike: in request order, each record succeeding or failing alone unless
 * `allOrNone`, with Salesforce's per-record status codes.
 */
import { duplicateKey, duplicatesDetected, otherFieldsMatch } from './duplicates.js';
import type { Faults } from './faults.js';
import { normalizeId } from './ids.js';
import { addressErrors, restrictedPicklistErrors } from './picklists.js';
import type { PreparedRecord } from './prepare.js';
import { childReferences, type FieldDef, type ObjectDef, type OrgSchema } from './schema.js';
import type { Change, SObjectRecord, Store } from './store.js';
import { fieldSecurityErrors, validationRuleErrors } from './validation.js';
import { formatDatetime, indexKey, type RecordError, recordError, type StoredValue } from './values.js';

export type Operation = 'insert' | 'update' | 'upsert' | 'delete';

export interface WriteResult {
  id?: string;
  success: boolean;
  errors: RecordError[];
  created?: boolean;
}

export interface DmlContext {
  schema: OrgSchema;
  store: Store;
  faults: Faults;
}

export interface WriteOptions {
  allOrNone: boolean;
  /** The external ID field matched by upserts. */
  externalIdField?: FieldDef;
  /** `Sforce-Duplicate-Rule-Header: allowSave=true`: save records that duplicate rules alert on. */
  allowSave?: boolean;
}

const ROLLED_BACK = recordError(
  'ALL_OR_NONE_OPERATION_ROLLED_BACK',
  'Record rolled back because not all records were valid and the request was using AllOrNone header',
);

const fail = (...errors: RecordError[]): WriteResult => ({ success: false, errors });

/** A fresh record with every field present (null, booleans false), in schema order. */
function blankRecord(object: ObjectDef): SObjectRecord {
  const record: SObjectRecord = {};
  for (const f of object.fields) record[f.name] = f.type === 'boolean' ? false : null;
  return record;
}

/** Checks a reference given by Id; returns the 18-character Id or an error. */
function checkReferenceId(ctx: DmlContext, field: FieldDef, value: string): string | RecordError {
  const id = normalizeId(value.trim());
  const target = ctx.schema.byLower.get((field.referenceTo ?? '').toLowerCase()) as ObjectDef;
  if (!id)
    return recordError('MALFORMED_ID', `${field.label}: id value of incorrect type: ${value}`, [field.name]);
  if (id.slice(0, 3) !== target.keyPrefix) {
    return recordError('FIELD_INTEGRITY_EXCEPTION', `${field.label}: id value of incorrect type: ${value}`, [
      field.name,
    ]);
  }
  if (!ctx.store.get(target.name, id)) {
    return recordError('INVALID_CROSS_REFERENCE_KEY', `invalid cross reference id`, [field.name]);
  }
  return id;
}

/** Resolves a parent given by external ID to its Id. */
function resolveRef(
  ctx: DmlContext,
  field: FieldDef,
  by: FieldDef,
  value: StoredValue,
): string | RecordError {
  const parent = ctx.schema.byLower.get((field.referenceTo ?? '').toLowerCase()) as ObjectDef;
  if (by.name === 'Id')
    return typeof value === 'string'
      ? checkReferenceId(ctx, field, value)
      : recordError('MALFORMED_ID', 'malformed id', [field.name]);
  const found = value === null ? undefined : ctx.store.findUnique(parent.name, by, value);
  if (!found) {
    return recordError(
      'INVALID_FIELD',
      `Foreign key external ID: ${value === null ? 'null' : String(value)} not found for field ${by.name} in entity ${parent.name}`,
    );
  }
  return found.Id as string;
}

/**
 * Checks a real org makes before validation rules, each behind its org setting: field-level
 * security, restricted picklists, state and country/territory picklists (which also sync codes and
 * names into `record`).
 */
function systemValidationErrors(
  ctx: DmlContext,
  item: PreparedRecord,
  values: Map<FieldDef, StoredValue>,
  record: SObjectRecord,
  creating: boolean,
): RecordError[] {
  const settings = ctx.schema.rules.settings;
  return [
    ...(settings.fieldLevelSecurity ? fieldSecurityErrors(values.keys(), creating) : []),
    ...(settings.restrictedPicklists ? restrictedPicklistErrors(item.values) : []),
    ...(settings.stateCountryPicklists ? addressErrors(item.object, item.values, record) : []),
  ];
}

/** Validation rules, then the duplicate rule, on the record as it would be saved. */
function orgRuleErrors(
  ctx: DmlContext,
  object: ObjectDef,
  record: SObjectRecord,
  options: WriteOptions,
): RecordError[] {
  const rules = ctx.schema.rules;
  if (rules.settings.validationRules) {
    const errors = validationRuleErrors(object, record);
    if (errors.length > 0) return errors;
  }
  const rule = object.duplicateRule;
  if (!rule || options.allowSave || !rules.duplicateRuleActive(object.name)) return [];
  const matches = ctx.store
    .duplicateCandidates(object.name, duplicateKey(rule, record))
    .filter((other) => other.Id !== record.Id && otherFieldsMatch(rule, record, other));
  return matches.length > 0 ? [duplicatesDetected(rule, object, matches)] : [];
}

function writeOne(
  ctx: DmlContext,
  change: Change,
  operation: Exclude<Operation, 'delete'>,
  item: PreparedRecord,
  options: WriteOptions,
  now: string,
): WriteResult {
  if (item.errors.length > 0) return fail(...item.errors);
  const object = item.object;
  let existing: SObjectRecord | undefined;
  if (operation === 'update') {
    if (item.id === undefined || item.id === '') {
      return fail(recordError('MISSING_ARGUMENT', 'Id not specified in an update call', ['Id']));
    }
    const id = normalizeId(item.id);
    if (!id)
      return fail(
        recordError('MALFORMED_ID', `${object.label} ID: id value of incorrect type: ${item.id}`, ['Id']),
      );
    existing = id.startsWith(object.keyPrefix) ? ctx.store.get(object.name, id) : undefined;
    if (!existing)
      return fail(recordError('INVALID_CROSS_REFERENCE_KEY', 'invalid cross reference id', ['Id']));
  } else if (operation === 'upsert') {
    const ext = options.externalIdField as FieldDef;
    const value = item.values.get(ext);
    if (value === undefined || value === null || value === '') {
      return fail(recordError('MISSING_ARGUMENT', `${ext.name} not specified`, [ext.name]));
    }
    existing = ctx.store.findUnique(object.name, ext, value);
  }
  if (ctx.faults.lockRow()) {
    return fail(
      recordError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record or 1 records'),
    );
  }
  const values = new Map(item.values);
  for (const [field, value] of values) {
    if (field.type === 'reference' && typeof value === 'string') {
      const id = checkReferenceId(ctx, field, value);
      if (typeof id !== 'string') return fail(id);
      values.set(field, id);
    }
  }
  for (const ref of item.refs) {
    const id = resolveRef(ctx, ref.field, ref.by, ref.value);
    if (typeof id !== 'string') return fail(id);
    values.set(ref.field, id);
  }
  const record: SObjectRecord = existing ? { ...existing } : blankRecord(object);
  for (const [field, value] of values) record[field.name] = value;
  const systemErrors = systemValidationErrors(ctx, item, values, record, !existing);
  if (systemErrors.length > 0) return fail(...systemErrors);
  const missing = object.fields.filter(
    (f) => f.required && (record[f.name] === null || record[f.name] === ''),
  );
  if (missing.length > 0) {
    const names = missing.map((f) => f.name);
    return fail(
      recordError('REQUIRED_FIELD_MISSING', `Required fields are missing: [${names.join(', ')}]`, names),
    );
  }
  const ruleErrors = orgRuleErrors(ctx, object, record, options);
  if (ruleErrors.length > 0) return fail(...ruleErrors);
  for (const field of object.uniqueFields) {
    const value = record[field.name] ?? null;
    if (indexKey(field, value) === undefined) continue;
    const holder = ctx.store.findUnique(object.name, field, value);
    if (holder && holder.Id !== record.Id) {
      return fail(
        recordError(
          'DUPLICATE_VALUE',
          `duplicate value found: ${field.name} duplicates value on record with id: ${holder.Id}`,
          [field.name],
        ),
      );
    }
  }
  const created = !existing;
  if (created) {
    record.Id = change.newId(object.name);
    record.CreatedDate = now;
  }
  record.LastModifiedDate = now;
  record.SystemModstamp = now;
  change.put(object.name, record);
  return operation === 'upsert'
    ? { id: record.Id as string, success: true, errors: [], created }
    : { id: record.Id as string, success: true, errors: [] };
}

function deleteOne(
  ctx: DmlContext,
  change: Change,
  object: ObjectDef | undefined,
  idText: string,
): WriteResult {
  const id = normalizeId(idText.trim());
  if (!id) return fail(recordError('MALFORMED_ID', `malformed id ${idText}`, []));
  const found = ctx.store.getAny(id);
  if (!found || (object && found.def.name !== object.name)) {
    return fail(recordError('ENTITY_IS_DELETED', 'entity is deleted', []));
  }
  if (ctx.faults.lockRow()) {
    return fail(
      recordError('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record or 1 records'),
    );
  }
  const children = childReferences(ctx.schema, found.def);
  for (const { object: child, field } of children) {
    if (!field.required) continue;
    for (const record of ctx.store.all(child.name)) {
      if (record[field.name] === id) {
        return fail(
          recordError(
            'DELETE_FAILED',
            `Your attempt to delete ${String(found.record.Name ?? id)} could not be completed because it is associated with the following ${child.labelPlural.toLowerCase()}.: ${String(record.Name ?? record.Id)}`,
          ),
        );
      }
    }
  }
  for (const { object: child, field } of children) {
    if (field.required) continue;
    for (const record of [...ctx.store.all(child.name)]) {
      if (record[field.name] === id) change.put(child.name, { ...record, [field.name]: null });
    }
  }
  change.remove(found.def.name, id);
  return { id, success: true, errors: [] };
}

/**
 * Writes prepared records in order inside `change` and returns one result per record. With
 * allOrNone, one failure undoes every write of the change and the others report
 * ALL_OR_NONE_OPERATION_ROLLED_BACK. The caller commits the change.
 */
export function writeRecords(
  ctx: DmlContext,
  change: Change,
  operation: Exclude<Operation, 'delete'>,
  items: PreparedRecord[],
  options: WriteOptions,
  nowMs: number = Date.now(),
): WriteResult[] {
  const now = formatDatetime(nowMs);
  const duplicates = new Set<number>();
  const ext = options.externalIdField;
  if (operation === 'upsert' && ext) {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const key = indexKey(ext, item.values.get(ext) ?? null);
      if (key === undefined) return;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else {
        duplicates.add(first);
        duplicates.add(i);
      }
    });
  }
  const results = items.map((item, i) =>
    duplicates.has(i)
      ? fail(
          recordError(
            'DUPLICATE_VALUE',
            `Duplicate external id specified: ${String(item.values.get(ext as FieldDef))}`,
            [(ext as FieldDef).name],
          ),
        )
      : writeOne(ctx, change, operation, item, options, now),
  );
  return options.allOrNone ? applyAllOrNone(change, results) : results;
}

/** Deletes records by Id (any type unless `object` is given). */
export function deleteRecords(
  ctx: DmlContext,
  change: Change,
  object: ObjectDef | undefined,
  ids: string[],
  allOrNone: boolean,
): WriteResult[] {
  const results = ids.map((id) => deleteOne(ctx, change, object, id));
  return allOrNone ? applyAllOrNone(change, results) : results;
}

function applyAllOrNone(change: Change, results: WriteResult[]): WriteResult[] {
  if (results.every((r) => r.success)) return results;
  change.rollback();
  return results.map((r) => (r.success ? { success: false, errors: [ROLLED_BACK] } : r));
}
