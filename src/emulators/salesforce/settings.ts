/**
 * Org settings: the features of a new Salesforce org that refuse what a lenient stand-in would
 * accept. Every one is on by default, as in a new org; each can be turned off from a JSON file
 * (default `org-settings.json` beside this module), CLI flags or the programmatic API.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export const DEFAULT_SETTINGS_PATH = join(dirname(fileURLToPath(import.meta.url)), 'org-settings.json');

export const orgSettingsSchema = z.strictObject({
  $comment: z.string().optional(),
  /** Duplicate rules declared in the schema: all on/off, or per object (an object not listed: active). */
  duplicateRules: z.union([z.boolean(), z.record(z.string(), z.boolean())]).default(true),
  /** State and country/territory picklists on address fields. */
  stateCountryPicklists: z.boolean().default(true),
  /** Restricted picklists refuse values outside their value set. */
  restrictedPicklists: z.boolean().default(true),
  /** Field-level security of the integration user (createable/updateable per field). */
  fieldLevelSecurity: z.boolean().default(true),
  /** Validation rules declared in the schema. */
  validationRules: z.boolean().default(true),
});

export type OrgSettings = z.infer<typeof orgSettingsSchema>;
/** What a caller may pass: any subset; omitted keys keep the new-org default (on). */
export type OrgSettingsInput = z.input<typeof orgSettingsSchema>;

/** The names of the switches that `--relax` takes. */
export const RELAXABLE = [
  'duplicateRules',
  'stateCountryPicklists',
  'restrictedPicklists',
  'fieldLevelSecurity',
  'validationRules',
] as const;
export type Relaxable = (typeof RELAXABLE)[number];

export class OrgSettingsError extends Error {
  override readonly name = 'OrgSettingsError';
}

/** Validates settings; throws OrgSettingsError naming every problem and what is accepted. */
export function parseOrgSettings(input: unknown, source = 'org settings'): OrgSettings {
  const parsed = orgSettingsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new OrgSettingsError(
      `${source} is invalid: ${issues}. Accepted keys: duplicateRules (boolean or {"<Object>": boolean}), ${RELAXABLE.slice(1).join(', ')} (booleans)`,
    );
  }
  return parsed.data;
}

/** Reads a settings file. A missing default file means a new org (everything on). */
export function loadOrgSettings(path: string = DEFAULT_SETTINGS_PATH): OrgSettings {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new OrgSettingsError(`cannot read org settings ${path}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new OrgSettingsError(`org settings ${path} is not JSON: ${(error as Error).message}`);
  }
  return parseOrgSettings(document, `org settings ${path}`);
}

/** Turns the named switches off (`duplicateRules`: every object's rule). */
export function relax(settings: OrgSettings, names: readonly string[]): OrgSettings {
  const next: OrgSettings = { ...settings };
  for (const name of names) {
    if (!(RELAXABLE as readonly string[]).includes(name)) {
      throw new OrgSettingsError(`cannot relax '${name}': accepted are ${RELAXABLE.join(', ')}`);
    }
    next[name as Relaxable] = false;
  }
  return next;
}

/** The org's current settings, replaceable while the emulator runs (one per emulator). */
export class OrgRules {
  constructor(public settings: OrgSettings = parseOrgSettings({})) {}

  duplicateRuleActive(object: string): boolean {
    const rules = this.settings.duplicateRules;
    return typeof rules === 'boolean' ? rules : (rules[object] ?? true);
  }
}
