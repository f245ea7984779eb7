/** What `sf-sync check` reports: problems, each tied to the config key it comes from. */

export type Severity = 'error' | 'warning';

export interface Problem {
  severity: Severity;
  /** The config key the problem comes from, e.g. `entities.terceros.fields.Type`. */
  key: string;
  problem: string;
  /** What to do about it. */
  fix: string;
  /** The companies whose source shows the problem (source checks only). */
  companies?: string[];
}

export interface CheckReport {
  ok: boolean;
  errors: Problem[];
  warnings: Problem[];
}

export function problemError(key: string, problem: string, fix: string): Problem {
  return { severity: 'error', key, problem, fix };
}

export function problemWarning(key: string, problem: string, fix: string): Problem {
  return { severity: 'warning', key, problem, fix };
}

/** Tags source problems with the company they were found in. */
export function forCompany(company: string, problems: Problem[]): Problem[] {
  return problems.map((p) => ({ ...p, companies: [company] }));
}

/** One entry per distinct problem (the companies merged), errors and warnings apart, in the order found. */
export function buildReport(problems: Problem[]): CheckReport {
  const merged = new Map<string, Problem>();
  for (const p of problems) {
    const id = JSON.stringify([p.severity, p.key, p.problem, p.fix]);
    const seen = merged.get(id);
    if (!seen) merged.set(id, { ...p, ...(p.companies ? { companies: [...p.companies] } : {}) });
    else if (p.companies) seen.companies = [...new Set([...(seen.companies ?? []), ...p.companies])];
  }
  const all = [...merged.values()];
  const errors = all.filter((p) => p.severity === 'error');
  return { ok: errors.length === 0, errors, warnings: all.filter((p) => p.severity === 'warning') };
}
