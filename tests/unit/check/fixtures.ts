import { readFileSync } from 'node:fs';
import type { SourceColumn } from '../../../src/core/check/columns.js';
import { type ObjectDescribe, objectDescribeSchema } from '../../../src/core/check/describe.js';
import { type EntityConfig, parseConfig, type SyncConfig } from '../../../src/core/config/load.js';

// biome-ignore lint/suspicious/noExplicitAny: tests break the config on purpose
export type RawJson = Record<string, any>;

/** The shipped config as of the strict org (a copy, so the tests do not move when the shipped one does). */
export const shippedJson = (): RawJson =>
  JSON.parse(readFileSync('tests/fixtures/check/sync.config.json', 'utf8'));

/** That config, changed by `edit` first. */
export function configWith(edit: (c: RawJson) => void = () => undefined): SyncConfig {
  const c = shippedJson();
  edit(c);
  return parseConfig(c);
}

export function entityOf(name: string, edit?: (c: RawJson) => void): EntityConfig {
  return configWith(edit).entity(name);
}

export function describeFixture(name: string): ObjectDescribe {
  return objectDescribeSchema.parse(JSON.parse(readFileSync(`tests/fixtures/check/${name}.json`, 'utf8')));
}

export function columnsFixture(name: string): SourceColumn[] {
  return JSON.parse(readFileSync(`tests/fixtures/check/${name}.json`, 'utf8'));
}

export const objectOf = (entity: string): string | undefined =>
  ({ terceros: 'Account', sucursales: 'RetailStore', acuerdos: 'ti_acuerdo__c' })[entity];
