/**
 * Values read from the view: the distinct values of columns feeding restricted picklists or
 * lookups, converted as the sync converts them (trim, case, lookup), against what the org allows.
 */
import type { EntityConfig } from '../config/load.js';
import type { FieldMapping } from '../config/schema.js';
import { mapRow, type SourceRow } from '../mapping.js';
import { findField, type ObjectDescribe } from './describe.js';
import { type Problem, problemError, problemWarning } from './problems.js';

/** The mapped fields whose distinct source values are read: restricted picklists and lookups fed from columns. */
export function valueCheckedFields(entity: EntityConfig, object: ObjectDescribe): string[] {
  return Object.entries(entity.fields)
    .filter(
      ([name, m]) =>
        m.from !== undefined &&
        !m.ref &&
        (m.lookup !== undefined || findField(object, name)?.restrictedPicklist === true),
    )
    .map(([name]) => name);
}

export interface MappedValues {
  /** What the sync would send, distinct and sorted. */
  sent: string[];
  /** Source values the mapping rejects (e.g. not in the lookup table), with the reason. */
  rejected: Array<{ value: string; code: string }>;
}

/** What the sync would make of each distinct source row, through the same mapping code. */
export function mappedValues(entity: EntityConfig, field: string, rows: SourceRow[]): MappedValues {
  const mapping = entity.fields[field] as FieldMapping;
  const columns = Array.isArray(mapping.from) ? mapping.from : [mapping.from as string];
  const probe: EntityConfig = { ...entity, key: columns, fields: { [field]: mapping } };
  const sent = new Set<string>();
  const rejected = new Map<string, string>();
  for (const row of rows) {
    const mapped = mapRow(row, probe, 'CHECK', () => 'Id');
    if (mapped.ok) {
      const value = mapped.payload[field];
      if (value !== undefined && value !== null) sent.add(String(value));
    } else {
      const reason = mapped.reasons.find((r) => r.field === field);
      if (reason) rejected.set(columns.map((c) => String(row[c])).join(' '), reason.code);
    }
  }
  return {
    sent: [...sent].sort(),
    rejected: [...rejected]
      .map(([value, code]) => ({ value, code }))
      .sort((a, b) => (a.value < b.value ? -1 : 1)),
  };
}

const SHOWN = 10;

function listed(values: string[]): string {
  const shown = values
    .slice(0, SHOWN)
    .map((v) => `"${v}"`)
    .join(', ');
  return values.length > SHOWN ? `${shown} and ${values.length - SHOWN} more` : shown;
}

/** Values the sync would send that the restricted picklist refuses, and source values the mapping rejects. */
export function checkPicklistValues(
  entity: EntityConfig,
  field: string,
  object: ObjectDescribe,
  values: MappedValues,
): Problem[] {
  const key = `entities.${entity.name}.fields.${field}`;
  const problems: Problem[] = [];
  const describe = findField(object, field);
  if (describe?.restrictedPicklist) {
    const allowed = new Set(describe.picklistValues.filter((v) => v.active).map((v) => v.value));
    const refused = values.sent.filter((v) => !allowed.has(v));
    if (refused.length > 0) {
      problems.push(
        problemError(
          key,
          `the source holds ${listed(refused)}, not values of the restricted picklist ${object.name}.${describe.name} (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)`,
          `add them to the picklist's values in Setup, or convert them in the mapping ("case", a "lookup") to one of: ${listed([...allowed])}`,
        ),
      );
    }
  }
  if (values.rejected.length > 0) {
    const codes = [...new Set(values.rejected.map((r) => r.code))].join(', ');
    problems.push(
      problemWarning(
        key,
        `the mapping rejects rows holding ${listed(values.rejected.map((r) => r.value))} (${codes})`,
        'add those values to the mapping\'s "lookup", or correct them at the source',
      ),
    );
  }
  return problems;
}
