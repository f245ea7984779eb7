/**
 * `sf-sync check`: reads the org's describes and every configured view's columns, and reports
 * every problem with the config key it comes from. Failures to reach a service are problems too.
 */
import { databaseSettings, type EntityConfig, type SyncConfig } from '../config/load.js';
import { SqlPools } from '../source/sqlserver.js';
import type { ObjectDescribe } from './describe.js';
import { checkObject } from './object.js';
import { checkApiVersion, checkDuplicateRules, duplicateRuleMode, duplicateRulesUnknown } from './org.js';
import { checkPicklistValues, mappedValues, valueCheckedFields } from './picklist.js';
import { buildReport, type CheckReport, forCompany, type Problem, problemError } from './problems.js';
import { OrgReader } from './salesforce.js';
import { checkSource } from './source.js';
import { describeSource, distinctRows, type SourceSpec } from './sqlserver.js';

export interface CheckOptions {
  /** Companies to check (default: all). */
  companies?: string[];
  /** Entities to check (default: all). */
  entities?: string[];
}

type Objects = Map<string, ObjectDescribe>;

function message(error: unknown): string {
  const e = error as { name?: string; message?: string };
  return `${e.name ?? 'Error'}: ${e.message ?? String(error)}`;
}

async function describeObjects(reader: OrgReader, entities: EntityConfig[], config: SyncConfig) {
  const objects: Objects = new Map();
  const problems: Problem[] = [];
  const objectOf = (name: string) => config.raw.entities[name]?.object;
  for (const entity of entities) {
    const described = await reader.describe(entity.object);
    if (!described.ok) {
      problems.push(
        problemError(
          `entities.${entity.name}.object`,
          `the org has no object ${entity.object} this user can see (${described.message})`,
          'use the object API name from Setup > Object Manager (custom objects end in __c), or give the user access',
        ),
      );
      continue;
    }
    objects.set(entity.name, described.describe);
    problems.push(...checkObject(entity, described.describe, objectOf));
  }
  return { objects, problems };
}

async function duplicateRuleProblems(reader: OrgReader, entities: EntityConfig[]): Promise<Problem[]> {
  if (!entities.some((e) => duplicateRuleMode(e) === 'enforce')) return [];
  try {
    return checkDuplicateRules(entities, await reader.duplicateRules());
  } catch (error) {
    return duplicateRulesUnknown(entities, message(error));
  }
}

/** The org side: API version, describes, duplicate rules. */
async function checkOrg(
  config: SyncConfig,
  entities: EntityConfig[],
): Promise<{ objects: Objects; problems: Problem[] }> {
  let reader: OrgReader;
  let versions: string[];
  try {
    reader = OrgReader.fromConfig(config);
    versions = await reader.versions();
  } catch (error) {
    const problem = problemError(
      'salesforce',
      `cannot read the org: ${message(error)}`,
      'check loginUrl and the auth settings (SF_* variables), then run the check again',
    );
    return { objects: new Map(), problems: [problem] };
  }
  const problems = checkApiVersion(config.raw.salesforce.apiVersion, versions);
  if (problems.length > 0) return { objects: new Map(), problems };
  try {
    const described = await describeObjects(reader, entities, config);
    return {
      objects: described.objects,
      problems: [...described.problems, ...(await duplicateRuleProblems(reader, entities))],
    };
  } catch (error) {
    const problem = problemError(
      'salesforce',
      `cannot read the org: ${message(error)}`,
      'run the check again',
    );
    return { objects: new Map(), problems: [problem] };
  }
}

function sourceKey(config: SyncConfig, company: string, entity: string): string {
  const override = config.raw.companies[company]?.entities[entity]?.source;
  return override ? `companies.${company}.entities.${entity}.source` : `entities.${entity}.source`;
}

async function picklistProblems(
  entity: EntityConfig,
  object: ObjectDescribe,
  pool: Awaited<ReturnType<SqlPools['get']>>,
  source: SourceSpec,
  where: string,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const field of valueCheckedFields(entity, object)) {
    const mapping = entity.fields[field];
    const columns = Array.isArray(mapping?.from) ? mapping.from : [mapping?.from as string];
    const rows = await distinctRows(pool, source, columns, where);
    problems.push(...checkPicklistValues(entity, field, object, mappedValues(entity, field, rows)));
  }
  return problems;
}

/** One company's views against the mapping (and the describes, where the org answered). */
async function checkCompany(
  pools: SqlPools,
  config: SyncConfig,
  company: string,
  entities: EntityConfig[],
  objects: Objects,
): Promise<Problem[]> {
  let pool: Awaited<ReturnType<SqlPools['get']>>;
  try {
    pool = await pools.get(company, databaseSettings(config, company));
  } catch (error) {
    const fix = "check the company's database settings (DB_* variables) and that the server is reachable";
    return forCompany(company, [
      problemError(`companies.${company}.database`, `cannot connect: ${message(error)}`, fix),
    ]);
  }
  const problems: Problem[] = [];
  for (const base of entities) {
    const entity = config.companyEntity(company, base.name);
    if (!entity) continue;
    const source: SourceSpec = entity.source;
    const label = source.view ? `view ${source.view}` : 'the query';
    const where = `cannot read ${label} in ${company}'s database`;
    const object = objects.get(entity.name);
    try {
      const columns = await describeSource(pool, source, where);
      problems.push(...checkSource(entity, company, { label, columns }, object));
      if (object) problems.push(...(await picklistProblems(entity, object, pool, source, where)));
    } catch (error) {
      const fix = 'name a view (or write a query) that this database user can read';
      problems.push(problemError(sourceKey(config, company, entity.name), (error as Error).message, fix));
    }
  }
  return forCompany(company, problems);
}

/** Runs every check and returns the report; never throws for a problem it can name. */
export async function runCheck(config: SyncConfig, options: CheckOptions = {}): Promise<CheckReport> {
  const entities = config.entities.filter(
    (e) => !options.entities?.length || options.entities.includes(e.name),
  );
  const companies = config.companies.filter(
    (c) => !options.companies?.length || options.companies.includes(c),
  );
  const org = await checkOrg(config, entities);
  const problems = [...org.problems];
  // The check's own pools, closed when it ends (it runs from the CLI, not in a container).
  const pools = new SqlPools();
  try {
    for (const company of companies)
      problems.push(...(await checkCompany(pools, config, company, entities, org.objects)));
  } finally {
    await pools.closeAll();
  }
  return buildReport(problems);
}
