/** Org-wide checks: the configured API version, and duplicate rules against entities that enforce them. */
import type { EntityConfig } from '../config/load.js';
import type { DuplicateRule } from './describe.js';
import { type Problem, problemError, problemWarning } from './problems.js';

/** sObject Collections upsert by external ID needs v46.0 (Salesforce REST API docs). */
export const MIN_API_VERSION = 46;

export function checkApiVersion(configured: string, available: string[]): Problem[] {
  const key = 'salesforce.apiVersion';
  const latest = [...available].sort((a, b) => Number(b) - Number(a))[0] ?? '(none)';
  if (!available.includes(configured)) {
    return [
      problemError(
        key,
        `this org does not serve API version ${configured} (it serves ${available[0] ?? '?'} to ${latest})`,
        `set "apiVersion": "${latest}"`,
      ),
    ];
  }
  if (Number(configured) < MIN_API_VERSION) {
    return [
      problemError(
        key,
        `API version ${configured} has no sObject Collections upsert (it needs ${MIN_API_VERSION}.0 or later)`,
        `set "apiVersion": "${latest}"`,
      ),
    ];
  }
  return [];
}

/** The entity's duplicate-rule setting (the config's default is `allowSave`). */
export function duplicateRuleMode(entity: EntityConfig): 'allowSave' | 'enforce' {
  return entity.duplicateRules;
}

/**
 * Active duplicate rules on the objects of entities that do not send allowSave. A warning, not an
 * error: the sync runs, and only the records the rules match (against any record in the org)
 * fail DUPLICATES_DETECTED, which the check cannot know without reading the org's records.
 */
export function checkDuplicateRules(entities: EntityConfig[], rules: DuplicateRule[]): Problem[] {
  return entities
    .filter((e) => duplicateRuleMode(e) === 'enforce')
    .flatMap((e) => {
      const active = rules.filter(
        (r) => r.IsActive && r.SobjectType.toLowerCase() === e.object.toLowerCase(),
      );
      if (active.length === 0) return [];
      return [
        problemWarning(
          `entities.${e.name}.duplicateRules`,
          `${e.object} has active duplicate rules (${active.map((r) => r.DeveloperName).join(', ')}) and this entity enforces them: records Salesforce thinks are duplicates fail DUPLICATES_DETECTED every run`,
          `set "duplicateRules": "allowSave" (the records' identity is the external ID), or deactivate the rules`,
        ),
      ];
    });
}

/** When the rules cannot be read but some entity enforces them. */
export function duplicateRulesUnknown(entities: EntityConfig[], reason: string): Problem[] {
  return entities
    .filter((e) => duplicateRuleMode(e) === 'enforce')
    .map((e) =>
      problemWarning(
        `entities.${e.name}.duplicateRules`,
        `cannot tell whether ${e.object} has active duplicate rules: ${reason}`,
        'give the integration user View Setup and Configuration (needed to query DuplicateRule), or check Setup > Duplicate Rules yourself',
      ),
    );
}
