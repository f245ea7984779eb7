import type { RunSummary } from '../../core/sync/report.js';
import type { RunHeader } from '../../report/data.js';

/** The execution input that runs again, in delta mode, what did not complete cleanly in a run. */
export interface ReplayInput {
  companies: string[];
  entities: string[];
  mode: 'delta';
}

/**
 * The companies and entities of a run with failed rows or an entity that did not complete;
 * undefined when there is nothing to replay. Failed rows are not marked synced, so a delta run
 * sends them again; synced unchanged rows are not sent.
 */
export function replayInput(summary: RunSummary | undefined): ReplayInput | undefined {
  const companies = new Set<string>();
  const entities = new Set<string>();
  for (const [company, c] of Object.entries(summary?.companies ?? {})) {
    for (const [entity, e] of Object.entries(c.entities)) {
      if (e.failed > 0 || e.status !== 'completed') {
        companies.add(company);
        entities.add(entity);
      }
    }
  }
  return companies.size > 0
    ? { companies: [...companies], entities: [...entities], mode: 'delta' }
    : undefined;
}

export const nothingToReplay = (run: RunHeader) =>
  `Run ${run.runId} has nothing to replay: every company and entity completed with no failed rows.\n`;
