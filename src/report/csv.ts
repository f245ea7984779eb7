import { externalId } from '../core/mapping.js';
import type { Failure } from './data.js';

/** What the error file needs to know of an entity's Salesforce side. */
export interface EntityTarget {
  object: string;
  externalIdField?: string;
  strategy: 'externalId' | 'idMap';
}

export const FAILURE_COLUMNS = [
  'company',
  'entity',
  'key',
  'external_id',
  'object',
  'operation',
  'bucket',
  'error_code',
  'message',
  'fields',
] as const;

/** Excel opens a CSV as UTF-8 only when it starts with a byte order mark. */
export const UTF8_BOM = '\uFEFF';

/** RFC 4180: a field with a comma, quote, CR or LF is quoted, quotes doubled. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV record, CRLF-terminated as RFC 4180 says. */
export function csvRecord(values: readonly string[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

/** The operation sf-sync performs for an entity: upsert by external ID, or insert/update by a kept Id. */
function operation(target: EntityTarget | undefined): string {
  if (!target) return '';
  return target.strategy === 'externalId' ? `upsert (${target.externalIdField ?? ''})` : 'insert/update';
}

/**
 * A Salesforce Data Loader–style error file of a run's rejected and failed rows: one row per
 * record, UTF-8 with BOM, CRLF line ends. `targets` maps an entity to its object; an entity the
 * config no longer has gets empty object and operation columns.
 */
export function failuresCsv(
  failures: readonly Failure[],
  targets: (entity: string) => EntityTarget | undefined,
): string {
  const lines = [csvRecord(FAILURE_COLUMNS)];
  for (const f of failures) {
    const target = targets(f.entity);
    lines.push(
      csvRecord([
        f.company,
        f.entity,
        f.key,
        externalId(f.company, f.key),
        target?.object ?? '',
        operation(target),
        f.bucket,
        f.code,
        f.message,
        (f.fields ?? []).join(';'),
      ]),
    );
  }
  return UTF8_BOM + lines.join('');
}
