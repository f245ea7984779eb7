/**
 * Checks of one entity's mapping against one company's view: columns that exist, types that
 * convert, values that fit, keys that Salesforce identifies the same way SQL Server does.
 */
import type { EntityConfig } from '../config/load.js';
import type { FieldMapping } from '../config/schema.js';
import {
  columnCaseSensitive,
  formatColumnType,
  type SourceColumn,
  sqlFamily,
  textLength,
} from './columns.js';
import { findField, NUMBER_FIELD_TYPES, type ObjectDescribe, TEXT_FIELD_TYPES } from './describe.js';
import { type Problem, problemError, problemWarning } from './problems.js';
import { sourceIntoMapping } from './types.js';

export interface SourceInfo {
  /** How the source is named in messages: `view terceros_view` or `the query`. */
  label: string;
  columns: SourceColumn[];
}

function fromColumns(mapping: FieldMapping): string[] {
  if (mapping.from === undefined) return [];
  return Array.isArray(mapping.from) ? mapping.from : [mapping.from];
}

type Lookup = { column: SourceColumn } | { problem: Problem };

function lookupColumn(source: SourceInfo, name: string, key: string): Lookup {
  // SQL Server resolves column names case-insensitively, and so does the mapping (columnValue).
  const found = source.columns.find((c) => c.name.toLowerCase() === name.toLowerCase());
  if (found) return { column: found };
  return {
    problem: problemError(
      key,
      `${source.label} has no column ${name} (it has: ${source.columns.map((c) => c.name).join(', ')})`,
      'map a column the view has, or add the column to the view',
    ),
  };
}

function columnsOf(source: SourceInfo, names: string[], key: string): SourceColumn[] | Problem[] {
  const found = names.map((n) => lookupColumn(source, n, key));
  const problems = found.flatMap((f) => ('problem' in f ? [f.problem] : []));
  return problems.length > 0 ? problems : found.map((f) => (f as { column: SourceColumn }).column);
}

function isProblems(value: SourceColumn[] | Problem[]): value is Problem[] {
  return value.length > 0 && 'severity' in (value[0] as object);
}

function lengthProblem(
  key: string,
  mapping: FieldMapping,
  columns: SourceColumn[],
  object: ObjectDescribe | undefined,
  fieldName: string,
): Problem[] {
  const field = object && findField(object, fieldName);
  // A lookup sends the table's value, not the column's: its length is the table's business.
  if (!field || !TEXT_FIELD_TYPES.has(field.type) || mapping.ref || mapping.lookup !== undefined) return [];
  const lengths = columns.map(textLength);
  if (lengths.some((l) => l === undefined)) return [];
  const longest = lengths.includes(null)
    ? null
    : (lengths as number[]).reduce((a, b) => a + b, 0) + columns.length - 1;
  if (longest !== null && longest <= field.length) return [];
  if (mapping.truncate && mapping.maxLength !== undefined && mapping.maxLength <= field.length) return [];
  const described = columns.map((c) => `${c.name} ${formatColumnType(c)}`).join(' + ');
  return [
    problemWarning(
      key,
      `${described} can hold ${longest === null ? 'unbounded' : longest} characters; ${field.name} takes ${field.length}: longer values are rejected`,
      `set "maxLength": ${field.length} with "truncate": true to cut them, or shorten the column in the view`,
    ),
  ];
}

const INTEGER_DIGITS: Record<string, number> = { tinyint: 3, smallint: 5, int: 10, bigint: 19 };

/** Digits left of the decimal point a column can hold; undefined when unknown (FLOAT, MONEY...). */
function integerDigits(column: SourceColumn): number | undefined {
  const family = sqlFamily(column.type);
  if (family === 'integer') return INTEGER_DIGITS[column.type.toLowerCase()];
  if (family === 'decimal' && column.precision !== undefined) return column.precision - (column.scale ?? 0);
  return undefined;
}

function rangeProblem(
  key: string,
  column: SourceColumn,
  object: ObjectDescribe | undefined,
  name: string,
): Problem[] {
  const field = object && findField(object, name);
  if (!field || !NUMBER_FIELD_TYPES.has(field.type)) return [];
  const digits = integerDigits(column);
  const room = field.type === 'int' ? field.digits : field.precision - field.scale;
  if (digits === undefined || room <= 0 || digits <= room) return [];
  return [
    problemWarning(
      key,
      `${column.name} ${formatColumnType(column)} can hold ${digits} digits before the decimal point; ${field.name} takes ${room}: larger values fail NUMBER_OUTSIDE_VALID_RANGE`,
      `widen ${field.name} in Salesforce, or check that the data stays within ${room} digits`,
    ),
  ];
}

function mappedField(
  entity: EntityConfig,
  name: string,
  mapping: FieldMapping,
  source: SourceInfo,
  object: ObjectDescribe | undefined,
): Problem[] {
  const key = `entities.${entity.name}.fields.${name}`;
  const names = fromColumns(mapping);
  if (names.length === 0) return [];
  const columns = columnsOf(source, names, key);
  if (isProblems(columns)) return columns;
  const problems: Problem[] = [];
  const only = columns.length === 1 ? columns[0] : undefined;
  if (only && !mapping.ref) {
    const verdict = sourceIntoMapping(only, mapping.type);
    if (verdict.level !== 'ok') {
      problems.push({ severity: verdict.level, key, problem: verdict.problem, fix: verdict.fix });
    }
    problems.push(...rangeProblem(key, only, object, name));
  }
  problems.push(...lengthProblem(key, mapping, columns, object, name));
  return problems;
}

function keyProblems(
  entity: EntityConfig,
  company: string,
  source: SourceInfo,
  object: ObjectDescribe | undefined,
): Problem[] {
  const key = `entities.${entity.name}.key`;
  const columns = columnsOf(source, entity.key, key);
  if (isProblems(columns)) return columns;
  const field = object && entity.externalIdField ? findField(object, entity.externalIdField) : undefined;
  if (!field) return [];
  const problems: Problem[] = [];
  if (!field.caseSensitive && columns.some(columnCaseSensitive)) {
    problems.push(
      problemWarning(
        key,
        `${source.label} compares ${entity.key.join(', ')} case-sensitively, but ${field.name} matches case-insensitively: keys that differ only in case are one record in Salesforce`,
        `make the keys unique ignoring case in the view, or mark ${field.name} case-sensitive in Salesforce`,
      ),
    );
  }
  const lengths = columns.map(textLength);
  if (lengths.every((l) => typeof l === 'number')) {
    const longest =
      company.length + 1 + (lengths as number[]).reduce((a, b) => a + b, 0) + columns.length - 1;
    if (longest > field.length) {
      problems.push(
        problemWarning(
          `entities.${entity.name}.externalIdField`,
          `external IDs "${company}-<key>" can be ${longest} characters; ${field.name} takes ${field.length}`,
          `lengthen ${field.name} to at least ${longest} characters`,
        ),
      );
    }
  }
  return problems;
}

/** Every problem of one entity's mapping against one company's source. */
export function checkSource(
  entity: EntityConfig,
  company: string,
  source: SourceInfo,
  object: ObjectDescribe | undefined,
): Problem[] {
  return [
    ...keyProblems(entity, company, source, object),
    ...Object.entries(entity.fields).flatMap(([name, mapping]) =>
      mappedField(entity, name, mapping, source, object),
    ),
  ];
}
