/**
 * Field-level security and declarative validation rules of a record being saved.
 *
 * FLS: a field the integration user cannot create (insert) or edit (update) fails the record with
 * `INVALID_FIELD_FOR_INSERT_UPDATE`, naming the fields. Validation rules (required-if, regex, range)
 * run on the record as it would be saved and fail it with `FIELD_CUSTOM_VALIDATION_EXCEPTION`, the
 * rule's message and its error field (none when the error shows at the top of the page).
 */
import { readOnlyMessage } from './prepare.js';
import type { Condition, FieldDef, ObjectDef, ValidationRule } from './schema.js';
import type { SObjectRecord } from './store.js';
import { type RecordError, recordError, type StoredValue } from './values.js';

/** Fields written by the request that the integration user may not write on this save. */
export function fieldSecurityErrors(written: Iterable<FieldDef>, creating: boolean): RecordError[] {
  const denied = [...written]
    .filter((f) => !f.system && !(creating ? f.createable : f.updateable))
    .map((f) => f.name);
  return denied.length === 0
    ? []
    : [recordError('INVALID_FIELD_FOR_INSERT_UPDATE', readOnlyMessage(denied), denied)];
}

const blank = (v: StoredValue | undefined): boolean => v === undefined || v === null || v === '';

function holds(condition: Condition, record: SObjectRecord): boolean {
  const value = record[condition.field];
  if ('notBlank' in condition) return !blank(value);
  return value === condition.equals;
}

function outside(
  value: StoredValue | undefined,
  min: number | string | undefined,
  max: number | string | undefined,
): boolean {
  if (blank(value)) return false;
  const v = value as string | number | boolean;
  if (typeof v === 'number')
    return (typeof min === 'number' && v < min) || (typeof max === 'number' && v > max);
  const text = String(v);
  return (min !== undefined && text < String(min)) || (max !== undefined && text > String(max));
}

function breaks(rule: ValidationRule, record: SObjectRecord): boolean {
  const value = record[rule.field];
  switch (rule.kind) {
    case 'requiredIf':
      return holds(rule.when, record) && blank(value);
    case 'regex':
      return !blank(value) && !rule.pattern.test(String(value));
    case 'range':
      return outside(value, rule.min, rule.max);
  }
}

/** The active validation rules the record breaks, in schema order. */
export function validationRuleErrors(object: ObjectDef, record: SObjectRecord): RecordError[] {
  return object.validationRules
    .filter((rule) => rule.active && breaks(rule, record))
    .map((rule) =>
      recordError(
        'FIELD_CUSTOM_VALIDATION_EXCEPTION',
        rule.errorMessage,
        rule.errorDisplayField ? [rule.errorDisplayField] : [],
      ),
    );
}
