import { buildSchema, loadSchema } from '../../../src/emulators/salesforce/schema.js';

describe('org schema', () => {
  it('ships Account, RetailStore and ti_acuerdo__c with their keys and relationships', () => {
    const schema = loadSchema();
    expect(schema.objects.map((o) => [o.name, o.keyPrefix])).toEqual([
      ['Account', '001'],
      ['RetailStore', '0ZS'],
      ['ti_acuerdo__c', 'a0A'],
    ]);
    for (const object of schema.objects) {
      expect(object.externalIdFields.map((f) => [f.name, f.unique, f.length])).toEqual([
        ['ti_external_id__c', true, 80],
      ]);
      expect(object.fields.map((f) => f.name)).toEqual(
        expect.arrayContaining(['Id', 'CreatedDate', 'LastModifiedDate', 'SystemModstamp']),
      );
    }
    const deal = schema.byLower.get('ti_acuerdo__c');
    expect(deal?.relationshipsByLower.get('ti_cuenta__r')).toMatchObject({
      name: 'ti_cuenta__c',
      referenceTo: 'Account',
      required: true,
    });
    expect(deal?.relationshipsByLower.get('ti_sucursal__r')).toMatchObject({
      name: 'ti_sucursal__c',
      referenceTo: 'RetailStore',
      required: false,
    });
    expect(schema.byLower.get('retailstore')?.relationshipsByLower.get('account')?.name).toBe('AccountId');
  });

  it.each([
    [{ objects: { X: { keyPrefix: '0011', fields: {} } } }, /keyPrefix: three letters or digits/],
    [
      { objects: { X__c: { keyPrefix: 'a01', fields: { K__c: { type: 'string', length: 5 } } } } },
      /needs an external ID field/,
    ],
    [
      {
        objects: {
          X__c: {
            keyPrefix: 'a01',
            fields: {
              K__c: { type: 'string', length: 5, externalId: true },
              P__c: { type: 'reference', referenceTo: 'Nope', relationshipName: 'P__r' },
            },
          },
        },
      },
      /X__c\.P__c refers to Nope, which is not defined; defined: X__c/,
    ],
    [
      {
        objects: {
          X__c: {
            keyPrefix: 'a01',
            fields: { K__c: { type: 'string', length: 5, externalId: true, colour: 'red' } },
          },
        },
      },
      /Unrecognized key: "colour"/,
    ],
    [
      {
        objects: {
          X__c: {
            keyPrefix: 'a01',
            fields: {
              K__c: { type: 'string', length: 5, externalId: true },
              N__c: { type: 'currency', precision: 2, scale: 3 },
            },
          },
        },
      },
      /scale 3 exceeds precision 2/,
    ],
  ])('refuses an invalid schema, naming the problem (%#)', (document, message) => {
    expect(() => buildSchema(document)).toThrow(message);
  });
});
