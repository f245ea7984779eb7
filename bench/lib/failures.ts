/** Failed records per Salesforce status code, for the phases the bench cannot see from a client. */
import type { RecordFailure, SyncStore } from '../../src/core/store/sync-store.js';

/** Counts the records Salesforce failed (bucket "failed"; the mapping's rejections left out) by code. */
export function failedByCode(
  failures: ReadonlyArray<Pick<RecordFailure, 'bucket' | 'code'>>,
): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of failures) {
    if (f.bucket !== 'failed') continue;
    const code = f.code || 'UNKNOWN';
    counts[code] = (counts[code] ?? 0) + 1;
  }
  return counts;
}

/**
 * A sync run's failed records by code, from the failure items it stored (one per source key:
 * rows sharing a key count once). Read after the phase, outside its timing.
 */
export async function syncFailuresByCode(store: SyncStore, runId: string): Promise<Record<string, number>> {
  return failedByCode(await store.getFailures(runId));
}
