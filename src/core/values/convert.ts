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
  const value = jsonNumber(scale === undefined ? decimal : roundDecimal(decimal, scale));
  const tooLarge = outOfSalesforceRange(field, value, scale ?? 0);
  return tooLarge ? { reject: tooLarge } : { value };
}

/** Digits a Salesforce number, currency or percent field holds at most, before and after the point. */
export const SALESFORCE_MAX_PRECISION = 18;

/**
 * Salesforce reads a number field's value as a double and refuses the whole request
 * (NUMBER_OUTSIDE_VALID_RANGE) when its integer part has more digits than precision minus scale
 * allows: `9999999999999999.99` arrives as `1e16`. Whatever the field's precision, it is at most
 * 18, so a value past 18 minus the scale digits (after rounding to a double) cannot be stored.
 */
function outOfSalesforceRange(
  field: string,
  value: number | string,
  scale: number,
): ValueRejection | undefined {
  const asDouble = Math.abs(Number(value));
  const digits = SALESFORCE_MAX_PRECISION - scale;
  if (Number.isFinite(asDouble) && asDouble < 10 ** digits) return undefined;
  return {
    code: 'NUMBER_OUTSIDE_VALID_RANGE',
    field,
    message: `${field}: ${String(value)} is outside the numbers Salesforce stores with ${scale} decimal place(s): at most ${digits} digits before the point (it reads numbers as doubles: this one arrives as ${Number(value)})`,
  };
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
