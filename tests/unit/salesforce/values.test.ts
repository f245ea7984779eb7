import { buildSchema, type FieldDef } from '../../../src/emulators/salesforce/schema.js';
import { fromCsv, fromJson, parseDate, parseDatetime } from '../../../src/emulators/salesforce/values.js';

const schema = buildSchema({
  objects: {
    Thing__c: {
      keyPrefix: 'a01',
      fields: {
        Key__c: { type: 'string', length: 10, externalId: true, unique: true },
        Amount__c: { type: 'currency', precision: 5, scale: 2 },
        Ratio__c: { type: 'percent', precision: 3, scale: 2 },
        Count__c: { type: 'double', precision: 18, scale: 0 },
        Mail__c: { type: 'email', length: 80 },
        Flag__c: { type: 'boolean' },
        Day__c: { type: 'date' },
        When__c: { type: 'datetime' },
      },
    },
  },
});
const field = (name: string) => schema.objects[0]?.fieldsByLower.get(name.toLowerCase()) as FieldDef;

describe('field values from JSON', () => {
  it('keeps strings within the length and refuses longer ones per record', () => {
    expect(fromJson(field('Key__c'), 'abcdefghij')).toEqual({ ok: true, value: 'abcdefghij' });
    expect(fromJson(field('Key__c'), 12345)).toEqual({ ok: true, value: '12345' });
    expect(fromJson(field('Key__c'), 'abcdefghijk')).toMatchObject({
      ok: false,
      parser: false,
      error: { statusCode: 'STRING_TOO_LONG', fields: ['Key__c'] },
    });
  });

  it('rounds numbers to the scale and refuses too many integer digits', () => {
    expect(fromJson(field('Amount__c'), 123.456)).toEqual({ ok: true, value: 123.46 });
    expect(fromJson(field('Amount__c'), '-999.994')).toEqual({ ok: true, value: -999.99 });
    expect(fromJson(field('Amount__c'), 1000)).toMatchObject({
      ok: false,
      error: { statusCode: 'NUMBER_OUTSIDE_VALID_RANGE' },
    });
    expect(fromJson(field('Ratio__c'), 9.99)).toEqual({ ok: true, value: 9.99 });
    expect(fromJson(field('Ratio__c'), 10)).toMatchObject({
      ok: false,
      error: { statusCode: 'NUMBER_OUTSIDE_VALID_RANGE' },
    });
    expect(fromJson(field('Count__c'), 2.5)).toEqual({ ok: true, value: 3 });
    expect(fromJson(field('Count__c'), 1e21)).toMatchObject({
      ok: false,
      error: { statusCode: 'NUMBER_OUTSIDE_VALID_RANGE' },
    });
    expect(fromJson(field('Amount__c'), 'lots')).toEqual({
      ok: false,
      parser: true,
      token: 'VALUE_STRING',
      raw: 'lots',
    });
  });

  it('takes booleans and their string forms only', () => {
    expect(fromJson(field('Flag__c'), 'TRUE')).toEqual({ ok: true, value: true });
    expect(fromJson(field('Flag__c'), 1)).toEqual({
      ok: false,
      parser: true,
      token: 'VALUE_NUMBER_INT',
      raw: '1',
    });
  });

  it('checks e-mail addresses', () => {
    expect(fromJson(field('Mail__c'), 'ana@example.co')).toEqual({ ok: true, value: 'ana@example.co' });
    expect(fromJson(field('Mail__c'), 'ana@')).toMatchObject({
      ok: false,
      error: { statusCode: 'INVALID_EMAIL_ADDRESS' },
    });
  });

  it('takes YYYY-MM-DD dates and ISO 8601 datetimes, normalized to GMT', () => {
    expect(fromJson(field('Day__c'), '2024-02-29')).toEqual({ ok: true, value: '2024-02-29' });
    expect(fromJson(field('Day__c'), '2023-02-29')).toMatchObject({ ok: false, parser: true });
    expect(parseDatetime('2024-01-31T23:30:00-05:00')).toBe('2024-02-01T04:30:00.000+0000');
    expect(parseDatetime('2024-01-31T23:30:00.5Z')).toBe('2024-01-31T23:30:00.500+0000');
    expect(parseDatetime('2024-01-31T23:30:00.000+0000')).toBe('2024-01-31T23:30:00.000+0000');
    expect(parseDatetime('2024-01-31 23:30:00')).toBeUndefined();
    expect(parseDate('2024-1-5')).toBeUndefined();
  });
});

describe('field values from CSV', () => {
  it('converts cells and reports INVALID_TYPE_ON_FIELD_IN_RECORD', () => {
    expect(fromCsv(field('Flag__c'), '0')).toEqual({ ok: true, value: false });
    expect(fromCsv(field('Amount__c'), '12.5')).toEqual({ ok: true, value: 12.5 });
    expect(fromCsv(field('Amount__c'), '12,5')).toMatchObject({
      ok: false,
      error: {
        statusCode: 'INVALID_TYPE_ON_FIELD_IN_RECORD',
        message: 'Amount: value not of required type: 12,5',
        fields: ['Amount__c'],
      },
    });
    expect(fromCsv(field('When__c'), '2024-01-01T00:00:00Z')).toEqual({
      ok: true,
      value: '2024-01-01T00:00:00.000+0000',
    });
  });
});
