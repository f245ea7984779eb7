import { checkObject } from '../../../src/core/check/object.js';
import { describeFixture, entityOf, objectOf } from './fixtures.js';

const account = describeFixture('account-describe');
const retailStore = describeFixture('retailstore-describe');

describe('check: a mapping against its object describe', () => {
  it('finds nothing wrong with the shipped terceros and sucursales mappings on the emulator org', () => {
    expect(checkObject(entityOf('terceros'), account, objectOf)).toEqual([]);
    expect(checkObject(entityOf('sucursales'), retailStore, objectOf)).toEqual([]);
  });

  it('names an unknown field by its config key, with the nearest field names', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.fields.Nmae = c.entities.terceros.fields.Name;
      delete c.entities.terceros.fields.Name;
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.Nmae',
        problem: 'Account has no field Nmae',
        fix: 'did you mean Name? Field API names are in Setup > Object Manager > Account > Fields',
      },
      {
        severity: 'error',
        key: 'entities.terceros.fields',
        problem:
          'Account.Name is required (not nillable, no default) but not mapped: every create fails REQUIRED_FIELD_MISSING',
        fix: 'add a mapping for Name ("from" a column or a "const")',
      },
    ]);
  });

  it('reports a field the integration user cannot create or edit (field-level security)', () => {
    const locked = {
      ...account,
      fields: account.fields.map((f) =>
        f.name === 'ti_nombre_comercial__c' ? { ...f, createable: false, updateable: false } : f,
      ),
    };
    expect(checkObject(entityOf('terceros'), locked, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.ti_nombre_comercial__c',
        problem:
          'the integration user cannot create or edit ti_nombre_comercial__c (field-level security: createable false, updateable false)',
        fix: "give the integration user's profile or permission set Edit access to ti_nombre_comercial__c, or remove the mapping",
      },
    ]);
  });

  it('reports text into a number field, a boolean into text, text into a boolean and a date into a Date/Time field', () => {
    const entity = entityOf('terceros', (c) => {
      const f = c.entities.terceros.fields;
      f.ti_cupo_credito__c = { from: 'cupo_credito' };
      f.AccountNumber = { from: 'activo', type: 'boolean' };
      f.ti_activo__c = { from: 'activo', type: 'string', required: true };
      f.ti_fecha_modificacion__c = { from: 'fecha_modificacion', type: 'date' };
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.AccountNumber',
        problem: 'a boolean into AccountNumber, a string field',
        fix: 'map it with the type the field takes ("type": "string" or "type": "email"), or choose another field',
      },
      {
        severity: 'error',
        key: 'entities.terceros.fields.ti_cupo_credito__c',
        problem: 'text into ti_cupo_credito__c, a currency field',
        fix: 'map it with the type the field takes ("type": "number" or "type": "integer"), or choose another field',
      },
      {
        severity: 'error',
        key: 'entities.terceros.fields.ti_activo__c',
        problem: 'text into ti_activo__c, a boolean field',
        fix: 'map it with the type the field takes ("type": "boolean"), or choose another field',
      },
      {
        severity: 'error',
        key: 'entities.terceros.fields.ti_fecha_modificacion__c',
        problem: 'a date into ti_fecha_modificacion__c, a datetime field',
        fix: 'map it with the type the field takes ("type": "datetime"), or choose another field',
      },
    ]);
  });

  it('reports a maxLength longer than the field and a scale finer than it keeps', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.fields.BillingCity.maxLength = 80;
      c.entities.terceros.fields.ti_cupo_credito__c.scale = 4;
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.BillingCity.maxLength',
        problem:
          'maxLength 80 is longer than BillingCity (40 characters): longer values fail STRING_TOO_LONG',
        fix: 'set "maxLength": 40',
      },
      {
        severity: 'warning',
        key: 'entities.terceros.fields.ti_cupo_credito__c.scale',
        problem: 'scale 4 but ti_cupo_credito__c keeps 2 decimals: Salesforce rounds the rest',
        fix: 'set "scale": 2',
      },
    ]);
  });

  it('reports an external ID field that is not marked External ID and Unique', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.externalIdField = 'ti_nombre_comercial__c';
      delete c.entities.terceros.fields.ti_nombre_comercial__c;
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.externalIdField',
        problem: 'Account.ti_nombre_comercial__c is not marked External ID and Unique: upserts by it fail',
        fix: 'mark ti_nombre_comercial__c "External ID" and "Unique" in Setup > Object Manager > Account > Fields',
      },
    ]);
  });

  it('reports state names sent while state and country picklists are on, and a state code without its country', () => {
    const names = entityOf('terceros', (c) => {
      delete c.entities.terceros.fields.BillingStateCode;
      c.entities.terceros.fields.BillingState = { from: 'departamento', maxLength: 80 };
    });
    expect(checkObject(names, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.BillingState',
        problem:
          'state and country picklists are on in this org (Account has BillingStateCode): BillingState sent as a name fails FIELD_INTEGRITY_EXCEPTION',
        fix: 'map BillingStateCode instead (the org\'s codes, e.g. AMA) with its country code field; a "lookup" can translate names to codes',
      },
    ]);
    const noCountry = entityOf('terceros', (c) => {
      delete c.entities.terceros.fields.BillingCountryCode;
    });
    expect(checkObject(noCountry, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.BillingStateCode',
        problem:
          'BillingStateCode is sent without BillingCountryCode: a state needs its country (FIELD_INTEGRITY_EXCEPTION)',
        fix: 'map BillingCountryCode too, e.g. { "const": "CO" }',
      },
    ]);
  });

  it('reports a constant that the restricted picklist does not allow', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.fields.Type = { const: 'OTRO' };
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.terceros.fields.Type.const',
        problem:
          '"OTRO" is not a value of the restricted picklist Type (INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST)',
        fix: 'use one of: Prospect, Customer - Direct, Customer - Channel, Channel Partner / Reseller, Installation Partner, Technology Partner, Other',
      },
    ]);
  });

  it('reports a relationship name that does not exist and a reference to an entity of another object', () => {
    const entity = entityOf('sucursales', (c) => {
      c.entities.sucursales.fields.AccountId.ref.relationship = 'Cuenta';
    });
    expect(checkObject(entity, retailStore, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.sucursales.fields.AccountId.ref.relationship',
        problem: 'RetailStore.AccountId has no relationship named Cuenta',
        fix: 'set "relationship": "Account" (the relationshipName of AccountId in describe)',
      },
    ]);
    const wrongParent = entityOf('sucursales', (c) => {
      c.entities.sucursales.fields.AccountId.ref.entity = 'acuerdos';
      c.entities.acuerdos.fields.ti_sucursal__c = { from: 'codigo_sucursal' };
    });
    expect(checkObject(wrongParent, retailStore, objectOf)).toEqual([
      {
        severity: 'error',
        key: 'entities.sucursales.fields.AccountId.ref.entity',
        problem: 'AccountId points to Account, but entity acuerdos writes ti_acuerdo__c',
        fix: 'refer to the entity that writes Account, or map the lookup field that points to ti_acuerdo__c',
      },
    ]);
  });

  it('warns when Salesforce requires a field that the mapping lets be empty', () => {
    const entity = entityOf('terceros', (c) => {
      c.entities.terceros.fields.Name.required = false;
    });
    expect(checkObject(entity, account, objectOf)).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.fields.Name',
        problem:
          'Name is required in Salesforce but not in the mapping: rows without a value fail REQUIRED_FIELD_MISSING at Salesforce',
        fix: 'set "required": true (rows are then rejected before sending) or give a "default"',
      },
    ]);
  });
});
