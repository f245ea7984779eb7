import { byIdentity, type SnapEntry } from './entry.js';

/**
 * An entity's snapshot in memory: entries sorted by identity, found by binary search, with a
 * mark per entry for the rows this run's extract saw (so the entries not seen are the keys that
 * left the view).
 */
export class Snapshot {
  private readonly seenMarks: Uint8Array;

  constructor(readonly entries: readonly SnapEntry[]) {
    this.seenMarks = new Uint8Array(entries.length);
  }

  static fromUnsorted(entries: SnapEntry[]): Snapshot {
    return new Snapshot([...entries].sort(byIdentity));
  }

  get size(): number {
    return this.entries.length;
  }

  indexOf(identity: string): number {
    let lo = 0;
    let hi = this.entries.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const id = (this.entries[mid] as SnapEntry).identity;
      if (id === identity) return mid;
      if (id < identity) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  get(identity: string): SnapEntry | undefined {
    const i = this.indexOf(identity);
    return i < 0 ? undefined : this.entries[i];
  }

  /** Marks an identity as present in the view; returns its entry. */
  see(identity: string): SnapEntry | undefined {
    const i = this.indexOf(identity);
    if (i < 0) return undefined;
    this.seenMarks[i] = 1;
    return this.entries[i];
  }

  /** Entries whose key was not in the view this run. */
  *unseen(): Generator<SnapEntry> {
    for (let i = 0; i < this.entries.length; i += 1)
      if (this.seenMarks[i] === 0) yield this.entries[i] as SnapEntry;
  }

  count(status: SnapEntry['status']): number {
    let n = 0;
    for (const e of this.entries) if (e.status === status) n += 1;
    return n;
  }

  /**
   * This snapshot with later entries applied (journal order: a later entry for an identity wins).
   * Both sides sorted: one merge pass.
   */
  merged(later: readonly SnapEntry[]): Snapshot {
    if (later.length === 0) return this;
    // A stable sort keeps journal order among entries of one identity: the last of a run wins.
    // (No Map of a million keys: sorting the entries themselves costs a tenth of the memory.)
    const sorted = [...later].sort(byIdentity);
    const updates: SnapEntry[] = [];
    for (let k = 0; k < sorted.length; k += 1) {
      const e = sorted[k] as SnapEntry;
      if (k + 1 < sorted.length && (sorted[k + 1] as SnapEntry).identity === e.identity) continue;
      updates.push(e);
    }
    if (this.entries.length === 0) return new Snapshot(updates);
    const out: SnapEntry[] = [];
    let i = 0;
    let j = 0;
    while (i < this.entries.length || j < updates.length) {
      const a = this.entries[i];
      const b = updates[j];
      if (b === undefined || (a !== undefined && a.identity < b.identity)) {
        out.push(a as SnapEntry);
        i += 1;
      } else {
        out.push(b);
        if (a !== undefined && a.identity === b.identity) i += 1;
        j += 1;
      }
    }
    return new Snapshot(out);
  }
}
