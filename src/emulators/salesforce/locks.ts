/**
 * Row locks, as Salesforce takes them: a request that writes children of a parent (any lookup or
 * master-detail the record sets, by Id or by the parent's external ID) holds that parent's lock
 * until the request ends, and a request updating a record holds that record's. Another request
 * touching the same row waits for it up to `lockWaitMs` (about 10 s in a real org); past that,
 * its records needing that row fail `UNABLE_TO_LOCK_ROW` "unable to obtain exclusive access to
 * this record or 1 records: <Id>".
 *
 * A write request lasts `lockHoldMs + recordCostMs × records` after its locks are granted, so
 * overlapping requests really overlap. Everything is deterministic: waiters are served first in,
 * first out, and a request takes its parents in Id order (two requests never deadlock on them).
 */
import { z } from 'zod';
import type { DmlContext } from './dml.js';
import { normalizeId } from './ids.js';
import type { PreparedRecord } from './prepare.js';
import type { FieldDef } from './schema.js';

export interface LockSettings {
  /** How long a request waits for a parent another request holds (default 200; a real org ~10000). */
  lockWaitMs: number;
  /** Processing time of every write request, locks held throughout (default 5). */
  lockHoldMs: number;
  /** Processing time added per record written (default 0.05). */
  recordCostMs: number;
}

export const DEFAULT_LOCK_SETTINGS: LockSettings = { lockWaitMs: 200, lockHoldMs: 5, recordCostMs: 0.05 };

const lockSettingsSchema = z.strictObject({
  lockWaitMs: z.number().min(0).max(600000).optional(),
  lockHoldMs: z.number().min(0).max(600000).optional(),
  recordCostMs: z.number().min(0).max(60000).optional(),
});

export class LockSettingsError extends Error {
  override readonly name = 'LockSettingsError';
}

/** Validates (part of) lock settings, naming what is wrong and what is accepted. */
export function parseLockSettings(input: unknown): Partial<LockSettings> {
  const parsed = lockSettingsSchema.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(locks)'}: ${i.message}`).join('; ');
  throw new LockSettingsError(
    `invalid lock settings: ${issues}. Accepted: {lockWaitMs?: 0..600000, lockHoldMs?: 0..600000, recordCostMs?: 0..60000}`,
  );
}

/** The parents a request could not lock, and the callback that counts each record failing on them. */
export interface LockedOut {
  ids: ReadonlySet<string>;
  conflict: () => void;
}

interface Waiter {
  owner: object;
  grant: () => void;
}

interface Entry {
  owner: object;
  queue: Waiter[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The rows a prepared record's write locks: the parents it points at (references by Id and
 * parents found by external ID) and the record itself when it exists (an update, or an upsert
 * matching a record by `externalIdField`).
 */
export function lockedRowsOf(ctx: DmlContext, item: PreparedRecord, externalIdField?: FieldDef): string[] {
  const ids = new Set<string>();
  const byId = (value: unknown) => {
    const id = typeof value === 'string' ? normalizeId(value.trim()) : undefined;
    if (id) ids.add(id);
  };
  for (const [field, value] of item.values) if (field.type === 'reference') byId(value);
  for (const ref of item.refs) {
    if (ref.value === null) continue;
    if (ref.by.name === 'Id') {
      byId(ref.value);
      continue;
    }
    const parent = ctx.schema.byLower.get((ref.field.referenceTo ?? '').toLowerCase());
    const found = parent ? ctx.store.findUnique(parent.name, ref.by, ref.value) : undefined;
    if (found) ids.add(found.Id as string);
  }
  if (item.id !== undefined) byId(item.id);
  const ext = externalIdField ? item.values.get(externalIdField) : undefined;
  if (externalIdField && ext !== undefined && ext !== null) {
    const existing = ctx.store.findUnique(item.object.name, externalIdField, ext);
    if (existing) ids.add(existing.Id as string);
  }
  return [...ids];
}

export class ParentLocks {
  private readonly entries = new Map<string, Entry>();
  private conflictCount = 0;
  private current: LockSettings;

  constructor(settings: LockSettings) {
    this.current = { ...settings };
  }

  get settings(): LockSettings {
    return { ...this.current };
  }

  /** Changes some settings; requests already waiting keep their deadline. */
  configure(changes: Partial<LockSettings>): void {
    this.current = { ...this.current, ...parseLockSettings(changes) };
  }

  /** Records that failed UNABLE_TO_LOCK_ROW on a parent lock since the last reset. */
  get conflicts(): number {
    return this.conflictCount;
  }

  resetCounters(): void {
    this.conflictCount = 0;
  }

  /**
   * Takes the parents' locks for the length of `write` plus the request's processing time, and
   * hands `write` the parents it could not lock within `lockWaitMs`.
   */
  async hold<T>(
    parentIds: Iterable<string>,
    records: number,
    write: (lockedOut: LockedOut) => T,
  ): Promise<T> {
    const owner = {};
    const deadline = Date.now() + this.current.lockWaitMs;
    const held: string[] = [];
    const refused = new Set<string>();
    try {
      for (const id of [...new Set(parentIds)].sort()) {
        if (await this.acquire(id, owner, deadline)) held.push(id);
        else refused.add(id);
      }
      const result = write({ ids: refused, conflict: () => this.conflictCount++ });
      const processing = this.current.lockHoldMs + this.current.recordCostMs * records;
      if (processing > 0) await sleep(processing);
      return result;
    } finally {
      for (const id of held) this.release(id, owner);
    }
  }

  private acquire(id: string, owner: object, deadline: number): Promise<boolean> {
    const entry = this.entries.get(id);
    if (!entry) {
      this.entries.set(id, { owner, queue: [] });
      return Promise.resolve(true);
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        owner,
        grant: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        entry.queue.splice(entry.queue.indexOf(waiter), 1);
        resolve(false);
      }, remaining);
      entry.queue.push(waiter);
    });
  }

  private release(id: string, owner: object): void {
    const entry = this.entries.get(id);
    if (entry?.owner !== owner) return;
    const next = entry.queue.shift();
    if (!next) {
      this.entries.delete(id);
      return;
    }
    entry.owner = next.owner;
    next.grant();
  }
}
