/**
 * Records in memory, indexed by Id and by every unique field, written through to SQLite.
 *
 * Writes happen inside a `Change` (one per request or Bulk chunk): each write is applied to
 * memory at once, so later records of the same request see earlier ones, and remembered with
 * its previous state so that `rollback()` can undo it (allOrNone). `commit()` persists the net
 * result in one transaction.
 */
import { duplicateKey } from './duplicates.js';
import { idSequence, makeId } from './ids.js';
import type { Persistence, RecordRow } from './persistence.js';
import type { FieldDef, ObjectDef, OrgSchema } from './schema.js';
import { indexKey, type StoredValue } from './values.js';

export type SObjectRecord = Record<string, StoredValue>;

interface Table {
  def: ObjectDef;
  byId: Map<string, SObjectRecord>;
  /** Field name → index key → record Id. */
  unique: Map<string, Map<string, string>>;
  /** Duplicate-rule key (normalised company name) → record Ids, for objects with a duplicate rule. */
  duplicates: Map<string, Set<string>>;
  sequence: number;
}

export class Store {
  private readonly tables = new Map<string, Table>();
  private readonly byPrefix = new Map<string, Table>();

  constructor(
    readonly schema: OrgSchema,
    private readonly persistence: Persistence,
  ) {
    for (const def of schema.objects) {
      const table: Table = { def, byId: new Map(), unique: new Map(), duplicates: new Map(), sequence: 0 };
      for (const f of def.uniqueFields) table.unique.set(f.name, new Map());
      this.tables.set(def.name, table);
      this.byPrefix.set(def.keyPrefix, table);
    }
  }

  /** Loads every stored record (startup). Records of objects no longer in the schema are skipped. */
  load(): { loaded: number; skipped: number } {
    let loaded = 0;
    let skipped = 0;
    for (const row of this.persistence.records()) {
      const table = this.tables.get(row.object);
      if (!table) {
        skipped += 1;
        continue;
      }
      const record = JSON.parse(row.data) as SObjectRecord;
      table.byId.set(row.id, record);
      this.indexRecord(table, record);
      table.sequence = Math.max(table.sequence, idSequence(row.id));
      loaded += 1;
    }
    for (const table of this.tables.values()) {
      const saved = Number(this.persistence.meta(`sequence:${table.def.keyPrefix}`) ?? '0');
      table.sequence = Math.max(table.sequence, saved);
    }
    return { loaded, skipped };
  }

  private table(object: string): Table {
    const table = this.tables.get(object);
    if (!table) throw new Error(`no such object ${object}`);
    return table;
  }

  private indexRecord(table: Table, record: SObjectRecord): void {
    for (const [field, index] of table.unique) {
      const def = table.def.fieldsByLower.get(field.toLowerCase()) as FieldDef;
      const key = indexKey(def, record[field] ?? null);
      if (key !== undefined) index.set(key, record.Id as string);
    }
    const rule = table.def.duplicateRule;
    const key = rule ? duplicateKey(rule, record) : '';
    if (key !== '') {
      const ids = table.duplicates.get(key) ?? new Set<string>();
      ids.add(record.Id as string);
      table.duplicates.set(key, ids);
    }
  }

  private unindexRecord(table: Table, record: SObjectRecord): void {
    for (const [field, index] of table.unique) {
      const def = table.def.fieldsByLower.get(field.toLowerCase()) as FieldDef;
      const key = indexKey(def, record[field] ?? null);
      if (key !== undefined && index.get(key) === record.Id) index.delete(key);
    }
    const rule = table.def.duplicateRule;
    const key = rule ? duplicateKey(rule, record) : '';
    const ids = table.duplicates.get(key);
    ids?.delete(record.Id as string);
    if (ids?.size === 0) table.duplicates.delete(key);
  }

  count(object: string): number {
    return this.table(object).byId.size;
  }

  get(object: string, id: string): SObjectRecord | undefined {
    return this.table(object).byId.get(id);
  }

  /** The object and record of an 18-character Id, whatever its type. */
  getAny(id: string): { def: ObjectDef; record: SObjectRecord } | undefined {
    const table = this.byPrefix.get(id.slice(0, 3));
    const record = table?.byId.get(id);
    return table && record ? { def: table.def, record } : undefined;
  }

  /** The record holding a value in a unique field (compared as the field compares: case-insensitive by default). */
  findUnique(object: string, field: FieldDef, value: StoredValue): SObjectRecord | undefined {
    const table = this.table(object);
    const key = indexKey(field, value);
    const id = key === undefined ? undefined : table.unique.get(field.name)?.get(key);
    return id === undefined ? undefined : table.byId.get(id);
  }

  /** Records whose duplicate-rule key (normalised name) is `key`. */
  duplicateCandidates(object: string, key: string): SObjectRecord[] {
    const table = this.table(object);
    const ids = key === '' ? undefined : table.duplicates.get(key);
    const out: SObjectRecord[] = [];
    for (const id of ids ?? []) {
      const record = table.byId.get(id);
      if (record) out.push(record);
    }
    return out;
  }

  all(object: string): IterableIterator<SObjectRecord> {
    return this.table(object).byId.values();
  }

  begin(): Change {
    return new Change(this);
  }

  /** @internal used by Change */
  nextId(object: string): string {
    const table = this.table(object);
    table.sequence += 1;
    return makeId(table.def.keyPrefix, table.sequence);
  }

  /** @internal used by Change */
  sequenceMeta(): Array<[string, string]> {
    return [...this.tables.values()].map((t) => [`sequence:${t.def.keyPrefix}`, String(t.sequence)]);
  }

  /** @internal used by Change: put a record (or remove it with `undefined`) in memory. */
  place(object: string, id: string, record: SObjectRecord | undefined): void {
    const table = this.table(object);
    const previous = table.byId.get(id);
    if (previous) this.unindexRecord(table, previous);
    if (record) {
      table.byId.set(id, record);
      this.indexRecord(table, record);
    } else {
      table.byId.delete(id);
    }
  }

  /** @internal */
  get persist(): Persistence {
    return this.persistence;
  }
}

/** The writes of one request: applied to memory immediately, undoable, persisted together. */
export class Change {
  private readonly undo: Array<{ object: string; id: string; previous: SObjectRecord | undefined }> = [];
  private readonly touched = new Map<string, string>();
  private created = false;

  constructor(private readonly store: Store) {}

  newId(object: string): string {
    this.created = true;
    return this.store.nextId(object);
  }

  /** Writes a whole record (insert or replace). */
  put(object: string, record: SObjectRecord): void {
    const id = record.Id as string;
    this.undo.push({ object, id, previous: this.store.get(object, id) });
    this.store.place(object, id, record);
    this.touched.set(id, object);
  }

  remove(object: string, id: string): void {
    this.undo.push({ object, id, previous: this.store.get(object, id) });
    this.store.place(object, id, undefined);
    this.touched.set(id, object);
  }

  /** A savepoint: the number of writes so far. */
  mark(): number {
    return this.undo.length;
  }

  /** Undoes the writes after a savepoint (all of them by default). */
  rollback(to = 0): void {
    while (this.undo.length > to) {
      const step = this.undo.pop();
      if (step) this.store.place(step.object, step.id, step.previous);
    }
    if (to === 0) this.touched.clear();
  }

  /** The rows to persist: the final state of every touched record. */
  rows(): { writes: RecordRow[]; deletes: string[]; meta: Array<[string, string]> } {
    const writes: RecordRow[] = [];
    const deletes: string[] = [];
    for (const [id, object] of this.touched) {
      const record = this.store.get(object, id);
      if (record) writes.push({ id, object, data: JSON.stringify(record) });
      else deletes.push(id);
    }
    return { writes, deletes, meta: this.created ? this.store.sequenceMeta() : [] };
  }

  commit(): void {
    const { writes, deletes, meta } = this.rows();
    this.store.persist.commit(writes, deletes, meta);
  }
}
