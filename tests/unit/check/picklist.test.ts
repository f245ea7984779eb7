import {
  checkPicklistValues,
  mappedValues,
  restrictedPicklistFields,
} from '../../../src/core/check/picklist.js';
import { describeFixture, entityOf } from './fixtures.js';

const strict = describeFixture('account-describe-strict');

describe('check: restricted picklist values', () => {
  it('reads only the restricted picklists fed from a column', () => {
    expect(restrictedPicklistFields(entityOf('terceros'), strict)).toEqual(['Type']);
    expect(restrictedPicklistFields(entityOf('terceros'), describeFixture('account-describe'))).toEqual([]);
  });

  it('converts the distinct source values as the sync would (trim, case) before comparing', () => {
    const rows = [
      { tipo_tercero: ' cliente ' },
      { tipo_tercero: 'CLIENTE' },
      { tipo_tercero: 'Proveedor' },
      { tipo_tercero: null },
    ];
    const sent = mappedValues(entityOf('terceros'), 'Type', rows);
    expect(sent).toEqual(['CLIENTE', 'PROVEEDOR']);
    expect(checkPicklistValues(entityOf('terceros'), 'Type', strict, sent)).toEqual([]);
  });

  it('reports the values the org refuses, inactive ones included', () => {
    const entity = entityOf('terceros', (c) => {
      delete c.entities.terceros.fields.Type.case;
    });
    const rows = ['CLIENTE', 'cliente', 'OTRO', 'Aliado'].map((tipo_tercero) => ({ tipo_tercero }));
    const sent = mappedValues(entity, 'Type', rows);
    expect(checkPicklistValues(entity, 'Type', strict, sent)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.Type',
        problem:
          'the source holds "Aliado", "OTRO", "cliente", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
        fix: 'add them to the picklist\'s values in Setup, or convert them in the mapping ("case", a lookup) to one of: CLIENTE, PROVEEDOR, DISTRIBUIDOR',
      },
    ]);
  });
});
