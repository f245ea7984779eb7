import type { SnapEntry } from './entry.js';
import type { Snapshot } from './snapshot.js';

/**
 * What Extract does with one row of the view, given the snapshot entry of its key:
 * stage it for Transform and Upsert, or count it without staging.
 */
export type Decision =
  | { stage: true; reason: 'new' | 'changed' | 'retry' | 'full' | 'returned' | 'duplicate' }
  /** Rejected for a missing parent: staged only if its parent is in Salesforce now (Extract checks). */
  | { stage: 'if-parents'; reason: 'orphan'; entry: SnapEntry }
  /**
   * Rejected before as a repeated key, not (yet) repeated in this view: SQL Server may order the
   * repeat far down the view, so Extract decides once it has read the whole view.
   */
  | { stage: 'if-unique'; reason: 'was-duplicate'; entry: SnapEntry }
  | { stage: false; reason: 'unchanged' | 'rejected'; entry: SnapEntry };

/**
 * Rejections that may clear without the row changing: a child whose parent was not in
 * Salesforce (missing, rejected or failed) is tried again once its parent may have arrived.
 */
export const RETRIED_REJECTIONS: ReadonlySet<string> = new Set(['INVALID_CROSS_REFERENCE_KEY']);

export interface RowFacts {
  identity: string;
  /** Content hash of the row together with the entity's mapping version. */
  hash: string;
  /** The view holds another row with the same identity: every such row is staged to be rejected. */
  duplicate: boolean;
}

/** A key the view holds twice is rejected with this code; it is sent once the repeat is gone. */
const DUPLICATE = 'DUPLICATE_VALUE';

export function decide(entry: SnapEntry | undefined, row: RowFacts, mode: 'delta' | 'full'): Decision {
  const wasDuplicate = entry?.status === 'rejected' && entry.code === DUPLICATE;
  if (row.duplicate) {
    // Still repeated: rejected again without staging (every row of the key, whatever it holds).
    if (wasDuplicate && mode === 'delta') return { stage: false, reason: 'rejected', entry };
    return { stage: true, reason: 'duplicate' };
  }
  if (!entry) return { stage: true, reason: 'new' };
  if (wasDuplicate) return { stage: 'if-unique', reason: 'was-duplicate', entry };
  if (mode === 'full') return { stage: true, reason: 'full' };
  if (entry.status === 'deleted') return { stage: true, reason: 'returned' };
  if (entry.hash !== row.hash) return { stage: true, reason: 'changed' };
  if (entry.status === 'synced') return { stage: false, reason: 'unchanged', entry };
  if (entry.status === 'failed') return { stage: true, reason: 'retry' };
  if (RETRIED_REJECTIONS.has(entry.code ?? '')) return { stage: 'if-parents', reason: 'orphan', entry };
  return { stage: false, reason: 'rejected', entry };
}

export type OnDelete = 'ignore' | 'delete' | { deactivate: { field: string; value: unknown } };

export interface DeletionPlan {
  /** Records that left the view and exist in Salesforce: deleted or deactivated by Id. */
  toRemove: SnapEntry[];
  /** Entries that left the view and never reached Salesforce (rejected, failed creates): dropped. */
  toForget: SnapEntry[];
  /** Records the snapshot holds as in Salesforce: the base of the mass-deletion guard. */
  inSalesforce: number;
}

/** The keys that left the view, by what to do with them; nothing to remove when onDelete is "ignore". */
export function planDeletions(snapshot: Snapshot, onDelete: OnDelete): DeletionPlan {
  const plan: DeletionPlan = { toRemove: [], toForget: [], inSalesforce: 0 };
  for (const e of snapshot.entries) if (e.status !== 'deleted' && e.sfId) plan.inSalesforce += 1;
  if (onDelete === 'ignore') return plan;
  for (const e of snapshot.unseen()) {
    if (e.status === 'deleted') continue;
    if (e.sfId) plan.toRemove.push(e);
    else plan.toForget.push(e);
  }
  return plan;
}

export interface GuardInput {
  toRemove: number;
  inSalesforce: number;
  viewRows: number;
  maxDeletePercent: number;
  allowMassDelete: boolean;
}

/** Why this run must not remove what it planned, or undefined when it may. */
export function deletionGuardProblem(g: GuardInput): string | undefined {
  if (g.allowMassDelete || g.toRemove === 0) return undefined;
  if (g.viewRows === 0) {
    return `the view returned no rows while ${g.inSalesforce} record(s) synced from it are in Salesforce; nothing was removed (an empty view is more often a broken view than an empty ERP)`;
  }
  const share = (100 * g.toRemove) / Math.max(g.inSalesforce, 1);
  if (share > g.maxDeletePercent) {
    return `the run would remove ${g.toRemove} of ${g.inSalesforce} record(s) in Salesforce (${share.toFixed(1)}%), more than maxDeletePercent ${g.maxDeletePercent}%; nothing was removed`;
  }
  return undefined;
}
