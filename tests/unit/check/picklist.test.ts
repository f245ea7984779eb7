import { checkPicklistValues, mappedValues, valueCheckedFields } from '../../../src/core/check/picklist.js';
import { describeFixture, entityOf } from './fixtures.js';

const account = describeFixture('account-describe');
const TYPES =
  '"Prospect", "Customer - Direct", "Customer - Channel", "Channel Partner / Reseller", "Installation Partner", "Technology Partner", "Other"';

describe('check: values the view holds, against restricted picklists and lookups', () => {
  it('reads the columns feeding a restricted picklist or a lookup', () => {
    expect(valueCheckedFields(entityOf('terceros'), account)).toEqual(['Type', 'BillingStateCode']);
    expect(valueCheckedFields(entityOf('sucursales'), describeFixture('retailstore-describe'))).toEqual([
      'StateCode',
    ]);
  });

  it('converts the distinct source values as the sync would (trim, case, lookup) and finds them allowed', () => {
    const rows = ['CLIENTE', ' cliente ', 'Proveedor', null].map((tipo_tercero) => ({ tipo_tercero }));
    const values = mappedValues(entityOf('terceros'), 'Type', rows);
    expect(values).toEqual({ sent: ['Customer - Direct', 'Other'], rejected: [] });
    expect(checkPicklistValues(entityOf('terceros'), 'Type', account, values)).toEqual([]);
    const departments = ['Antioquia', 'BOGOTÁ D.C.', 'valle del cauca'].map((departamento) => ({
      departamento,
    }));
    const codes = mappedValues(entityOf('terceros'), 'BillingStateCode', departments);
    expect(codes.rejected).toEqual([]);
    expect(checkPicklistValues(entityOf('terceros'), 'BillingStateCode', account, codes)).toEqual([]);
  });

  it('reports values the restricted picklist refuses, and warns of values the lookup does not know', () => {
    const upper = entityOf('terceros', (c) => {
      c.entities.terceros.fields.Type = { from: 'tipo_tercero', case: 'upper' };
    });
    const rows = ['CLIENTE', 'cliente', 'Aliado'].map((tipo_tercero) => ({ tipo_tercero }));
    expect(checkPicklistValues(upper, 'Type', account, mappedValues(upper, 'Type', rows))).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.Type',
        problem:
          'the source holds "ALIADO", "CLIENTE", not values of the restricted picklist Account.Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
        fix: `add them to the picklist's values in Setup, or convert them in the mapping ("case", a "lookup") to one of: ${TYPES}`,
      },
    ]);
    const shipped = entityOf('terceros');
    expect(checkPicklistValues(shipped, 'Type', account, mappedValues(shipped, 'Type', rows))).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.fields.Type',
        problem: 'the mapping rejects rows holding "Aliado" (INVALID_LOOKUP_VALUE)',
        fix: 'add those values to the mapping\'s "lookup", or correct them at the source',
      },
    ]);
  });
});
