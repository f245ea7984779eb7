import { StoreStateError } from '../errors.js';

/**
 * What Salesforce holds from us, per source key: the snapshot of one company and entity.
 *
 * An entry is keyed by the key's identity (the broader of SQL Server's collation and
 * Salesforce's case-insensitive external IDs, see values/keys.ts), carries the content hash of
 * the row as Salesforce last acknowledged it (row and mapping version), its Salesforce Id and
 * what became of it. Entries are kept sorted by identity in JavaScript's code-unit order: an
 * order of our own, used only to find entries again — never compared with the server's ORDER BY.
 */
export const SNAP_STATUSES = ['synced', 'failed', 'rejected', 'deleted'] as const;
export type SnapStatus = (typeof SNAP_STATUSES)[number];

export interface SnapEntry {
  /** Normalised key identity (the sort and match key). */
  identity: string;
  /** The key as the view spelled it (the external ID's suffix); the identity when absent. */
  key?: string;
  /** Content hash of the row and mapping version when Salesforce answered; '' when never acknowledged. */
  hash: string;
  status: SnapStatus;
  sfId?: string;
  /** Salesforce's or our error code, for failed and rejected entries. */
  code?: string;
}

/** The stored form: a tuple per entry, status as one letter; trailing absent fields dropped. */
export type EntryTuple = [string, string, string, string?, string?, string?];

const LETTER: Record<SnapStatus, string> = { synced: 's', failed: 'f', rejected: 'r', deleted: 'd' };
const STATUS_OF: Record<string, SnapStatus> = { s: 'synced', f: 'failed', r: 'rejected', d: 'deleted' };

export function toTuple(e: SnapEntry): EntryTuple {
  const t: EntryTuple = [e.identity, e.hash, LETTER[e.status], e.sfId ?? '', e.key ?? '', e.code ?? ''];
  while (t.length > 3 && t[t.length - 1] === '') t.pop();
  return t;
}

export function fromTuple(t: readonly unknown[]): SnapEntry {
  const [identity, hash, letter, sfId, key, code] = t as string[];
  const status = STATUS_OF[letter ?? ''];
  if (typeof identity !== 'string' || typeof hash !== 'string' || !status) {
    throw new StoreStateError(`not a snapshot entry: ${JSON.stringify(t).slice(0, 200)}`);
  }
  return {
    identity,
    hash,
    status,
    ...(sfId ? { sfId } : {}),
    ...(key ? { key } : {}),
    ...(code ? { code } : {}),
  };
}

/** The key an entry's external ID is built from. */
export const keyOf = (e: Pick<SnapEntry, 'identity' | 'key'>): string => e.key ?? e.identity;

export const byIdentity = (a: { identity: string }, b: { identity: string }): number =>
  a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0;

/** An entry as written: the identity's spelling is dropped when it equals the identity (most keys). */
export function entry(fields: SnapEntry): SnapEntry {
  const { key, ...rest } = fields;
  return key !== undefined && key !== fields.identity ? { ...rest, key } : rest;
}
