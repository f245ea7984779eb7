import { type BinaryEncoding, binaryOf, encodeBinary } from './binary.js';
import { decimalOfNumber, jsonNumber, type NumberFormat, parseDecimal, roundDecimal } from './decimal.js';

/** Why a value cannot be sent (a Salesforce-style code, as in mapping's Rejection). */
export interface ValueRejection {
  code: string;
  field: string;
  message: string;
}

export type NumberResult = { value: number | string } | { reject: ValueRejection };

/**
 * A `number` or `integer` field from a source value, exactly: DECIMAL/MONEY/BIGINT arrive as
 * text and keep every digit; the result is rounded half away from zero to the field's scale (0
 * for integers) and is a JS number when one holds it exactly, else a string of the exact digits.
 */
export function exactNumber(
  field: string,
  input: unknown,
  options: { integer: boolean; scale?: number; numberFormat?: NumberFormat },
): NumberResult {
  const decimal =
    typeof input === 'number'
      ? decimalOfNumber(input)
      : typeof input === 'string' || typeof input === 'bigint'
        ? parseDecimal(String(input), options.numberFormat)
        : undefined;
  if (!decimal) {
    const accepted = options.numberFormat === 'es-CO' ? ' (expected es-CO digits like 1.234.567,89)' : '';
    return {
      reject: {
        code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        field,
        message: `${field}: not a number: ${String(input)}${accepted}`,
      },
    };
  }
  const scale = options.integer ? 0 : options.scale;
  return { value: jsonNumber(scale === undefined ? decimal : roundDecimal(decimal, scale)) };
}

export type TextResult = { text: string } | { reject: ValueRejection };

/** A source value as text for a string field: binary only through an explicit encoding, never "[object Object]". */
export function valueText(field: string, input: unknown, encoding: BinaryEncoding | undefined): TextResult {
  const bytes = binaryOf(input);
  if (bytes) {
    if (!encoding) {
      return {
        reject: {
          code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
          field,
          message: `${field}: the source column is binary (VARBINARY); set "encoding": "base64" or "hex" on the field to send it`,
        },
      };
    }
    return { text: encodeBinary(bytes, encoding) };
  }
  if (input instanceof Date) return { text: input.toISOString() };
  if (typeof input === 'object' && input !== null) {
    return {
      reject: {
        code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        field,
        message: `${field}: not a text value: ${JSON.stringify(input).slice(0, 80)}`,
      },
    };
  }
  return { text: String(input) };
}

/** A row's column by name as SQL Server resolves names: exactly, else case-insensitively. */
export function columnValue(row: Record<string, unknown>, column: string): unknown {
  if (column in row) return row[column];
  const lower = column.toLowerCase();
  for (const k of Object.keys(row)) if (k.toLowerCase() === lower) return row[k];
  return undefined;
}
