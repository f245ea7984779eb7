/**
 * The org schema: which sObjects exist, their fields and how they relate.
 *
 * Loaded from a JSON file (default `org-schema.json` beside this module; format in README.md),
 * validated strictly, and turned into lookup tables keyed case-insensitively, because Salesforce
 * treats object and field API names case-insensitively everywhere (URLs, bodies, SOQL, CSV).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { OrgRules } from './settings.js';

export const DEFAULT_SCHEMA_PATH = join(dirname(fileURLToPath(import.meta.url)), 'org-schema.json');

export type FieldType =
  | 'id'
  | 'string'
  | 'textarea'
  | 'phone'
  | 'email'
  | 'picklist'
  | 'url'
  | 'boolean'
  | 'int'
  | 'double'
  | 'currency'
  | 'percent'
  | 'date'
  | 'datetime'
  | 'reference';

/** Field types whose values are text and have a maximum length. */
export const TEXT_TYPES: ReadonlySet<FieldType> = new Set([
  'string',
  'textarea',
  'phone',
  'email',
  'picklist',
  'url',
]);
/** Field types whose values are numbers with a precision and scale. */
export const NUMBER_TYPES: ReadonlySet<FieldType> = new Set(['int', 'double', 'currency', 'percent']);

export interface FieldDef {
  name: string;
  label: string;
  type: FieldType;
  /** Maximum length in characters (text types). */
  length: number;
  /** Total digits and digits right of the decimal point (number types). */
  precision: number;
  scale: number;
  required: boolean;
  externalId: boolean;
  unique: boolean;
  caseSensitive: boolean;
  referenceTo: string | undefined;
  relationshipName: string | undefined;
  childRelationshipName: string | undefined;
  /** Id, CreatedDate, LastModifiedDate, SystemModstamp: set by the server only. */
  system: boolean;
  nameField: boolean;
  custom: boolean;
  /** Picklist value set (picklists), in order. */
  picklistValues: string[];
  /** A restricted picklist refuses values outside its set. */
  restricted: boolean;
  /** Field-level security for the integration user. */
  createable: boolean;
  updateable: boolean;
  /** The controlling field of a dependent picklist (a state code's country code). */
  controllerName: string | undefined;
}

/** One compound address with state and country/territory picklists: the four fields it syncs. */
export interface AddressDef {
  country: FieldDef;
  countryCode: FieldDef;
  state: FieldDef;
  stateCode: FieldDef;
}

export type Condition =
  | { field: string; equals: string | number | boolean }
  | { field: string; notBlank: true };

/** A declarative validation rule: the record fails FIELD_CUSTOM_VALIDATION_EXCEPTION when it breaks it. */
export type ValidationRule = {
  name: string;
  errorMessage: string;
  /** Where the error shows: a field (reported in `fields`) or the top of the page (none). */
  errorDisplayField: string | undefined;
  active: boolean;
} & (
  | { kind: 'requiredIf'; field: string; when: Condition }
  | { kind: 'regex'; field: string; pattern: RegExp }
  | { kind: 'range'; field: string; min: number | string | undefined; max: number | string | undefined }
);

/** A duplicate rule with its matching rule: company-name fuzzy match on `nameField` plus any of `anyOf`. */
export interface DuplicateRuleDef {
  name: string;
  matchingRule: string;
  errorMessage: string;
  nameField: FieldDef;
  anyOf: FieldDef[];
}

export interface ObjectDef {
  name: string;
  label: string;
  labelPlural: string;
  keyPrefix: string;
  custom: boolean;
  fields: FieldDef[];
  /** Lower-cased field name → field. */
  fieldsByLower: Map<string, FieldDef>;
  /** Lower-cased relationship name → the reference field that carries it. */
  relationshipsByLower: Map<string, FieldDef>;
  uniqueFields: FieldDef[];
  externalIdFields: FieldDef[];
  addresses: AddressDef[];
  validationRules: ValidationRule[];
  duplicateRule: DuplicateRuleDef | undefined;
}

export interface OrgSchema {
  objects: ObjectDef[];
  /** Lower-cased object name → object. */
  byLower: Map<string, ObjectDef>;
  /** Three-character key prefix → object. */
  byPrefix: Map<string, ObjectDef>;
  /** The org's settings (which of its refusals are on); replaceable while running. */
  rules: OrgRules;
}

const apiName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]*$/, 'an API name: letters, digits and _');

const fieldSchema = z.strictObject({
  type: z.enum([
    'string',
    'textarea',
    'phone',
    'email',
    'picklist',
    'url',
    'boolean',
    'int',
    'double',
    'currency',
    'percent',
    'date',
    'datetime',
    'reference',
  ]),
  label: z.string().min(1).optional(),
  length: z.number().int().min(1).max(131072).optional(),
  precision: z.number().int().min(1).max(18).optional(),
  scale: z.number().int().min(0).max(17).optional(),
  required: z.boolean().optional(),
  externalId: z.boolean().optional(),
  unique: z.boolean().optional(),
  caseSensitive: z.boolean().optional(),
  referenceTo: apiName.optional(),
  relationshipName: apiName.optional(),
  childRelationshipName: apiName.optional(),
  nameField: z.boolean().optional(),
  picklistValues: z.array(z.string().min(1)).min(1).optional(),
  restricted: z.boolean().optional(),
  createable: z.boolean().optional(),
  updateable: z.boolean().optional(),
});

const conditionSchema = z.union([
  z.strictObject({ field: apiName, equals: z.union([z.string(), z.number(), z.boolean()]) }),
  z.strictObject({ field: apiName, notBlank: z.literal(true) }),
]);

const ruleBase = {
  name: apiName,
  errorMessage: z.string().min(1),
  errorDisplayField: apiName.optional(),
  active: z.boolean().optional(),
  field: apiName,
};

const validationRuleSchema = z.discriminatedUnion('kind', [
  z.strictObject({ ...ruleBase, kind: z.literal('requiredIf'), when: conditionSchema }),
  z.strictObject({ ...ruleBase, kind: z.literal('regex'), pattern: z.string().min(1) }),
  z.strictObject({
    ...ruleBase,
    kind: z.literal('range'),
    min: z.union([z.number(), z.string()]).optional(),
    max: z.union([z.number(), z.string()]).optional(),
  }),
]);

const duplicateRuleSchema = z.strictObject({
  name: apiName,
  matchingRule: apiName,
  errorMessage: z.string().min(1).optional(),
  nameField: apiName,
  anyOf: z.array(apiName).min(1),
});

const objectSchema = z.strictObject({
  label: z.string().min(1).optional(),
  labelPlural: z.string().min(1).optional(),
  keyPrefix: z.string().regex(/^[0-9A-Za-z]{3}$/, 'three letters or digits, e.g. 001'),
  custom: z.boolean().optional(),
  fields: z.record(apiName, fieldSchema),
  /** Address field prefixes with state and country/territory picklists: "Billing", "Shipping", "" (RetailStore). */
  addresses: z.array(z.string().regex(/^[A-Za-z]*$/, 'a field prefix: letters only, or empty')).optional(),
  validationRules: z.array(validationRuleSchema).optional(),
  duplicateRule: duplicateRuleSchema.optional(),
});

const fileSchema = z.strictObject({
  $comment: z.string().optional(),
  objects: z.record(apiName, objectSchema),
});

export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

function humanize(name: string): string {
  return name
    .replace(/__c$/, '')
    .replace(/^ti_/, '')
    .split('_')
    .filter(Boolean)
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join(' ');
}

function systemField(name: string, type: FieldType, label: string): FieldDef {
  return {
    name,
    label,
    type,
    length: type === 'id' ? 18 : 0,
    precision: 0,
    scale: 0,
    required: false,
    externalId: false,
    unique: false,
    caseSensitive: true,
    referenceTo: undefined,
    relationshipName: undefined,
    childRelationshipName: undefined,
    system: true,
    nameField: false,
    custom: false,
    picklistValues: [],
    restricted: false,
    createable: false,
    updateable: false,
    controllerName: undefined,
  };
}

/** Validates a parsed schema document and builds the lookup tables. Throws SchemaError naming the problem. */
export function buildSchema(document: unknown, source = 'org schema'): OrgSchema {
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SchemaError(`${source} is invalid: ${issues}`);
  }
  const objects: ObjectDef[] = [];
  const byLower = new Map<string, ObjectDef>();
  const byPrefix = new Map<string, ObjectDef>();
  for (const [objectName, spec] of Object.entries(parsed.data.objects)) {
    const where = `${source}: object ${objectName}`;
    const custom = spec.custom ?? objectName.endsWith('__c');
    if (custom !== objectName.endsWith('__c')) {
      throw new SchemaError(`${where}: custom objects (and only they) must end in __c`);
    }
    if (byPrefix.has(spec.keyPrefix)) {
      throw new SchemaError(`${where}: key prefix ${spec.keyPrefix} is already used`);
    }
    if (byLower.has(objectName.toLowerCase())) throw new SchemaError(`${where}: defined twice`);
    const fields: FieldDef[] = [systemField('Id', 'id', `${spec.label ?? objectName} ID`)];
    for (const [fieldName, f] of Object.entries(spec.fields)) {
      const at = `${where}, field ${fieldName}`;
      if (['id', 'createddate', 'lastmodifieddate', 'systemmodstamp'].includes(fieldName.toLowerCase())) {
        throw new SchemaError(
          `${at}: standard fields Id, CreatedDate, LastModifiedDate, SystemModstamp are implied`,
        );
      }
      const isText = TEXT_TYPES.has(f.type);
      const isNumber = NUMBER_TYPES.has(f.type);
      if (isText && f.length === undefined) throw new SchemaError(`${at}: type ${f.type} needs a length`);
      if (!isText && f.length !== undefined)
        throw new SchemaError(`${at}: length applies to text types only`);
      if (isNumber && f.type !== 'int' && f.precision === undefined) {
        throw new SchemaError(`${at}: type ${f.type} needs a precision (and optionally a scale)`);
      }
      if (!isNumber && (f.precision !== undefined || f.scale !== undefined)) {
        throw new SchemaError(`${at}: precision and scale apply to number types only`);
      }
      const precision = f.type === 'int' ? (f.precision ?? 9) : (f.precision ?? 0);
      const scale = f.type === 'int' ? 0 : (f.scale ?? 0);
      if (scale > precision) throw new SchemaError(`${at}: scale ${scale} exceeds precision ${precision}`);
      if ((f.externalId || f.unique) && !['string', 'email', 'int', 'double'].includes(f.type)) {
        throw new SchemaError(`${at}: external ID and unique fields must be string, email or number fields`);
      }
      if (f.type === 'reference') {
        if (!f.referenceTo || !f.relationshipName) {
          throw new SchemaError(`${at}: a reference needs referenceTo and relationshipName`);
        }
        if (fieldName.endsWith('__c') !== f.relationshipName.endsWith('__r')) {
          throw new SchemaError(
            `${at}: a custom lookup (…__c) has a relationship name ending in __r, a standard one not`,
          );
        }
      } else if (f.referenceTo || f.relationshipName || f.childRelationshipName) {
        throw new SchemaError(`${at}: referenceTo and relationship names apply to references only`);
      }
      fields.push({
        name: fieldName,
        label: f.label ?? humanize(fieldName),
        type: f.type,
        length: f.length ?? 0,
        precision,
        scale,
        required: f.required ?? false,
        externalId: f.externalId ?? false,
        unique: f.unique ?? false,
        caseSensitive: f.caseSensitive ?? false,
        referenceTo: f.referenceTo,
        relationshipName: f.relationshipName,
        childRelationshipName: f.childRelationshipName,
        system: false,
        nameField: f.nameField ?? false,
        custom: fieldName.endsWith('__c'),
        ...picklistOf(f, at),
        createable: f.createable ?? true,
        updateable: f.updateable ?? true,
        controllerName: undefined,
      });
    }
    fields.push(
      systemField('CreatedDate', 'datetime', 'Created Date'),
      systemField('LastModifiedDate', 'datetime', 'Last Modified Date'),
      systemField('SystemModstamp', 'datetime', 'System Modstamp'),
    );
    const fieldsByLower = new Map<string, FieldDef>();
    const relationshipsByLower = new Map<string, FieldDef>();
    for (const field of fields) {
      if (fieldsByLower.has(field.name.toLowerCase()))
        throw new SchemaError(`${where}: field ${field.name} twice`);
      fieldsByLower.set(field.name.toLowerCase(), field);
      if (field.relationshipName) relationshipsByLower.set(field.relationshipName.toLowerCase(), field);
    }
    for (const rel of relationshipsByLower.keys()) {
      if (fieldsByLower.has(rel))
        throw new SchemaError(`${where}: relationship name ${rel} collides with a field`);
    }
    const externalIdFields = fields.filter((f) => f.externalId);
    if (externalIdFields.length === 0) {
      throw new SchemaError(`${where}: needs an external ID field (externalId: true) for the sync's keys`);
    }
    const object: ObjectDef = {
      name: objectName,
      label: spec.label ?? humanize(objectName),
      labelPlural: spec.labelPlural ?? `${spec.label ?? humanize(objectName)}s`,
      keyPrefix: spec.keyPrefix,
      custom,
      fields,
      fieldsByLower,
      relationshipsByLower,
      uniqueFields: fields.filter((f) => f.unique),
      externalIdFields,
      addresses: [],
      validationRules: [],
      duplicateRule: undefined,
    };
    object.addresses = buildAddresses(object, spec.addresses ?? [], where);
    object.validationRules = buildValidationRules(object, spec.validationRules ?? [], where);
    object.duplicateRule = spec.duplicateRule && buildDuplicateRule(object, spec.duplicateRule, where);
    objects.push(object);
    byLower.set(objectName.toLowerCase(), object);
    byPrefix.set(spec.keyPrefix, object);
  }
  for (const object of objects) {
    for (const field of object.fields) {
      if (field.type === 'reference' && !byLower.has((field.referenceTo ?? '').toLowerCase())) {
        throw new SchemaError(
          `${source}: ${object.name}.${field.name} refers to ${field.referenceTo}, which is not defined; defined: ${objects.map((o) => o.name).join(', ')}`,
        );
      }
      if (field.referenceTo) field.referenceTo = byLower.get(field.referenceTo.toLowerCase())?.name;
    }
  }
  return { objects, byLower, byPrefix, rules: new OrgRules() };
}

function picklistOf(
  f: z.infer<typeof fieldSchema>,
  at: string,
): { picklistValues: string[]; restricted: boolean } {
  if (f.type !== 'picklist' && (f.picklistValues !== undefined || f.restricted !== undefined)) {
    throw new SchemaError(`${at}: picklistValues and restricted apply to picklists only`);
  }
  if (f.restricted && !f.picklistValues) {
    throw new SchemaError(`${at}: a restricted picklist needs picklistValues`);
  }
  for (const value of f.picklistValues ?? []) {
    if (value.length > (f.length ?? 0)) {
      throw new SchemaError(`${at}: picklist value '${value}' is longer than the field (${f.length})`);
    }
  }
  return { picklistValues: f.picklistValues ?? [], restricted: f.restricted ?? false };
}

function fieldOf(object: ObjectDef, name: string, where: string, types: FieldType[]): FieldDef {
  const field = object.fieldsByLower.get(name.toLowerCase());
  if (!field || field.system) throw new SchemaError(`${where}: needs a field ${name}`);
  if (!types.includes(field.type)) {
    throw new SchemaError(`${where}: field ${name} must be of type ${types.join(' or ')}, not ${field.type}`);
  }
  return field;
}

function buildAddresses(object: ObjectDef, prefixes: string[], where: string): AddressDef[] {
  return prefixes.map((prefix) => {
    const at = `${where}, address '${prefix}'`;
    const address: AddressDef = {
      country: fieldOf(object, `${prefix}Country`, at, ['string']),
      countryCode: fieldOf(object, `${prefix}CountryCode`, at, ['picklist']),
      state: fieldOf(object, `${prefix}State`, at, ['string']),
      stateCode: fieldOf(object, `${prefix}StateCode`, at, ['picklist']),
    };
    if (address.countryCode.picklistValues.length > 0 || address.stateCode.picklistValues.length > 0) {
      throw new SchemaError(
        `${at}: state and country code values come from the org's country list, not the schema`,
      );
    }
    address.stateCode.controllerName = address.countryCode.name;
    return address;
  });
}

function buildValidationRules(
  object: ObjectDef,
  specs: Array<z.infer<typeof validationRuleSchema>>,
  where: string,
): ValidationRule[] {
  return specs.map((spec) => {
    const at = `${where}, validation rule ${spec.name}`;
    const field = fieldOf(object, spec.field, at, [
      ...TEXT_TYPES,
      ...NUMBER_TYPES,
      'boolean',
      'date',
      'datetime',
      'reference',
    ]).name;
    const errorDisplayField = spec.errorDisplayField
      ? fieldOf(object, spec.errorDisplayField, at, [
          ...TEXT_TYPES,
          ...NUMBER_TYPES,
          'boolean',
          'date',
          'datetime',
          'reference',
        ]).name
      : undefined;
    const base = {
      name: spec.name,
      errorMessage: spec.errorMessage,
      errorDisplayField,
      active: spec.active ?? true,
      field,
    };
    if (spec.kind === 'requiredIf') {
      const when = {
        ...spec.when,
        field: fieldOf(object, spec.when.field, at, [
          ...TEXT_TYPES,
          ...NUMBER_TYPES,
          'boolean',
          'date',
          'datetime',
          'reference',
        ]).name,
      };
      return { ...base, kind: 'requiredIf', when };
    }
    if (spec.kind === 'regex') {
      let pattern: RegExp;
      try {
        pattern = new RegExp(`^(?:${spec.pattern})$`, 'u');
      } catch (error) {
        throw new SchemaError(`${at}: pattern is not a regular expression: ${(error as Error).message}`);
      }
      return { ...base, kind: 'regex', pattern };
    }
    if (spec.min === undefined && spec.max === undefined)
      throw new SchemaError(`${at}: a range needs min or max`);
    return { ...base, kind: 'range', min: spec.min, max: spec.max };
  });
}

function buildDuplicateRule(
  object: ObjectDef,
  spec: z.infer<typeof duplicateRuleSchema>,
  where: string,
): DuplicateRuleDef {
  const at = `${where}, duplicate rule ${spec.name}`;
  return {
    name: spec.name,
    matchingRule: spec.matchingRule,
    errorMessage: spec.errorMessage ?? 'Use one of these records?',
    nameField: fieldOf(object, spec.nameField, at, ['string']),
    anyOf: spec.anyOf.map((name) => fieldOf(object, name, at, [...TEXT_TYPES])),
  };
}

/** Reads and validates a schema file. */
export function loadSchema(path: string = DEFAULT_SCHEMA_PATH): OrgSchema {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SchemaError(`cannot read org schema ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new SchemaError(`org schema ${path} is not JSON: ${(error as Error).message}`);
  }
  return buildSchema(document, `org schema ${path}`);
}

/** Children that point at an object: for describe's childRelationships and delete checks. */
export function childReferences(
  schema: OrgSchema,
  parent: ObjectDef,
): Array<{ object: ObjectDef; field: FieldDef }> {
  const out: Array<{ object: ObjectDef; field: FieldDef }> = [];
  for (const object of schema.objects) {
    for (const field of object.fields) {
      if (field.type === 'reference' && field.referenceTo === parent.name) out.push({ object, field });
    }
  }
  return out;
}
