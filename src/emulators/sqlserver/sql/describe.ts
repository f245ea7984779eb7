/**
 * The result set of sp_describe_first_result_set: one row per column of the described query, with
 * SQL Server's column names, in its order (system types as sys.types numbers them).
 */
import { parseSqlType, type SqlType, type SqlValue } from '../sql-type.js';

interface DescribedColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  collation?: string;
}

/** What a column of a type looks like in sys.types and sp_describe_first_result_set. */
export interface TypeFacts {
  systemTypeId: number;
  systemTypeName: string;
  /** Bytes; -1 for (MAX). */
  maxLength: number;
  precision: number;
  scale: number;
}

export function typeFacts(type: SqlType): TypeFacts {
  switch (type.kind) {
    case 'nvarchar':
      return {
        systemTypeId: 231,
        systemTypeName: `nvarchar(${type.length === 'max' ? 'max' : type.length})`,
        maxLength: type.length === 'max' ? -1 : type.length * 2,
        precision: 0,
        scale: 0,
      };
    case 'int':
      return { systemTypeId: 56, systemTypeName: 'int', maxLength: 4, precision: 10, scale: 0 };
    case 'bigint':
      return { systemTypeId: 127, systemTypeName: 'bigint', maxLength: 8, precision: 19, scale: 0 };
    case 'float':
      return { systemTypeId: 62, systemTypeName: 'float', maxLength: 8, precision: 53, scale: 0 };
    case 'bit':
      return { systemTypeId: 104, systemTypeName: 'bit', maxLength: 1, precision: 1, scale: 0 };
    case 'decimal': {
      const p = type.precision;
      const maxLength = p <= 9 ? 5 : p <= 19 ? 9 : p <= 28 ? 13 : 17;
      return {
        systemTypeId: 106,
        systemTypeName: `decimal(${p},${type.scale})`,
        maxLength,
        precision: p,
        scale: type.scale,
      };
    }
    case 'date':
      return { systemTypeId: 40, systemTypeName: 'date', maxLength: 3, precision: 10, scale: 0 };
    case 'datetime2': {
      const s = type.scale;
      return {
        systemTypeId: 42,
        systemTypeName: `datetime2(${s})`,
        maxLength: s <= 2 ? 6 : s <= 4 ? 7 : 8,
        precision: s === 0 ? 19 : 20 + s,
        scale: s,
      };
    }
    case 'datetime':
      return { systemTypeId: 61, systemTypeName: 'datetime', maxLength: 8, precision: 23, scale: 3 };
  }
}

/** The columns of sp_describe_first_result_set, in SQL Server's order (smallint/tinyint as INT here). */
const SPEC: [string, string, boolean][] = [
  ['is_hidden', 'bit', false],
  ['column_ordinal', 'int', false],
  ['name', 'nvarchar(128)', true],
  ['is_nullable', 'bit', false],
  ['system_type_id', 'int', false],
  ['system_type_name', 'nvarchar(256)', true],
  ['max_length', 'int', false],
  ['precision', 'int', false],
  ['scale', 'int', false],
  ['collation_name', 'nvarchar(128)', true],
  ['user_type_id', 'int', true],
  ['user_type_database', 'nvarchar(128)', true],
  ['user_type_schema', 'nvarchar(128)', true],
  ['user_type_name', 'nvarchar(128)', true],
  ['assembly_qualified_type_name', 'nvarchar(4000)', true],
  ['xml_collection_id', 'int', true],
  ['xml_collection_database', 'nvarchar(128)', true],
  ['xml_collection_schema', 'nvarchar(128)', true],
  ['xml_collection_name', 'nvarchar(128)', true],
  ['is_xml_document', 'bit', false],
  ['is_case_sensitive', 'bit', false],
  ['is_fixed_length_clr_type', 'bit', false],
  ['source_server', 'nvarchar(128)', true],
  ['source_database', 'nvarchar(128)', true],
  ['source_schema', 'nvarchar(128)', true],
  ['source_table', 'nvarchar(128)', true],
  ['source_column', 'nvarchar(128)', true],
  ['is_identity_column', 'bit', true],
  ['is_part_of_unique_key', 'bit', true],
  ['is_updateable', 'bit', true],
  ['is_computed_column', 'bit', true],
  ['is_sparse_column_set', 'bit', true],
  ['ordinal_in_order_by_list', 'int', true],
  ['order_by_direction', 'int', true],
  ['order_by_list_length', 'int', true],
  ['error_number', 'int', true],
  ['error_severity', 'int', true],
  ['error_state', 'int', true],
  ['error_message', 'nvarchar(4000)', true],
  ['error_type', 'int', true],
  ['error_type_desc', 'nvarchar(60)', true],
];

export const DESCRIBE_COLUMNS = SPEC.map(([name, type, nullable]) => ({
  name,
  type: parseSqlType(type),
  nullable,
}));

function row(column: DescribedColumn, index: number): SqlValue[] {
  const facts = typeFacts(column.type);
  const caseSensitive = column.collation !== undefined && /_(CS|BIN2?)(_|$)/i.test(column.collation);
  const values: Record<string, SqlValue> = {
    is_hidden: false,
    column_ordinal: index + 1,
    name: column.name === '' ? null : column.name,
    is_nullable: column.nullable,
    system_type_id: facts.systemTypeId,
    system_type_name: facts.systemTypeName,
    max_length: facts.maxLength,
    precision: facts.precision,
    scale: facts.scale,
    collation_name: column.collation ?? null,
    user_type_id: facts.systemTypeId,
    is_xml_document: false,
    is_case_sensitive: caseSensitive,
    is_fixed_length_clr_type: false,
    is_identity_column: false,
    is_part_of_unique_key: null,
    is_updateable: false,
    is_computed_column: false,
    is_sparse_column_set: false,
  };
  return SPEC.map(([name]) => values[name] ?? null);
}

export function describeRows(columns: DescribedColumn[]): {
  columns: typeof DESCRIBE_COLUMNS;
  rows: SqlValue[][];
} {
  return { columns: DESCRIBE_COLUMNS, rows: columns.map(row) };
}
