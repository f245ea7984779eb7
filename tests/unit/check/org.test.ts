import { checkApiVersion, checkDuplicateRules, duplicateRulesUnknown } from '../../../src/core/check/org.js';
import { configWith } from './fixtures.js';

const versions = ['20.0', '45.0', '46.0', '61.0', '62.0'];
const rules = [
  { DeveloperName: 'Standard_Account_Duplicate_Rule', IsActive: true, SobjectType: 'Account' },
  { DeveloperName: 'Old_Account_Rule', IsActive: false, SobjectType: 'Account' },
  { DeveloperName: 'Standard_Contact_Duplicate_Rule', IsActive: true, SobjectType: 'Contact' },
];

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
    const enforcing = configWith().entities.map((e) =>
      e.name === 'terceros' ? Object.assign({}, e, { duplicateRules: 'enforce' }) : e,
    );
    expect(checkDuplicateRules(configWith().entities, rules)).toEqual([]);
    expect(checkDuplicateRules(enforcing, rules)).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.duplicateRules',
        problem:
          'Account has active duplicate rules (Standard_Account_Duplicate_Rule) and this entity enforces them: records Salesforce thinks are duplicates fail DUPLICATES_DETECTED every run',
        fix: 'set "duplicateRules": "allowSave" (the records\' identity is the external ID), or deactivate the rules',
      },
    ]);
    expect(duplicateRulesUnknown(enforcing, 'INVALID_TYPE')).toEqual([
      {
        severity: 'warning',
        key: 'entities.terceros.duplicateRules',
        problem: 'cannot tell whether Account has active duplicate rules: INVALID_TYPE',
        fix: 'give the integration user View Setup and Configuration (needed to query DuplicateRule), or check Setup > Duplicate Rules yourself',
      },
    ]);
  });
});
