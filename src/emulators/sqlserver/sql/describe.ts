/**
 * The result set of sp_describe_first_result_set: one row per column of the described query, with
 * SQL Server's column names, in its order (system types as sys.types numbers them).
 */
import { describeType, parseSqlType, type SqlType, type SqlValue } from '../sql-type.js';

interface DescribedColumn {
  name: string;
  type: SqlType;
  nullable: boolean;
  collation?: string;
}

/** The columns of sp_describe_first_result_set, in SQL Server's order. */
const SPEC: [string, string, boolean][] = [
  ['is_hidden', 'bit', false],
  ['column_ordinal', 'int', false],
  ['name', 'nvarchar(128)', true],
  ['is_nullable', 'bit', false],
  ['system_type_id', 'int', false],
  ['system_type_name', 'nvarchar(256)', true],
  ['max_length', 'smallint', false],
  ['precision', 'tinyint', false],
  ['scale', 'tinyint', false],
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
  const facts = describeType(column.type);
  // The collation the value carries (COLLATE in the query) wins over the type's.
  const collation = facts.collationName === null ? null : (column.collation ?? facts.collationName);
  const caseSensitive = collation !== null && /_(CS|BIN2?)(_|$)/i.test(collation);
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
    collation_name: collation,
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
