/** Cuts a list into consecutive chunks of at most `size` items (Salesforce Collections take 200). */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`chunk size must be a positive integer, got ${size}`);
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A record to send and the parents its write locks in Salesforce (lookup targets). */
export interface Parented<T> {
  item: T;
  /** Lock keys of its parents; the first is the one records are grouped by. */
  parents: readonly string[];
}

/** A request's worth of records and every parent they lock. */
export interface ParentBatch<T> {
  items: T[];
  parents: ReadonlySet<string>;
}

/**
 * Packs records into batches of at most `size` so that one parent's children travel together
 * (Salesforce locks a child's parent for the whole request; its advice is to group children by
 * parent). Records are grouped by their first parent; whole groups are packed first-fit,
 * largest first, so the batch count stays ceil(n / size) in practice; a group larger than `size`
 * fills batches of its own. Records without parents fill the gaps. Order inside a group is kept.
 */
export function packByParent<T>(records: ReadonlyArray<Parented<T>>, size: number): Array<ParentBatch<T>> {
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`batch size must be a positive integer, got ${size}`);
  const groups = new Map<string, Array<Parented<T>>>();
  const loose: Array<Parented<T>> = [];
  for (const r of records) {
    const first = r.parents[0];
    if (first === undefined) {
      loose.push(r);
      continue;
    }
    const group = groups.get(first);
    if (group) group.push(r);
    else groups.set(first, [r]);
  }
  const bins: Array<{ items: T[]; parents: Set<string> }> = [];
  const add = (bin: { items: T[]; parents: Set<string> }, rs: ReadonlyArray<Parented<T>>) => {
    for (const r of rs) {
      bin.items.push(r.item);
      for (const p of r.parents) bin.parents.add(p);
    }
  };
  const pieces: Array<Array<Parented<T>>> = [];
  for (const group of groups.values()) pieces.push(...chunk(group, size));
  // Stable sort: equal sizes keep their first-seen order.
  pieces.sort((a, b) => b.length - a.length);
  for (const piece of [...pieces, ...loose.map((r) => [r])]) {
    let bin = bins.find((b) => b.items.length + piece.length <= size);
    if (!bin) {
      bin = { items: [], parents: new Set() };
      bins.push(bin);
    }
    add(bin, piece);
  }
  return bins;
}

/**
 * Hands out batches so that no two in flight at the same moment share a parent: `take` gives
 * the first queued batch whose parents are all free, or nothing (then wait for `release`).
 * When nothing is in flight, the first queued batch is always free, so the queue drains.
 */
export class ParentScheduler<B extends { parents: ReadonlySet<string> }> {
  private readonly queue: B[] = [];
  private readonly busy = new Set<string>();
  private inFlight = 0;
  private waiters: Array<() => void> = [];

  push(batches: Iterable<B>): void {
    this.queue.push(...batches);
  }

  get queued(): number {
    return this.queue.length;
  }

  get running(): number {
    return this.inFlight;
  }

  take(): B | undefined {
    const index = this.queue.findIndex((b) => ![...b.parents].some((p) => this.busy.has(p)));
    if (index < 0) return undefined;
    const [batch] = this.queue.splice(index, 1) as [B];
    for (const p of batch.parents) this.busy.add(p);
    this.inFlight += 1;
    return batch;
  }

  release(batch: B): void {
    for (const p of batch.parents) this.busy.delete(p);
    this.inFlight -= 1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves at the next release. */
  released(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
