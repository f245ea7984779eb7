/**
 * Restricted picklists: the distinct values a view holds, after the mapping's own conversions
 * (trim, case, lookups), against the values the org allows.
 */
import type { EntityConfig } from '../config/load.js';
import type { FieldMapping } from '../config/schema.js';
import { mapRow, type SourceRow } from '../mapping.js';
import { findField, type ObjectDescribe } from './describe.js';
import { type Problem, problemError } from './problems.js';

/** The mapped fields whose distinct source values must be read: restricted picklists fed from columns. */
export function restrictedPicklistFields(entity: EntityConfig, object: ObjectDescribe): string[] {
  return Object.entries(entity.fields)
    .filter(
      ([name, m]) => m.from !== undefined && !m.ref && findField(object, name)?.restrictedPicklist === true,
    )
    .map(([name]) => name);
}

/** What the sync would send for each distinct source row, through the same mapping code. */
export function mappedValues(entity: EntityConfig, field: string, rows: SourceRow[]): string[] {
  const mapping = entity.fields[field] as FieldMapping;
  const columns = Array.isArray(mapping.from) ? mapping.from : [mapping.from as string];
  const probe: EntityConfig = { ...entity, key: columns, fields: { [field]: mapping } };
  const values = new Set<string>();
  for (const row of rows) {
    const mapped = mapRow(row, probe, 'CHECK', () => 'Id');
    const value = mapped.ok ? mapped.payload[field] : undefined;
    if (value !== undefined && value !== null) values.add(String(value));
  }
  return [...values].sort();
}

const SHOWN = 10;

/** Values the sync would send that the restricted picklist refuses. */
export function checkPicklistValues(
  entity: EntityConfig,
  field: string,
  object: ObjectDescribe,
  sent: string[],
): Problem[] {
  const describe = findField(object, field);
  if (!describe?.restrictedPicklist) return [];
  const allowed = new Set(describe.picklistValues.filter((v) => v.active).map((v) => v.value));
  const refused = sent.filter((v) => !allowed.has(v));
  if (refused.length === 0) return [];
  const shown = refused
    .slice(0, SHOWN)
    .map((v) => `"${v}"`)
    .join(', ');
  const more = refused.length > SHOWN ? ` and ${refused.length - SHOWN} more` : '';
  return [
    problemError(
      `entities.${entity.name}.fields.${field}`,
      `the source holds ${shown}${more}, not values of the restricted picklist ${object.name}.${describe.name} (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)`,
      `add them to the picklist's values in Setup, or convert them in the mapping ("case", a lookup) to one of: ${[...allowed].join(', ')}`,
    ),
  ];
}
