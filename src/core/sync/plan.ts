import { z } from 'zod';
import { dependencyWaves, type SyncConfig } from '../config/load.js';
import { InvalidInputError } from '../errors.js';
import type { SyncStore } from '../store/sync-store.js';

export type Mode = 'delta' | 'full';

export interface CompanyPlan {
  company: string;
  waves: string[][];
}

export interface Plan {
  runId: string;
  mode: Mode;
  companies: CompanyPlan[];
}

const inputSchema = z
  .object({
    companies: z.array(z.string()).min(1).optional(),
    entities: z.array(z.string()).min(1).optional(),
    mode: z.enum(['delta', 'full']).optional(),
    selected_company: z.string().optional(),
  })
  .strict();

export function acceptedInput(config: SyncConfig): string {
  return [
    'Accepted execution input (every field optional; {} means every company, every entity, delta):',
    `  "companies": a non-empty list of ${config.companies.join(', ')}`,
    `  "entities": a non-empty list of ${config.entities.map((e) => e.name).join(', ')}`,
    '  "mode": "delta" (send new and changed rows) or "full" (send every row)',
    `  "selected_company": one of ${config.companies.join(', ')} (legacy form of "companies")`,
  ].join('\n');
}

/** Validates the execution input against the config and orders the work into dependency waves. */
export function planRun(config: SyncConfig, runId: string, input: unknown): Plan {
  const refuse = (problem: string): never => {
    throw new InvalidInputError(`${problem}\n${acceptedInput(config)}`);
  };
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    refuse(`Execution input must be a JSON object, got ${JSON.stringify(input)}.`);
  }
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) =>
      i.code === 'unrecognized_keys'
        ? `unknown field(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`
        : `${i.path.join('.') || 'input'}: ${i.message}`,
    );
    refuse(`Invalid execution input: ${problems.join('; ')}.`);
  }
  const value = parsed.data ?? {};
  if (value.selected_company !== undefined && value.companies !== undefined) {
    refuse('Give either "companies" or the legacy "selected_company", not both.');
  }
  const companies =
    value.companies ?? (value.selected_company !== undefined ? [value.selected_company] : config.companies);
  const unknownCompanies = companies.filter((c) => !config.companies.includes(c));
  if (unknownCompanies.length > 0)
    refuse(`Unknown company ${unknownCompanies.map((c) => `"${c}"`).join(', ')}.`);
  const names = config.entities.map((e) => e.name);
  const entities = value.entities ?? names;
  const unknownEntities = entities.filter((e) => !names.includes(e));
  if (unknownEntities.length > 0)
    refuse(`Unknown entity ${unknownEntities.map((e) => `"${e}"`).join(', ')}.`);

  const plans: CompanyPlan[] = [];
  for (const company of [...new Set(companies)]) {
    const selected = config.entities.filter(
      (e) => entities.includes(e.name) && config.companyEntity(company, e.name),
    );
    if (selected.length === 0) continue;
    plans.push({ company, waves: dependencyWaves(selected) });
  }
  return { runId, mode: value.mode ?? 'delta', companies: plans };
}

export async function plan(
  store: SyncStore,
  config: SyncConfig,
  runId: string,
  input: unknown,
): Promise<Plan> {
  const result = planRun(config, runId, input);
  await store.openRun(runId, input, result.companies);
  return result;
}
