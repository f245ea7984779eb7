/**
 * Duplicate rules: a record matching an existing one under an active rule is refused with
 * `DUPLICATES_DETECTED` unless the request allows the save (`Sforce-Duplicate-Rule-Header:
 * allowSave=true`). The rule modelled is the Standard Account Duplicate Rule (action on create
 * and on edit: Allow, with Alert and Report — which blocks API saves without the header) over a
 * deterministic subset of the Standard Account Matching Rule: the company name matches after
 * normalisation AND at least one of the other fields (billing city, phone) matches; blank fields
 * never match. Company-name normalisation: accents, case and punctuation ignored, `&` read as
 * "and", trailing legal-form words dropped (Inc, Corp, LLC, Ltd, S.A., S.A.S., Ltda, …). Cities
 * compare normalised the same way (no suffixes); phones compare by their digits.
 */
import type { DuplicateRuleDef, FieldDef, ObjectDef } from './schema.js';
import type { SObjectRecord } from './store.js';
import { type RecordError, recordError, type StoredValue } from './values.js';

const LEGAL_FORMS = new Set([
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'llc',
  'ltd',
  'limited',
  'plc',
  'gmbh',
  'ag',
  'sa',
  'sas',
  'saa',
  'sl',
  'srl',
  'spa',
  'ltda',
  'cia',
  'bv',
  'nv',
]);

/** Lower case, no accents, `&` as "and", dots dropped (S.A.S. → sas), other punctuation as spaces. */
function words(text: string): string[] {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/\./g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()
    .split(' ')
    .filter(Boolean);
}

/** The company name as the matching rule compares it; '' when nothing is left. */
export function normalizeCompanyName(text: string): string {
  const w = words(text);
  while (w.length > 1 && LEGAL_FORMS.has(w[w.length - 1] as string)) w.pop();
  return w.join(' ');
}

function normalizeField(field: FieldDef, value: StoredValue | undefined): string {
  if (value === undefined || value === null) return '';
  const text = String(value);
  return field.type === 'phone' ? text.replace(/\D/g, '') : words(text).join(' ');
}

/** The key a record is indexed under for its object's duplicate rule ('' = never matches). */
export function duplicateKey(rule: DuplicateRuleDef, record: SObjectRecord): string {
  const name = record[rule.nameField.name];
  return typeof name === 'string' ? normalizeCompanyName(name) : '';
}

/** Whether two records with the same name key match on at least one other field. */
export function otherFieldsMatch(rule: DuplicateRuleDef, a: SObjectRecord, b: SObjectRecord): boolean {
  return rule.anyOf.some((field) => {
    const x = normalizeField(field, a[field.name]);
    return x !== '' && x === normalizeField(field, b[field.name]);
  });
}

/** The DUPLICATES_DETECTED error with the REST API's duplicateResult naming the matches. */
export function duplicatesDetected(
  rule: DuplicateRuleDef,
  object: ObjectDef,
  matches: SObjectRecord[],
): RecordError {
  return {
    ...recordError('DUPLICATES_DETECTED', rule.errorMessage, []),
    duplicateResult: {
      allowSave: true,
      duplicateRule: rule.name,
      duplicateRuleEntityType: object.name,
      errorMessage: rule.errorMessage,
      matchResults: [
        {
          entityType: object.name,
          errors: [],
          matchEngine: 'FuzzyMatchEngine',
          matchRecords: matches.map((m) => ({
            additionalInformation: [],
            fieldDiffs: [],
            matchConfidence: 100,
            record: { attributes: { type: object.name }, Id: m.Id },
          })),
          rule: rule.matchingRule,
          size: matches.length,
          success: true,
        },
      ],
    },
  };
}

/** Parses `Sforce-Duplicate-Rule-Header: allowSave=true; includeRecordDetails=false; …`. */
export function allowSaveFrom(header: string | string[] | undefined): boolean {
  const text = Array.isArray(header) ? header.join(';') : (header ?? '');
  return text.split(/[;,]/).some((part) => /^\s*allowSave\s*=\s*true\s*$/i.test(part));
}
