/**
 * Checks of one entity's mapping against its object's describe: fields, field-level security,
 * types, lengths, references, the external ID, required fields and state/country picklists.
 */
import type { EntityConfig } from '../config/load.js';
import type { FieldMapping } from '../config/schema.js';
import { type FieldDescribe, findField, type ObjectDescribe, TEXT_FIELD_TYPES } from './describe.js';
import { type Problem, problemError, problemWarning } from './problems.js';
import { mappingIntoField } from './types.js';

/** The Salesforce object each configured entity writes. */
export type ObjectOfEntity = (entity: string) => string | undefined;

function fieldKey(entity: string, field: string): string {
  return `entities.${entity}.fields.${field}`;
}

/** Field names that look like `name` (edit distance 2 or less, case ignored), for "did you mean". */
export function similarNames(name: string, candidates: string[]): string[] {
  const a = name.toLowerCase();
  return candidates.filter((c) => distance(a, c.toLowerCase()) <= 2).slice(0, 3);
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      row.push(Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost));
    }
    prev = row;
  }
  return prev[b.length] ?? 0;
}

function unknownField(object: ObjectDescribe, name: string, key: string): Problem {
  const near = similarNames(
    name,
    object.fields.map((f) => f.name),
  );
  return problemError(
    key,
    `${object.name} has no field ${name}`,
    near.length > 0
      ? `did you mean ${near.join(' or ')}? Field API names are in Setup > Object Manager > ${object.name} > Fields`
      : `use a field API name from Setup > Object Manager > ${object.name} > Fields, or create the field`,
  );
}

function security(entity: string, name: string, field: FieldDescribe): Problem[] {
  const denied = [!field.createable && 'create', !field.updateable && 'edit'].filter(Boolean);
  if (denied.length === 0) return [];
  return [
    problemError(
      fieldKey(entity, name),
      `the integration user cannot ${denied.join(' or ')} ${field.name} (field-level security: createable ${field.createable}, updateable ${field.updateable})`,
      `give the integration user's profile or permission set Edit access to ${field.name}, or remove the mapping`,
    ),
  ];
}

function reference(
  entity: string,
  name: string,
  mapping: FieldMapping,
  field: FieldDescribe,
  objectOf: ObjectDescribe,
  parentObject: string | undefined,
): Problem[] {
  const ref = mapping.ref;
  if (!ref) return [];
  const key = fieldKey(entity, name);
  if (field.type !== 'reference') {
    return [
      problemError(
        `${key}.ref`,
        `${field.name} is a ${field.type} field, not a lookup, so it cannot refer to ${ref.entity}`,
        `map the lookup field of ${objectOf.name} that points to ${parentObject ?? ref.entity}`,
      ),
    ];
  }
  const problems: Problem[] = [];
  if ((field.relationshipName ?? '').toLowerCase() !== ref.relationship.toLowerCase()) {
    problems.push(
      problemError(
        `${key}.ref.relationship`,
        `${objectOf.name}.${field.name} has no relationship named ${ref.relationship}`,
        `set "relationship": "${field.relationshipName ?? '(none)'}" (the relationshipName of ${field.name} in describe)`,
      ),
    );
  }
  if (parentObject && !field.referenceTo.some((t) => t.toLowerCase() === parentObject.toLowerCase())) {
    problems.push(
      problemError(
        `${key}.ref.entity`,
        `${field.name} points to ${field.referenceTo.join(', ') || 'nothing'}, but entity ${ref.entity} writes ${parentObject}`,
        `refer to the entity that writes ${field.referenceTo.join(' or ')}, or map the lookup field that points to ${parentObject}`,
      ),
    );
  }
  return problems;
}

function lengthAndScale(
  entity: string,
  name: string,
  mapping: FieldMapping,
  field: FieldDescribe,
): Problem[] {
  const key = fieldKey(entity, name);
  const problems: Problem[] = [];
  if (
    TEXT_FIELD_TYPES.has(field.type) &&
    mapping.maxLength !== undefined &&
    mapping.maxLength > field.length
  ) {
    problems.push(
      problemError(
        `${key}.maxLength`,
        `maxLength ${mapping.maxLength} is longer than ${field.name} (${field.length} characters): longer values fail STRING_TOO_LONG`,
        `set "maxLength": ${field.length}`,
      ),
    );
  }
  if (mapping.type === 'number' && mapping.scale !== undefined && mapping.scale > field.scale) {
    problems.push(
      problemWarning(
        `${key}.scale`,
        `scale ${mapping.scale} but ${field.name} keeps ${field.scale} decimals: Salesforce rounds the rest`,
        `set "scale": ${field.scale}`,
      ),
    );
  }
  return problems;
}

function constPicklist(entity: string, name: string, mapping: FieldMapping, field: FieldDescribe): Problem[] {
  if (!field.restrictedPicklist || mapping.const === undefined || mapping.const === null) return [];
  const allowed = field.picklistValues.filter((v) => v.active).map((v) => v.value);
  if (allowed.includes(String(mapping.const))) return [];
  return [
    problemError(
      `${fieldKey(entity, name)}.const`,
      `"${String(mapping.const)}" is not a value of the restricted picklist ${field.name} (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)`,
      `use one of: ${allowed.join(', ')}`,
    ),
  ];
}

function stateCountry(entity: string, name: string, object: ObjectDescribe, mapped: Set<string>): Problem[] {
  const key = fieldKey(entity, name);
  const code = findField(object, `${name}Code`);
  if (/(State|Country)$/.test(name) && code?.type === 'picklist') {
    return [
      problemError(
        key,
        `state and country picklists are on in this org (${object.name} has ${code.name}): ${name} sent as a name fails FIELD_INTEGRITY_EXCEPTION`,
        `map ${code.name} instead (the org's codes, e.g. ${code.picklistValues[0]?.value ?? '?'}) with its country code field; a "lookup" can translate names to codes`,
      ),
    ];
  }
  const m = /^(.*)StateCode$/.exec(name);
  if (m && !mapped.has(`${m[1]}countrycode`.toLowerCase())) {
    return [
      problemError(
        key,
        `${name} is sent without ${m[1]}CountryCode: a state needs its country (FIELD_INTEGRITY_EXCEPTION)`,
        `map ${m[1]}CountryCode too, e.g. { "const": "CO" }`,
      ),
    ];
  }
  return [];
}

function required(entity: string, name: string, mapping: FieldMapping, field: FieldDescribe): Problem[] {
  const optional = !mapping.required && mapping.default === undefined && mapping.const === undefined;
  if (field.nillable || field.defaultedOnCreate || !optional) return [];
  return [
    problemWarning(
      fieldKey(entity, name),
      `${field.name} is required in Salesforce but not in the mapping: rows without a value fail REQUIRED_FIELD_MISSING at Salesforce`,
      `set "required": true (rows are then rejected before sending) or give a "default"`,
    ),
  ];
}

/** Every problem of one mapped field against the object's describe. */
export function checkMappedField(
  entity: EntityConfig,
  name: string,
  mapping: FieldMapping,
  object: ObjectDescribe,
  objectOf: ObjectOfEntity,
): Problem[] {
  const field = findField(object, name);
  if (!field) return [unknownField(object, name, fieldKey(entity.name, name))];
  const mapped = new Set(Object.keys(entity.fields).map((f) => f.toLowerCase()));
  const problems = [...security(entity.name, name, field)];
  if (mapping.ref) {
    problems.push(...reference(entity.name, name, mapping, field, object, objectOf(mapping.ref.entity)));
  } else {
    const verdict = mappingIntoField(mapping, field);
    if (verdict.level !== 'ok') {
      problems.push({
        severity: verdict.level,
        key: fieldKey(entity.name, name),
        problem: verdict.problem,
        fix: verdict.fix,
      });
    }
    problems.push(
      ...lengthAndScale(entity.name, name, mapping, field),
      ...constPicklist(entity.name, name, mapping, field),
    );
  }
  problems.push(
    ...stateCountry(entity.name, name, object, mapped),
    ...required(entity.name, name, mapping, field),
  );
  return problems;
}

function externalIdProblems(entity: EntityConfig, object: ObjectDescribe): Problem[] {
  if (entity.externalIdField === undefined) return [];
  const key = `entities.${entity.name}.externalIdField`;
  const field = findField(object, entity.externalIdField);
  if (!field) return [unknownField(object, entity.externalIdField, key)];
  const missing = [!field.externalId && 'External ID', !field.unique && 'Unique'].filter(Boolean);
  const problems = security(entity.name, entity.externalIdField, field).map((p) => ({ ...p, key }));
  if (missing.length > 0) {
    problems.push(
      problemError(
        key,
        `${object.name}.${field.name} is not marked ${missing.join(' and ')}: upserts by it ${field.externalId ? 'can match several records' : 'fail'}`,
        `mark ${field.name} "External ID" and "Unique" in Setup > Object Manager > ${object.name} > Fields`,
      ),
    );
  }
  return problems;
}

function unmappedRequired(entity: EntityConfig, object: ObjectDescribe): Problem[] {
  const mapped = new Set(
    [...Object.keys(entity.fields), entity.externalIdField ?? ''].map((f) => f.toLowerCase()),
  );
  return object.fields
    .filter((f) => f.createable && !f.nillable && !f.defaultedOnCreate && !mapped.has(f.name.toLowerCase()))
    .map((f) =>
      problemError(
        `entities.${entity.name}.fields`,
        `${object.name}.${f.name} is required (not nillable, no default) but not mapped: every create fails REQUIRED_FIELD_MISSING`,
        `add a mapping for ${f.name} ("from" a column or a "const")`,
      ),
    );
}

/** Every problem of one entity that the object's describe alone shows. */
export function checkObject(
  entity: EntityConfig,
  object: ObjectDescribe,
  objectOf: ObjectOfEntity,
): Problem[] {
  return [
    ...externalIdProblems(entity, object),
    ...Object.entries(entity.fields).flatMap(([name, mapping]) =>
      checkMappedField(entity, name, mapping, object, objectOf),
    ),
    ...unmappedRequired(entity, object),
  ];
}
