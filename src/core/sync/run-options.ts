import type { SyncStore } from '../store/sync-store.js';

/** How long an entity's lease lasts: longer than any run's work on one entity, shorter than a day. */
const LEASE_HOURS = 6;
export const leaseMs = (): number => LEASE_HOURS * 3600 * 1000;

export interface RunOptions {
  /** Whether a person confirmed removals beyond the guard for this company and entity. */
  allowMassDelete(company: string, entity: string): boolean;
}

/**
 * Options of the run read from its record (what Plan stored from the execution input):
 * `"allowMassDelete": true` for every entity, or a list of entity names ("terceros") or
 * company/entity pairs ("ITALCOL/terceros").
 */
export async function runOptions(store: SyncStore, runId: string): Promise<RunOptions> {
  const input = (await store.getRun(runId))?.input;
  const allowed =
    input && typeof input === 'object' ? (input as { allowMassDelete?: unknown }).allowMassDelete : undefined;
  return {
    allowMassDelete: (company, entity) =>
      allowed === true ||
      (Array.isArray(allowed) && (allowed.includes(entity) || allowed.includes(`${company}/${entity}`))),
  };
}
