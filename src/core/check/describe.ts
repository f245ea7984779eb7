/**
 * The parts of Salesforce's REST answers the check reads, parsed rather than trusted: an object's
 * describe (`sobjects/<Obj>/describe`), the API versions (`/services/data/`) and DuplicateRule rows.
 */
import { z } from 'zod';

const picklistValueSchema = z.looseObject({
  value: z.string(),
  active: z.boolean().default(true),
});

export const fieldDescribeSchema = z.looseObject({
  name: z.string(),
  type: z.string(),
  length: z.number().default(0),
  precision: z.number().default(0),
  scale: z.number().default(0),
  /** Digits of an int field (precision and scale are 0 there). */
  digits: z.number().default(0),
  nillable: z.boolean(),
  createable: z.boolean(),
  updateable: z.boolean(),
  defaultedOnCreate: z.boolean().default(false),
  externalId: z.boolean().default(false),
  unique: z.boolean().default(false),
  caseSensitive: z.boolean().default(false),
  referenceTo: z.array(z.string()).default([]),
  relationshipName: z.string().nullable().default(null),
  picklistValues: z.array(picklistValueSchema).default([]),
  restrictedPicklist: z.boolean().default(false),
});
export type FieldDescribe = z.infer<typeof fieldDescribeSchema>;

export const objectDescribeSchema = z.looseObject({
  name: z.string(),
  fields: z.array(fieldDescribeSchema),
});
export type ObjectDescribe = z.infer<typeof objectDescribeSchema>;

export const versionsSchema = z.array(z.looseObject({ version: z.string() }));

export const duplicateRuleSchema = z.looseObject({
  DeveloperName: z.string(),
  IsActive: z.boolean(),
  SobjectType: z.string(),
});
export type DuplicateRule = z.infer<typeof duplicateRuleSchema>;

/** One page of `SELECT DeveloperName, IsActive, SobjectType FROM DuplicateRule`. */
export const duplicateRulePageSchema = z.looseObject({
  done: z.boolean(),
  records: z.array(duplicateRuleSchema),
  nextRecordsUrl: z.string().startsWith('/services/data/').optional(),
});
export type DuplicateRulePage = z.infer<typeof duplicateRulePageSchema>;

/** A field by name, as Salesforce resolves field names: case-insensitively. */
export function findField(object: ObjectDescribe, name: string): FieldDescribe | undefined {
  const lower = name.toLowerCase();
  return object.fields.find((f) => f.name.toLowerCase() === lower);
}

export const TEXT_FIELD_TYPES = new Set([
  'string',
  'textarea',
  'picklist',
  'multipicklist',
  'phone',
  'url',
  'email',
  'combobox',
  'encryptedstring',
]);
export const NUMBER_FIELD_TYPES = new Set(['double', 'currency', 'percent', 'int', 'long']);
