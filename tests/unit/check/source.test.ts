import type { SourceColumn } from '../../../src/core/check/columns.js';
import { checkSource } from '../../../src/core/check/source.js';
import { columnsFixture, describeFixture, entityOf } from './fixtures.js';

const account = describeFixture('account-describe');
const terceros = columnsFixture('terceros-columns');
const view = (columns: SourceColumn[] = terceros) => ({ label: 'view terceros_view', columns });

const nameTooLong = {
  severity: 'warning',
  key: 'entities.terceros.fields.Name',
  problem: 'razon_social NVARCHAR(400) can hold 400 characters; Name takes 255: longer values are rejected',
  fix: 'set "maxLength": 255 with "truncate": true to cut them, or shorten the column in the view',
};
const emailTooLong = {
  severity: 'warning',
  key: 'entities.terceros.fields.ti_email__c',
  problem: 'email NVARCHAR(150) can hold 150 characters; ti_email__c takes 80: longer values are rejected',
  fix: 'set "maxLength": 80 with "truncate": true to cut them, or shorten the column in the view',
};

describe("check: a mapping against a company's view", () => {
  it('warns, for the shipped terceros mapping, only of the columns longer than their fields', () => {
    expect(checkSource(entityOf('terceros'), 'ITALCOL', view(), account)).toEqual([
      nameTooLong,
      emailTooLong,
    ]);
  });

  it('is quiet about a longer column when the mapping truncates to the field length', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.fields.Name.truncate = true;
      c.entities.terceros.fields.ti_email__c.maxLength = 80;
      c.entities.terceros.fields.ti_email__c.truncate = true;
    });
    expect(checkSource(entity, 'ITALCOL', view(), account)).toEqual([]);
  });

  it('reports a mapped column or key column the view does not have, and finds one spelled in another case', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.key = ['nit_tercero'];
      c.entities.terceros.fields.Phone.from = 'telefono_fijo';
      c.entities.terceros.fields.BillingCity.from = 'Ciudad';
    });
    const names = terceros.map((c) => c.name).join(', ');
    expect(checkSource(entity, 'ITALCOL', view(), account)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.key',
        problem: `view terceros_view has no column nit_tercero (it has: ${names})`,
        fix: 'map a column the view has, or add the column to the view',
      },
      nameTooLong,
      {
        severity: 'error',
        key: 'entities.terceros.fields.Phone',
        problem: `view terceros_view has no column telefono_fijo (it has: ${names})`,
        fix: 'map a column the view has, or add the column to the view',
      },
      emailTooLong,
    ]);
  });

  it('reports a DATETIME column into a date, a BIT into text, and warns of text parsed as a number', () => {
    const entity = entityOf('terceros', (c) => {
      const f = c.entities.terceros.fields;
      f.ti_fecha_modificacion__c.type = 'date';
      f.AccountNumber = { from: 'activo' };
      f.ti_cupo_credito__c.from = 'nit';
    });
    const problems = checkSource(entity, 'ITALCOL', view(), account);
    expect(problems).toEqual([
      nameTooLong,
      {
        severity: 'error',
        key: 'entities.terceros.fields.AccountNumber',
        problem: 'a BIT (boolean) column (activo BIT) cannot be mapped as string',
        fix: 'use a mapping type that fits the column ("type": "boolean"), or convert it in the view',
      },
      emailTooLong,
      {
        severity: 'warning',
        key: 'entities.terceros.fields.ti_cupo_credito__c',
        problem:
          'a text column (nit NVARCHAR(20)) mapped as number: each value is parsed, and rows that do not parse are rejected',
        fix: 'check the data, or convert the column in the view (CAST/CONVERT) to the type the field needs',
      },
      {
        severity: 'error',
        key: 'entities.terceros.fields.ti_fecha_modificacion__c',
        problem:
          'a DATETIME column (fecha_modificacion DATETIME2) into a date: the time of day is dropped, and the date depends on the time zone',
        fix: 'map it to a Date/Time field with "type": "datetime", or CAST it AS DATE in the view',
      },
    ]);
  });

  it('warns when the view tells keys apart by case but the external ID does not, and when the ID can be too long', () => {
    const columns = terceros.map((c) =>
      c.name === 'nit' ? { ...c, maxChars: 90, collation: 'Latin1_General_CS_AS' } : c,
    );
    expect(checkSource(entityOf('terceros'), 'SANTA_REYES', view(columns), account).slice(0, 2)).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.key',
        problem:
          'view terceros_view compares nit case-sensitively, but ti_external_id__c matches case-insensitively: keys that differ only in case are one record in Salesforce',
        fix: 'make the keys unique ignoring case in the view, or mark ti_external_id__c case-sensitive in Salesforce',
      },
      {
        severity: 'warning',
        key: 'entities.terceros.externalIdField',
        problem: 'external IDs "SANTA_REYES-<key>" can be 102 characters; ti_external_id__c takes 80',
        fix: 'lengthen ti_external_id__c to at least 102 characters',
      },
    ]);
  });

  it('warns when a number column can hold more integer digits than the field', () => {
    const columns = terceros.map((c) => (c.name === 'cupo_credito' ? { ...c, precision: 38, scale: 2 } : c));
    expect(checkSource(entityOf('terceros'), 'ITALCOL', view(columns), account)).toEqual([
      nameTooLong,
      emailTooLong,
      {
        severity: 'warning',
        key: 'entities.terceros.fields.ti_cupo_credito__c',
        problem:
          'cupo_credito DECIMAL(38,2) can hold 36 digits before the decimal point; ti_cupo_credito__c takes 16: larger values fail NUMBER_OUTSIDE_VALID_RANGE',
        fix: 'widen ti_cupo_credito__c in Salesforce, or check that the data stays within 16 digits',
      },
    ]);
  });
});
