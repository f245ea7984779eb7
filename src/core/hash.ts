import { createHash } from 'node:crypto';

/** Canonical JSON: object keys sorted, so equal payloads always hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** Content hash of a Salesforce payload: what change detection compares between runs. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

/** A source value as the row hash reads it: instants as ISO 8601, bytes as base64, the rest as JSON has it. */
function plain(value: unknown): unknown {
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return value ?? null;
}

/**
 * The content hash of a source row under a mapping version: its values in the order of
 * `columns` (sorted once per view, so the view's column order does not matter), the column names
 * and the version. A DATETIMEOFFSET (a Date) or a VARBINARY (bytes) counts by its value, not as
 * an object without keys.
 */
export function rowHash(version: string, row: Record<string, unknown>, columns: readonly string[]): string {
  const values = columns.map((c) => plain(row[c]));
  return createHash('sha256')
    .update(JSON.stringify([version, columns, values]))
    .digest('base64url')
    .slice(0, 22);
}
