import { z } from 'zod';
import type { SyncApp } from '../app.js';
import { dependencyWaves, type SyncConfig } from '../config/load.js';
import { InvalidInputError } from '../errors.js';
import type { PlanEvent } from './events.js';
import { describeJson, inputBoundsProblem, shown } from './input.js';

export type Mode = 'delta' | 'full';

export interface CompanyPlan {
  company: string;
  waves: string[][];
  /** The waves again, last first, holding only entities whose onDelete removes records: the Remove phase. */
  removals: string[][];
}

export interface Plan {
  runId: string;
  mode: Mode;
  companies: CompanyPlan[];
  /** Present (true) on a dry run: nothing is written to Salesforce, no mapping changes. */
  dryRun?: true;
  /** Present (true) when a dry run also compares the would-be updates with Salesforce's values. */
  diff?: true;
}

const inputSchema = z
  .object({
    companies: z.array(z.string()).min(1).optional(),
    entities: z.array(z.string()).min(1).optional(),
    mode: z.enum(['delta', 'full']).optional(),
    selected_company: z.string().optional(),
    dryRun: z.boolean().optional(),
    diff: z.boolean().optional(),
    allowMassDelete: z.union([z.boolean(), z.array(z.string().min(1)).min(1)]).optional(),
  })
  .strict();

export function acceptedInput(config: SyncConfig): string {
  return [
    'Accepted execution input (every field optional; {} means every company, every entity, delta):',
    `  "companies": a non-empty list of ${config.companies.join(', ')}`,
    `  "entities": a non-empty list of ${config.entities.map((e) => e.name).join(', ')}`,
    '  "mode": "delta" (send new and changed rows) or "full" (send every row)',
    `  "selected_company": one of ${config.companies.join(', ')} (legacy form of "companies")`,
    '  "dryRun": true to run Plan, Extract and Transform and report what would be sent, writing nothing',
    '  "diff": true (with "dryRun": true) to also compare the would-be updates with Salesforce\'s current values',
    '  "allowMassDelete": true, or a list of entities ("terceros") or company/entity pairs ("ITALCOL/terceros"), to confirm removals beyond maxDeletePercent',
  ].join('\n');
}

/** At most this many offending names are listed in one message. */
const LISTED = 5;

function listed(names: string[]): string {
  const more = names.length > LISTED ? ` and ${names.length - LISTED} more` : '';
  return `${names.slice(0, LISTED).map(shown).join(', ')}${more}`;
}

function zodProblem(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${listed(issue.keys)}`;
  const where = issue.path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`))
    .join('');
  return `${where || 'input'}: ${issue.message}`;
}

type Selection = z.infer<typeof inputSchema>;

/** Any JSON value in, the documented shape out, or an InvalidInputError naming what is wrong. */
export function parseInput(config: SyncConfig, input: unknown): Selection {
  const refuse = (problem: string): never => {
    throw new InvalidInputError(`${problem}\n${acceptedInput(config)}`);
  };
  const bounds = inputBoundsProblem(input);
  if (bounds) refuse(`${capitalised(bounds)}.`);
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    refuse(
      `The execution input must be a JSON object like {"companies": ["ITALCOL"]}; got ${describeJson(input)}.`,
    );
  }
  const parsed = inputSchema.safeParse(input);
  if (!parsed.success) {
    const { issues } = parsed.error;
    const more = issues.length > LISTED ? `; and ${issues.length - LISTED} more problem(s)` : '';
    refuse(`Invalid execution input: ${issues.slice(0, LISTED).map(zodProblem).join('; ')}${more}.`);
  }
  const value = parsed.data ?? {};
  if (value.selected_company !== undefined && value.companies !== undefined) {
    refuse('Give either "companies" or the legacy "selected_company", not both.');
  }
  if (value.diff === true && value.dryRun !== true) {
    refuse('"diff": true compares a dry run\'s updates with Salesforce: give it with "dryRun": true.');
  }
  return value;
}

function capitalised(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

/** Validates the execution input against the config and orders the work into dependency waves. */
export function planRun(config: SyncConfig, runId: string, input: unknown): Plan {
  const refuse = (problem: string): never => {
    throw new InvalidInputError(`${problem}\n${acceptedInput(config)}`);
  };
  const value = parseInput(config, input);
  const companies =
    value.companies ?? (value.selected_company !== undefined ? [value.selected_company] : config.companies);
  const unknownCompanies = companies.filter((c) => !config.companies.includes(c));
  if (unknownCompanies.length > 0) refuse(`Unknown company ${listed(unknownCompanies)}.`);
  const names = config.entities.map((e) => e.name);
  const entities = value.entities ?? names;
  const unknownEntities = entities.filter((e) => !names.includes(e));
  if (unknownEntities.length > 0) refuse(`Unknown entity ${listed(unknownEntities)}.`);

  const plans: CompanyPlan[] = [];
  for (const company of [...new Set(companies)]) {
    const selected = config.entities.filter(
      (e) => entities.includes(e.name) && config.companyEntity(company, e.name),
    );
    if (selected.length === 0) continue;
    const waves = dependencyWaves(selected);
    const removing = (name: string) => config.entity(name).onDelete !== 'ignore';
    const removals = [...waves]
      .reverse()
      .map((w) => w.filter(removing))
      .filter((w) => w.length > 0);
    plans.push({ company, waves, removals });
  }
  return {
    runId,
    mode: value.mode ?? 'delta',
    companies: plans,
    ...(value.dryRun === true ? { dryRun: true as const } : {}),
    ...(value.dryRun === true && value.diff === true ? { diff: true as const } : {}),
  };
}

export async function plan(app: SyncApp, event: PlanEvent): Promise<Plan> {
  const { executionName: runId, input } = event;
  const result = planRun(app.config, runId, input);
  await app.store.openRun(runId, input, result.companies);
  return result;
}
