import { exactNumber, valueText } from '../../../src/core/values/convert.js';
import { decimalText, jsonNumber, parseDecimal, roundDecimal } from '../../../src/core/values/decimal.js';

const exact = (input: unknown, options: Parameters<typeof exactNumber>[2]) =>
  exactNumber('F__c', input, options);

describe('exact decimals', () => {
  it('keeps every digit of a DECIMAL beyond 2^53 and sends it as a string of digits', () => {
    expect(exact('1234567890123456.78', { integer: false, scale: 2 })).toEqual({
      value: '1234567890123456.78',
    });
    expect(exact('90071992547409.93', { integer: false, scale: 2 })).toEqual({ value: '90071992547409.93' });
  });

  it('refuses before sending what no Salesforce number field holds (at most 18 digits, read as a double)', () => {
    expect(exact('123456789012345678901234567890123456.78', { integer: false, scale: 2 })).toMatchObject({
      reject: { code: 'NUMBER_OUTSIDE_VALID_RANGE', field: 'F__c' },
    });
    // 16 digits before the point with 2 after is DECIMAL(18,2)'s largest, but as a double it is 1e16
    expect(exact('9999999999999999.99', { integer: false, scale: 2 })).toMatchObject({
      reject: { code: 'NUMBER_OUTSIDE_VALID_RANGE' },
    });
  });

  it('sends a JSON number when a JS number holds the value exactly', () => {
    expect(exact('1500000.50', { integer: false, scale: 2 })).toEqual({ value: 1500000.5 });
    expect(exact('1234.5678', { integer: false })).toEqual({ value: 1234.5678 });
    expect(exact(-0.0, { integer: false })).toEqual({ value: 0 });
  });

  it('rounds half away from zero to the scale, in decimal (1.005 is 1.01, not 1.00 as binary toFixed gives)', () => {
    expect(exact(1.005, { integer: false, scale: 2 })).toEqual({ value: 1.01 });
    expect(exact('-2.5', { integer: true })).toEqual({ value: -3 });
    expect(exact('99.995', { integer: false, scale: 2 })).toEqual({ value: 100 });
    expect(exact('1234.5678', { integer: false, scale: 4 })).toEqual({ value: 1234.5678 });
  });

  it('reads a BIGINT beyond 2^53 as an integer without losing a digit', () => {
    expect(exact('123456789012345678', { integer: true })).toEqual({ value: '123456789012345678' });
    expect(exact('9223372036854775807', { integer: true })).toMatchObject({
      reject: { code: 'NUMBER_OUTSIDE_VALID_RANGE' },
    });
    expect(exact('9007199254740991', { integer: true })).toEqual({ value: 9007199254740991 });
  });

  it('parses Colombian separators when the field says numberFormat "es-CO"', () => {
    expect(exact('1.234.567,89', { integer: false, numberFormat: 'es-CO' })).toEqual({ value: 1234567.89 });
    expect(exact('-12,5', { integer: false, numberFormat: 'es-CO' })).toEqual({ value: -12.5 });
    expect(exact('1.234.567', { integer: true, numberFormat: 'es-CO' })).toEqual({ value: 1234567 });
    expect(exact('1,234.56', { integer: false, numberFormat: 'es-CO' })).toEqual({
      reject: {
        code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        field: 'F__c',
        message: 'F__c: not a number: 1,234.56 (expected es-CO digits like 1.234.567,89)',
      },
    });
    expect(exact('12.34', { integer: false, numberFormat: 'es-CO' })).toHaveProperty('reject');
  });

  it('refuses what is not a number', () => {
    for (const bad of ['', 'abc', '1.2.3', true, {}, '--1']) {
      expect(exact(bad, { integer: false })).toHaveProperty('reject.code', 'INVALID_TYPE_ON_FIELD_IN_RECORD');
    }
  });

  it('has canonical text and rounding helpers', () => {
    const d = parseDecimal('000123.4500');
    expect(d && decimalText(d)).toBe('123.45');
    expect(d && jsonNumber(roundDecimal(d, 1))).toBe(123.5);
    const e = parseDecimal('1.5e-3');
    expect(e && decimalText(e)).toBe('0.0015');
    const big = parseDecimal('-999.999');
    expect(big && decimalText(roundDecimal(big, 2))).toBe('-1000');
  });
});

describe('binary values', () => {
  it('are sent only with an explicit encoding, from a Buffer or a staged JSON Buffer', () => {
    const bytes = Buffer.from([0xde, 0xad, 0xbe, 0xef]);
    expect(valueText('B__c', bytes, 'hex')).toEqual({ text: 'deadbeef' });
    expect(valueText('B__c', bytes.toJSON(), 'base64')).toEqual({ text: '3q2+7w==' });
    expect(valueText('B__c', bytes, undefined)).toEqual({
      reject: {
        code: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        field: 'B__c',
        message:
          'B__c: the source column is binary (VARBINARY); set "encoding": "base64" or "hex" on the field to send it',
      },
    });
  });
});
