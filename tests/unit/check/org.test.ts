import { duplicateRulePageSchema } from '../../../src/core/check/describe.js';
import { checkApiVersion, checkDuplicateRules, duplicateRulesUnknown } from '../../../src/core/check/org.js';
import { configWith } from './fixtures.js';

const versions = ['20.0', '45.0', '46.0', '61.0', '62.0'];
const rules = [
  { DeveloperName: 'Standard_Account_Duplicate_Rule', IsActive: true, SobjectType: 'Account' },
  { DeveloperName: 'Old_Account_Rule', IsActive: false, SobjectType: 'Account' },
  { DeveloperName: 'Standard_Contact_Duplicate_Rule', IsActive: true, SobjectType: 'Contact' },
];

/** A record of `SELECT DeveloperName, IsActive, SobjectType FROM DuplicateRule`, as the org answers it. */
const record = (id: string, DeveloperName: string, IsActive: boolean, SobjectType: string) => ({
  attributes: { type: 'DuplicateRule', url: `/services/data/v62.0/sobjects/DuplicateRule/${id}` },
  DeveloperName,
  IsActive,
  SobjectType,
});
/** The first of two pages of that query in an org with a custom Account rule, a Contact rule and a Lead rule. */
const firstPage = {
  totalSize: 4,
  done: false,
  nextRecordsUrl: '/services/data/v62.0/query/01gD0000002HU6KIAW-2',
  records: [
    record('0Bm5g0000000001CAA', 'Standard_Account_Duplicate_Rule', false, 'Account'),
    record('0Bm5g0000000002CAA', 'Cuentas_por_NIT', true, 'Account'),
    record('0Bm5g0000000003CAA', 'Standard_Contact_Duplicate_Rule', true, 'Contact'),
  ],
};
const enforcing = (entities: string[]) =>
  configWith((c) => {
    for (const name of entities) c.entities[name].duplicateRules = 'enforce';
  }).entities;

describe('check: org-wide settings', () => {
  it('accepts a served API version from 46.0 and names the latest otherwise', () => {
    expect(checkApiVersion('62.0', versions)).toEqual([]);
    expect(checkApiVersion('63.0', versions)).toEqual([
      {
        severity: 'error',
        key: 'salesforce.apiVersion',
        problem: 'this org does not serve API version 63.0 (it serves 20.0 to 62.0)',
        fix: 'set "apiVersion": "62.0"',
      },
    ]);
    expect(checkApiVersion('45.0', versions)).toEqual([
      {
        severity: 'error',
        key: 'salesforce.apiVersion',
        problem: 'API version 45.0 has no sObject Collections upsert (it needs 46.0 or later)',
        fix: 'set "apiVersion": "62.0"',
      },
    ]);
  });

  it('warns of active duplicate rules only for entities that enforce them', () => {
    expect(checkDuplicateRules(configWith().entities, rules)).toEqual([]);
    expect(checkDuplicateRules(enforcing(['terceros']), rules)).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.duplicateRules',
        problem:
          'Account has active duplicate rules (Standard_Account_Duplicate_Rule) and this entity enforces them: records Salesforce thinks are duplicates fail DUPLICATES_DETECTED every run',
        fix: 'set "duplicateRules": "allowSave" (the records\' identity is the external ID), or deactivate the rules',
      },
    ]);
    expect(duplicateRulesUnknown(enforcing(['terceros']), 'INVALID_TYPE')).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.duplicateRules',
        problem: 'cannot tell whether Account has active duplicate rules: INVALID_TYPE',
        fix: 'give the integration user View Setup and Configuration (needed to query DuplicateRule), or check Setup > Duplicate Rules yourself',
      },
    ]);
  });

  it('reads a page of the DuplicateRule query: active rules of the enforcing entities objects only', () => {
    const page = duplicateRulePageSchema.parse(firstPage);
    expect(page.nextRecordsUrl).toBe('/services/data/v62.0/query/01gD0000002HU6KIAW-2');
    expect(checkDuplicateRules(enforcing(['terceros', 'sucursales', 'acuerdos']), page.records)).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.duplicateRules',
        problem:
          'Account has active duplicate rules (Cuentas_por_NIT) and this entity enforces them: records Salesforce thinks are duplicates fail DUPLICATES_DETECTED every run',
        fix: 'set "duplicateRules": "allowSave" (the records\' identity is the external ID), or deactivate the rules',
      },
    ]);
    const allOff = { ...firstPage, records: firstPage.records.map((r) => ({ ...r, IsActive: false })) };
    expect(
      checkDuplicateRules(enforcing(['terceros']), duplicateRulePageSchema.parse(allOff).records),
    ).toEqual([]);
  });

  it('refuses a DuplicateRule answer without IsActive (before API 35.0) or with a foreign next page', () => {
    const { IsActive: _, ...noFlag } = record(
      '0Bm5g0000000001CAA',
      'Standard_Account_Duplicate_Rule',
      true,
      'Account',
    );
    expect(duplicateRulePageSchema.safeParse({ ...firstPage, records: [noFlag] }).success).toBe(false);
    expect(
      duplicateRulePageSchema.safeParse({ ...firstPage, nextRecordsUrl: 'https://elsewhere.example/q' })
        .success,
    ).toBe(false);
  });
});
