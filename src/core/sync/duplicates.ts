import { sourceKey } from '../mapping.js';
import type { Row } from '../source/sqlserver.js';
import { DEFAULT_KEY_COMPARISON, type KeyComparison, normaliseKeyPart } from '../values/keys.js';
import { DUPLICATE_MARK, DUPLICATE_SPELLINGS } from './marks.js';

/** A row with its key as the broader of SQL Server's and Salesforce's comparisons sees it. */
export interface KeyedRow {
  row: Row;
  /** Normalised identity; undefined for a row without a key (Transform rejects it). */
  identity: string | undefined;
}

/** The identity of a row's key: each part trimmed and folded as `how` says, then joined unambiguously. */
export function keyIdentity(row: Row, columns: readonly string[], how: KeyComparison): string | undefined {
  const key = sourceKey(row, columns);
  // Several parts are escaped and joined by sourceKey; folding that text keeps it unambiguous.
  return key === undefined ? undefined : normaliseKeyPart(key, how);
}

/** A key as the view spelled it, untrimmed (so `'L-WS'` and `'L-WS '` read apart in a message). */
function spelling(row: Row, columns: readonly string[]): string {
  return columns
    .map((c) => (row[c] instanceof Date ? (row[c] as Date).toISOString() : String(row[c] ?? '')))
    .join('|');
}

function mark(row: Row, spellings: ReadonlySet<string>): void {
  row[DUPLICATE_MARK] = true;
  row[DUPLICATE_SPELLINGS] = [...spellings];
}

/**
 * Marks every row whose key identity repeats. The query orders by key, so rows with the same
 * identity usually arrive together (ties in any order): the current group is held back until a
 * row with another identity shows up. Repeats that are not neighbours (keys SQL Server orders
 * apart but Salesforce or a trim treats as one) are caught by the set of identities already
 * released; their earlier rows are on pages already written, which `latePages` names for a rewrite.
 */
export class DuplicateMarker {
  private group: Row[] = [];
  private groupIdentity: string | undefined;
  /** Every identity released so far → the page its first row went to (0 while not yet written). */
  private readonly released = new Map<string, number>();
  /** The first spelling of a released identity, kept only when it differs from the identity (memory). */
  private readonly firstSpelling = new Map<string, string>();
  /** Identities seen in more than one place → their spellings. */
  readonly collisions = new Map<string, Set<string>>();

  constructor(
    private readonly keyColumns: readonly string[],
    private readonly how: KeyComparison = DEFAULT_KEY_COMPARISON,
  ) {}

  push(rows: readonly Row[]): KeyedRow[] {
    const out: KeyedRow[] = [];
    for (const row of rows) {
      const identity = keyIdentity(row, this.keyColumns, this.how);
      if (identity === undefined || identity !== this.groupIdentity) out.push(...this.release());
      if (identity === undefined) {
        out.push({ row, identity });
        continue;
      }
      this.group.push(row);
      this.groupIdentity = identity;
    }
    return out;
  }

  flush(): KeyedRow[] {
    return this.release();
  }

  /** Tells the marker which page rows went to (for rewriting pages whose rows turn out duplicated later); -1: not staged. */
  written(rows: readonly KeyedRow[], page: number): void {
    for (const r of rows) {
      if (r.identity !== undefined && this.released.get(r.identity) === 0)
        this.released.set(r.identity, page);
    }
  }

  /** Pages holding the first rows of identities that repeated later, not as neighbours. */
  latePages(): Map<number, Set<string>> {
    const pages = new Map<number, Set<string>>();
    for (const identity of this.collisions.keys()) {
      const page = this.released.get(identity);
      if (page === undefined || page <= 0) continue;
      const set = pages.get(page) ?? new Set<string>();
      set.add(identity);
      pages.set(page, set);
    }
    return pages;
  }

  /** Identities that repeated whose first row was not staged (written at page -1: unchanged), with their spellings. */
  unstagedCollisions(): Map<string, ReadonlySet<string>> {
    const out = new Map<string, ReadonlySet<string>>();
    for (const [identity, spellings] of this.collisions) {
      if (this.released.get(identity) === -1) out.set(identity, spellings);
    }
    return out;
  }

  /** Marks the rows of a rewritten page whose identity collided. */
  markLate(rows: Row[], identities: ReadonlySet<string>): void {
    for (const row of rows) {
      const identity = keyIdentity(row, this.keyColumns, this.how);
      const spellings = identity === undefined ? undefined : this.collisions.get(identity);
      if (identity !== undefined && identities.has(identity) && spellings) mark(row, spellings);
    }
  }

  private release(): KeyedRow[] {
    const identity = this.groupIdentity;
    const group = this.group;
    this.group = [];
    this.groupIdentity = undefined;
    if (identity === undefined || group.length === 0) return [];
    const spellings = new Set(group.map((r) => spelling(r, this.keyColumns)));
    const earlier = this.released.has(identity);
    if (group.length > 1 || earlier) {
      const known = this.collisions.get(identity) ?? new Set<string>();
      if (earlier) known.add(this.firstSpelling.get(identity) ?? identity);
      for (const s of spellings) known.add(s);
      this.collisions.set(identity, known);
      for (const row of group) mark(row, known);
    }
    if (!earlier) {
      this.released.set(identity, 0);
      const first = spelling(group[0] ?? {}, this.keyColumns);
      if (first !== identity) this.firstSpelling.set(identity, first);
    }
    return group.map((row) => ({ row, identity }));
  }
}
