/**
 * Describe bodies (`/sobjects`, `/sobjects/X`, `/sobjects/X/describe`) built from the org schema,
 * with the properties clients read: field type, length, precision, scale, nillable, createable,
 * updateable, unique, externalId, idLookup, referenceTo, relationshipName, childRelationships.
 */
import { COUNTRIES } from './countries.js';
import {
  type AddressDef,
  childReferences,
  type FieldDef,
  NUMBER_TYPES,
  type ObjectDef,
  type OrgSchema,
  TEXT_TYPES,
} from './schema.js';
import type { OrgSettings } from './settings.js';

function objectUrls(object: ObjectDef, v: string): Record<string, string> {
  const base = `/services/data/v${v}/sobjects/${object.name}`;
  return { sobject: base, describe: `${base}/describe`, rowTemplate: `${base}/{ID}` };
}

function objectSummary(object: ObjectDef, v: string): Record<string, unknown> {
  return {
    activateable: false,
    createable: true,
    custom: object.custom,
    customSetting: false,
    deletable: true,
    deprecatedAndHidden: false,
    feedEnabled: false,
    keyPrefix: object.keyPrefix,
    label: object.label,
    labelPlural: object.labelPlural,
    layoutable: true,
    mergeable: false,
    mruEnabled: true,
    name: object.name,
    queryable: true,
    replicateable: true,
    retrieveable: true,
    searchable: true,
    triggerable: true,
    undeletable: true,
    updateable: true,
    urls: objectUrls(object, v),
  };
}

export function describeGlobal(schema: OrgSchema, v: string): Record<string, unknown> {
  return { encoding: 'UTF-8', maxBatchSize: 200, sobjects: schema.objects.map((o) => objectSummary(o, v)) };
}

export function describeBasic(object: ObjectDef, v: string): Record<string, unknown> {
  return { objectDescribe: objectSummary(object, v), recentItems: [] };
}

function soapType(field: FieldDef): string {
  switch (field.type) {
    case 'id':
    case 'reference':
      return 'tns:ID';
    case 'boolean':
      return 'xsd:boolean';
    case 'int':
      return 'xsd:int';
    case 'double':
    case 'currency':
    case 'percent':
      return 'xsd:double';
    case 'date':
      return 'xsd:date';
    case 'datetime':
      return 'xsd:dateTime';
    default:
      return 'xsd:string';
  }
}

interface PicklistEntry {
  active: boolean;
  defaultValue: boolean;
  label: string;
  validFor: string | null;
  value: string;
}

const entry = (value: string, label = value, validFor: string | null = null): PicklistEntry => ({
  active: true,
  defaultValue: false,
  label,
  validFor,
  value,
});

/** describe's validFor: a base64 bitmap, bit i (most significant first) set for controlling value i. */
function validFor(index: number): string {
  const bytes = Buffer.alloc(Math.ceil(COUNTRIES.length / 8));
  bytes[index >> 3] = 0x80 >> (index & 7);
  return bytes.toString('base64');
}

/** The picklist values and dependency of a field: its value set, or the org's countries and states. */
function picklistOf(
  field: FieldDef,
  addresses: AddressDef[],
  settings: OrgSettings,
): { picklistValues: PicklistEntry[]; controllerName: string | null; restricted: boolean } {
  const picklists = settings.stateCountryPicklists;
  if (picklists && addresses.some((a) => a.countryCode === field)) {
    return {
      picklistValues: COUNTRIES.map((c) => entry(c.code, c.name)),
      controllerName: null,
      restricted: true,
    };
  }
  if (picklists && addresses.some((a) => a.stateCode === field)) {
    const picklistValues = COUNTRIES.flatMap((c, i) =>
      c.states.map((st) => entry(st.code, st.name, validFor(i))),
    );
    return { picklistValues, controllerName: field.controllerName ?? null, restricted: true };
  }
  return {
    picklistValues: field.picklistValues.map((v) => entry(v)),
    controllerName: null,
    restricted: field.restricted && settings.restrictedPicklists,
  };
}

function describeField(field: FieldDef, object: ObjectDef, settings: OrgSettings): Record<string, unknown> {
  const text = TEXT_TYPES.has(field.type);
  const number = NUMBER_TYPES.has(field.type);
  const writable = !field.system;
  const fls = settings.fieldLevelSecurity;
  const picklist = picklistOf(field, object.addresses, settings);
  const defaulted = field.type === 'boolean' || field.system;
  return {
    autoNumber: false,
    byteLength: text ? field.length * 3 : field.type === 'id' || field.type === 'reference' ? 18 : 0,
    calculated: false,
    caseSensitive: field.caseSensitive,
    controllerName: picklist.controllerName,
    createable: writable && (!fls || field.createable),
    custom: field.custom,
    defaultValue: field.type === 'boolean' ? false : null,
    defaultedOnCreate: defaulted,
    dependentPicklist: picklist.controllerName !== null,
    digits: field.type === 'int' ? field.precision : 0,
    externalId: field.externalId,
    filterable: true,
    groupable: field.type !== 'textarea' || field.length <= 255,
    htmlFormatted: false,
    idLookup: field.name === 'Id' || field.externalId || field.unique,
    label: field.label,
    length: text ? field.length : field.type === 'id' || field.type === 'reference' ? 18 : 0,
    name: field.name,
    nameField: field.nameField,
    nillable: !field.required && field.type !== 'boolean' && field.name !== 'Id' && !field.system,
    picklistValues: picklist.picklistValues,
    precision: number && field.type !== 'int' ? field.precision : 0,
    referenceTo: field.referenceTo ? [field.referenceTo] : [],
    relationshipName: field.relationshipName ?? null,
    restrictedPicklist: picklist.restricted,
    scale: number && field.type !== 'int' ? field.scale : 0,
    soapType: soapType(field),
    sortable: field.type !== 'textarea' || field.length <= 255,
    type: field.type,
    unique: field.unique,
    updateable: writable && (!fls || field.updateable),
  };
}

export function describeObject(schema: OrgSchema, object: ObjectDef, v: string): Record<string, unknown> {
  return {
    ...objectSummary(object, v),
    childRelationships: childReferences(schema, object).map(({ object: child, field }) => ({
      cascadeDelete: false,
      childSObject: child.name,
      deprecatedAndHidden: false,
      field: field.name,
      relationshipName: field.childRelationshipName ?? null,
      restrictedDelete: field.required,
    })),
    fields: object.fields.map((f) => describeField(f, object, schema.rules.settings)),
    recordTypeInfos: [],
  };
}
