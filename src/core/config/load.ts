import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { ConfigError } from '../errors.js';
import { type DatabaseSettings, resolveDatabase } from './database.js';
import { configSchema, type EnvRef, type entitySchema, type FieldMapping, type RawConfig } from './schema.js';

export type EntityConfig = z.infer<typeof entitySchema> & {
  name: string;
  pageSize: number;
  batchSize: number;
  maxInFlight: number;
};

export interface SyncConfig {
  raw: RawConfig;
  companies: string[];
  /** Entities in dependency order. */
  entities: EntityConfig[];
  entity(name: string): EntityConfig;
  /** The entities of one company, with its source overrides applied, minus disabled ones. */
  companyEntity(company: string, entity: string): EntityConfig | undefined;
  stagingTtlHours: number;
}

/** Where settings come from: the app's lookup (its environment overlaid by its secrets), else process.env. */
export type Lookup = (name: string) => string | undefined;
export const processLookup: Lookup = (name) => process.env[name];

function formatPath(p: ReadonlyArray<PropertyKey>): string {
  return p.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
}

/** Validates a parsed config object; throws ConfigError naming every bad key. */
export function parseConfig(value: unknown): SyncConfig {
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  config${formatPath(i.path)}: ${i.message}`);
    throw new ConfigError(`Invalid sync configuration:\n${lines.join('\n')}`);
  }
  const raw = parsed.data;
  const problems: string[] = [];
  const names = Object.keys(raw.entities);
  if (Object.keys(raw.companies).length === 0)
    problems.push('config.companies: at least one company is required');
  if (names.length === 0) problems.push('config.entities: at least one entity is required');

  const deps = new Map<string, Set<string>>();
  for (const [name, e] of Object.entries(raw.entities)) {
    const set = new Set(e.dependsOn);
    for (const [field, m] of Object.entries(e.fields)) {
      if (m.ref) {
        if (!raw.entities[m.ref.entity]) {
          problems.push(
            `config.entities.${name}.fields.${field}.ref.entity: unknown entity "${m.ref.entity}" (known: ${names.join(', ')})`,
          );
        }
        set.add(m.ref.entity);
        if (m.from === undefined)
          problems.push(`config.entities.${name}.fields.${field}: a reference needs "from"`);
      }
    }
    for (const d of e.dependsOn) {
      if (!raw.entities[d]) {
        problems.push(
          `config.entities.${name}.dependsOn: unknown entity "${d}" (known: ${names.join(', ')})`,
        );
      }
    }
    if (set.has(name)) problems.push(`config.entities.${name}.dependsOn: an entity cannot depend on itself`);
    if (e.externalIdField !== undefined && e.fields[e.externalIdField] !== undefined) {
      problems.push(
        `config.entities.${name}.fields.${e.externalIdField}: the external ID field is filled by sf-sync (<COMPANY>-<key>); do not map it`,
      );
    }
    deps.set(name, set);
  }
  for (const [company, c] of Object.entries(raw.companies)) {
    for (const e of Object.keys(c.entities)) {
      if (!raw.entities[e]) {
        problems.push(
          `config.companies.${company}.entities.${e}: unknown entity (known: ${names.join(', ')})`,
        );
      }
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid sync configuration:\n  ${problems.join('\n  ')}`);

  const order = topologicalOrder(deps);
  const entities = order.map((name) => {
    const e = raw.entities[name];
    if (!e) throw new ConfigError(`config.entities.${name}: missing`);
    return {
      ...e,
      name,
      dependsOn: [...(deps.get(name) ?? [])],
      pageSize: e.pageSize ?? raw.defaults.pageSize,
      batchSize: e.batchSize ?? raw.defaults.batchSize,
      maxInFlight: e.maxInFlight ?? raw.defaults.maxInFlight,
    };
  });
  const byName = new Map(entities.map((e) => [e.name, e]));
  return {
    raw,
    companies: Object.keys(raw.companies),
    entities,
    stagingTtlHours: raw.defaults.stagingTtlHours,
    entity(name) {
      const e = byName.get(name);
      if (!e) throw new ConfigError(`Unknown entity "${name}" (known: ${names.join(', ')})`);
      return e;
    },
    companyEntity(company, name) {
      const c = raw.companies[company];
      const e = byName.get(name);
      if (!c || !e) return undefined;
      const override = c.entities[name];
      if (override && !override.enabled) return undefined;
      return override?.source ? { ...e, source: override.source } : e;
    },
  };
}

function topologicalOrder(deps: Map<string, Set<string>>): string[] {
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, trail: string[]): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new ConfigError(`config.entities: dependency cycle ${[...trail, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    for (const d of deps.get(name) ?? []) visit(d, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of deps.keys()) visit(name, []);
  return order;
}

/** Groups entities into waves: each wave only depends on earlier waves. */
export function dependencyWaves(entities: ReadonlyArray<{ name: string; dependsOn: string[] }>): string[][] {
  const selected = new Set(entities.map((e) => e.name));
  const level = new Map<string, number>();
  for (const e of entities) {
    const parents = e.dependsOn.filter((d) => selected.has(d));
    level.set(e.name, parents.length === 0 ? 0 : Math.max(...parents.map((p) => (level.get(p) ?? 0) + 1)));
  }
  const waves: string[][] = [];
  for (const e of entities) {
    const l = level.get(e.name) ?? 0;
    waves[l] ??= [];
    waves[l].push(e.name);
  }
  return waves.filter((w) => w.length > 0);
}

/** Resolves a config value that may name environment variables. */
export function resolveValue(value: string | EnvRef, key: string, lookup: Lookup = processLookup): string {
  if (typeof value === 'string') return value;
  const names = Array.isArray(value.env) ? value.env : [value.env];
  for (const n of names) {
    const v = lookup(n);
    if (v !== undefined && v !== '') return v;
  }
  if (value.default !== undefined) return value.default;
  throw new ConfigError(`${key}: none of the environment variables ${names.join(', ')} is set`);
}

export function resolveOptional(
  value: string | EnvRef | undefined,
  key: string,
  lookup?: Lookup,
): string | undefined {
  if (value === undefined) return undefined;
  try {
    return resolveValue(value, key, lookup);
  } catch {
    return undefined;
  }
}

export type { DatabaseSettings } from './database.js';

/** A company's SQL Server settings, every value resolved (lookup: env overlaid by secrets). */
export function databaseSettings(config: SyncConfig, company: string, lookup?: Lookup): DatabaseSettings {
  const c = config.raw.companies[company];
  if (!c) throw new ConfigError(`Unknown company "${company}" (known: ${config.companies.join(', ')})`);
  return resolveDatabase(c.database, `config.companies.${company}.database`, (value, key) =>
    resolveValue(value, key, lookup),
  );
}

export type FieldMappingConfig = FieldMapping;

/** Reads and validates the config file: SYNC_CONFIG_PATH, else config/sync.config.json beside the code. */
export function loadConfig(file = defaultConfigPath()): SyncConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the sync configuration at ${file}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      `The sync configuration at ${file} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return parseConfig(value);
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return (
    env.SYNC_CONFIG_PATH ?? path.resolve(env.LAMBDA_TASK_ROOT ?? process.cwd(), 'config', 'sync.config.json')
  );
}
