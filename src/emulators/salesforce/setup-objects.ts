/**
 * Setup objects that SOQL reads but the org schema does not declare: `DuplicateRule` (API 32.0,
 * `IsActive` from 35.0) and `MatchingRule` (API 33.0), as the Object Reference describes them.
 * Their rows are computed at query time from the schema's duplicate rules and the org settings,
 * so `IsActive` follows `setOrgSettings({duplicateRules: …})` at once. Read only: the API cannot
 * create, edit or delete duplicate rules either (Setup does that), and they are not in
 * `/sobjects`.
 */
import { makeId } from './ids.js';
import type { FieldDef, FieldType, ObjectDef, OrgSchema } from './schema.js';
import type { SObjectRecord } from './store.js';
import { formatDatetime } from './values.js';

/** A setup object: its definition at an API version, and its rows in the org as it is now. */
export interface SetupObject {
  /** The object at `apiVersion` (fields introduced later left out), or undefined before it existed. */
  def: (apiVersion: string) => ObjectDef | undefined;
  rows: (schema: OrgSchema) => SObjectRecord[];
}

interface FieldSpec {
  name: string;
  type: FieldType;
  label: string;
  length?: number;
  since?: number;
}

/** The standard matching rules' labels; other rules are labelled from their developer name. */
const STANDARD_LABELS: Record<string, string> = {
  Standard_Account_Match_Rule_v1_0: 'Standard Account Matching Rule',
  Standard_Contact_Match_Rule_v1_1: 'Standard Contact Matching Rule',
  Standard_Lead_Match_Rule_v1_0: 'Standard Lead Matching Rule',
};

/** Rules exist from the org's start: one fixed timestamp for their audit fields. */
const CREATED = formatDatetime(Date.UTC(2024, 0, 1));

const COMMON: FieldSpec[] = [
  { name: 'Id', type: 'id', label: 'ID', length: 18 },
  { name: 'DeveloperName', type: 'string', label: 'Unique Name', length: 80 },
  { name: 'MasterLabel', type: 'string', label: 'Rule Name', length: 80 },
  { name: 'Language', type: 'picklist', label: 'Master Language', length: 40 },
  { name: 'NamespacePrefix', type: 'string', label: 'Namespace Prefix', length: 15 },
  { name: 'SobjectType', type: 'picklist', label: 'Object', length: 40 },
  { name: 'SobjectSubtype', type: 'picklist', label: 'Object Subtype', length: 255 },
  { name: 'IsDeleted', type: 'boolean', label: 'Deleted' },
  { name: 'CreatedDate', type: 'datetime', label: 'Created Date' },
  { name: 'LastModifiedDate', type: 'datetime', label: 'Last Modified Date' },
  { name: 'SystemModstamp', type: 'datetime', label: 'System Modstamp' },
];

function fieldOf(spec: FieldSpec): FieldDef {
  return {
    name: spec.name,
    label: spec.label,
    type: spec.type,
    length: spec.length ?? 0,
    precision: 0,
    scale: 0,
    required: false,
    externalId: false,
    unique: false,
    caseSensitive: false,
    referenceTo: undefined,
    relationshipName: undefined,
    childRelationshipName: undefined,
    system: true,
    nameField: spec.name === 'MasterLabel',
    custom: false,
    picklistValues: [],
    restricted: spec.type === 'picklist',
    createable: false,
    updateable: false,
    controllerName: undefined,
  };
}

function objectOf(name: string, label: string, keyPrefix: string, fields: FieldDef[]): ObjectDef {
  return {
    name,
    label,
    labelPlural: `${label}s`,
    keyPrefix,
    custom: false,
    fields,
    fieldsByLower: new Map(fields.map((f) => [f.name.toLowerCase(), f])),
    relationshipsByLower: new Map(),
    uniqueFields: [],
    externalIdFields: [],
    addresses: [],
    validationRules: [],
    duplicateRule: undefined,
  };
}

function setupObject(
  name: string,
  label: string,
  keyPrefix: string,
  since: number,
  specs: FieldSpec[],
  rows: (schema: OrgSchema) => SObjectRecord[],
): SetupObject {
  return {
    def: (apiVersion) => {
      const version = Number(apiVersion);
      if (version < since) return undefined;
      const fields = specs.filter((s) => (s.since ?? since) <= version).map(fieldOf);
      return objectOf(name, label, keyPrefix, fields);
    },
    rows,
  };
}

const humanize = (developerName: string) => developerName.replace(/_/g, ' ').trim();

function ruleRecord(id: string, developerName: string, label: string, object: string): SObjectRecord {
  return {
    Id: id,
    DeveloperName: developerName,
    MasterLabel: label,
    Language: 'en_US',
    NamespacePrefix: null,
    SobjectType: object,
    SobjectSubtype: 'None',
    IsDeleted: false,
    CreatedDate: CREATED,
    LastModifiedDate: CREATED,
    SystemModstamp: CREATED,
  };
}

/** One DuplicateRule row per object with a duplicate rule; active unless the org settings turn it off. */
function duplicateRuleRows(schema: OrgSchema): SObjectRecord[] {
  const withRules = schema.objects.filter((o) => o.duplicateRule !== undefined);
  return withRules.map((object, i) => {
    const rule = object.duplicateRule as NonNullable<ObjectDef['duplicateRule']>;
    return {
      ...ruleRecord(makeId('0Bm', i + 1), rule.name, humanize(rule.name), object.name),
      IsActive: schema.rules.duplicateRuleActive(object.name),
    };
  });
}

/** One MatchingRule row per duplicate rule's matching rule: active whatever the duplicate rule's state. */
function matchingRuleRows(schema: OrgSchema): SObjectRecord[] {
  const withRules = schema.objects.filter((o) => o.duplicateRule !== undefined);
  return withRules.map((object, i) => {
    const name = (object.duplicateRule as NonNullable<ObjectDef['duplicateRule']>).matchingRule;
    return {
      ...ruleRecord(makeId('0JD', i + 1), name, STANDARD_LABELS[name] ?? humanize(name), object.name),
      RuleStatus: 'Active',
      MatchEngine: 'FuzzyMatchEngine',
      BooleanFilter: null,
      Description: null,
    };
  });
}

const SETUP_OBJECTS = new Map<string, SetupObject>([
  [
    'duplicaterule',
    setupObject(
      'DuplicateRule',
      'Duplicate Rule',
      '0Bm',
      32,
      [...COMMON, { name: 'IsActive', type: 'boolean', label: 'Active', since: 35 }],
      duplicateRuleRows,
    ),
  ],
  [
    'matchingrule',
    setupObject(
      'MatchingRule',
      'Matching Rule',
      '0JD',
      33,
      [
        ...COMMON,
        { name: 'RuleStatus', type: 'picklist', label: 'Status', length: 255 },
        { name: 'MatchEngine', type: 'picklist', label: 'Match Engine', length: 255 },
        { name: 'BooleanFilter', type: 'string', label: 'Advanced Logic', length: 255 },
        { name: 'Description', type: 'textarea', label: 'Description', length: 255 },
      ],
      matchingRuleRows,
    ),
  ],
]);

/** The setup object named (case-insensitively), or undefined. */
export function setupObjectNamed(name: string): SetupObject | undefined {
  return SETUP_OBJECTS.get(name.toLowerCase());
}
