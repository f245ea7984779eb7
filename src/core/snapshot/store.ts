import { randomUUID } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StoreStateError } from '../errors.js';
import { batchDelete, type Item, N, num, S, str, type Table } from '../store/table.js';
import { DEFAULT_KEY_COMPARISON, type KeyComparison, normaliseKeyPart } from '../values/keys.js';
import { type EntryTuple, fromTuple, type SnapEntry, toTuple } from './entry.js';
import { Snapshot } from './snapshot.js';

/**
 * Where an entity's snapshot lives in the one DynamoDB table, all under pk `SNAP#<company>#<entity>`:
 *
 * | sk                     | what |
 * |------------------------|------|
 * | `HEAD`                 | the current base: version, chunk count, entry count, first identity of each chunk, the last journal item merged into it |
 * | `C#<version>#<n>`      | the base's entries, sorted by identity, gzipped JSON tuples, ≤ CHUNK_ENTRIES each and under DynamoDB's 400 KB item limit |
 * | `J#<time>#<run>#<uuid>`| a journal item: the entries Salesforce acknowledged in one request (or Transform rejected in one page), appended at once |
 * | `LEASE`                | the run syncing the entity now, until when |
 *
 * Reading = the base's chunks (a Query returns up to 1 MB, ~10 chunks: ≥ 20,000 entries a call)
 * plus the journal items written after it, in order. Compacting = writing a new base (a new
 * version's chunks), pointing HEAD at it, then deleting the merged journal items and the old
 * chunks. A crash between any two of these steps leaves a readable snapshot: HEAD names one
 * complete version, and journal items up to `journalUpTo` are ignored once merged.
 */
export const CHUNK_ENTRIES = 4000;
const CHUNK_BYTES = 350_000;

const pk = (company: string, entity: string) => `SNAP#${company}#${entity}`;
const pad = (n: number, width = 6) => String(n).padStart(width, '0');

export interface SnapshotHead {
  version: string;
  chunks: number;
  entries: number;
  /** The first identity of each chunk, for reading only the chunks that hold some keys. */
  firsts: string[];
  journalUpTo: string;
  /** How the view's keys compare (its collation), so a key from elsewhere finds its entry. */
  keys: KeyComparison;
}

export interface LoadedSnapshot {
  snapshot: Snapshot;
  head: SnapshotHead | undefined;
  /** Journal items not yet merged into the base (their sort keys). */
  journal: string[];
}

export interface Lease {
  ok: boolean;
  holder: string;
  until: number;
}

/** Gzipped tuples, halved until each body fits an item; each with its first identity. */
function encodeChunk(entries: readonly SnapEntry[]): Array<{ body: Buffer; first: string }> {
  const body = gzipSync(Buffer.from(JSON.stringify(entries.map(toTuple))));
  if (body.length <= CHUNK_BYTES || entries.length === 1)
    return [{ body, first: entries[0]?.identity ?? '' }];
  const middle = Math.ceil(entries.length / 2);
  return [...encodeChunk(entries.slice(0, middle)), ...encodeChunk(entries.slice(middle))];
}

function decode(item: Item): SnapEntry[] {
  const data = item.data?.B;
  if (!data) throw new StoreStateError(`snapshot item ${str(item, 'pk')} ${str(item, 'sk')} has no data`);
  const tuples = JSON.parse(gunzipSync(Buffer.from(data)).toString('utf8')) as EntryTuple[];
  return tuples.map(fromTuple);
}

function headOf(item: Item | undefined): SnapshotHead | undefined {
  if (!item) return undefined;
  return {
    version: str(item, 'version') ?? '',
    chunks: num(item, 'chunks'),
    entries: num(item, 'entries'),
    firsts: JSON.parse(str(item, 'firsts') ?? '[]') as string[],
    journalUpTo: str(item, 'journalUpTo') ?? '',
    keys: item.keys?.S ? (JSON.parse(item.keys.S) as KeyComparison) : DEFAULT_KEY_COMPARISON,
  };
}

/** Reads and writes the snapshots of every company and entity. */
export class SnapshotStore {
  constructor(
    readonly table: Table,
    private readonly now: () => number = Date.now,
  ) {}

  async head(company: string, entity: string): Promise<SnapshotHead | undefined> {
    return headOf(await this.table.get(pk(company, entity), 'HEAD'));
  }

  /** The whole snapshot: base plus journal. */
  async load(company: string, entity: string): Promise<LoadedSnapshot> {
    const head = await this.head(company, entity);
    const base: SnapEntry[] = [];
    if (head && head.chunks > 0) {
      const items = await this.table.query(pk(company, entity), `C#${head.version}#`);
      if (items.length !== head.chunks) {
        throw new StoreStateError(
          `snapshot of ${company}/${entity} version ${head.version} has ${items.length} of ${head.chunks} chunks`,
        );
      }
      for (const item of items) for (const e of decode(item)) base.push(e);
    }
    const { entries, keys } = await this.journal(company, entity, head);
    return { snapshot: new Snapshot(base).merged(entries), head, journal: keys };
  }

  private async journal(company: string, entity: string, head: SnapshotHead | undefined) {
    const items = (await this.table.query(pk(company, entity), 'J#')).filter(
      (i) => (str(i, 'sk') ?? '') > (head?.journalUpTo ?? ''),
    );
    const entries: SnapEntry[] = [];
    for (const item of items) for (const e of decode(item)) entries.push(e);
    return { entries, keys: items.map((i) => str(i, 'sk') ?? '') };
  }

  /** The entries of these source keys (spelled as a view spells them), by key. */
  async lookupKeys(
    company: string,
    entity: string,
    keys: readonly string[],
  ): Promise<Map<string, SnapEntry>> {
    if (keys.length === 0) return new Map();
    const head = await this.head(company, entity);
    const how = head?.keys ?? DEFAULT_KEY_COMPARISON;
    const found = await this.lookup(
      company,
      entity,
      keys.map((k) => normaliseKeyPart(k, how)),
      head,
    );
    const out = new Map<string, SnapEntry>();
    for (const k of keys) {
      const e = found.get(normaliseKeyPart(k, how));
      if (e) out.set(k, e);
    }
    return out;
  }

  /** The entries of these identities only: the chunks that may hold them, and the journal. */
  async lookup(
    company: string,
    entity: string,
    identities: readonly string[],
    known?: SnapshotHead,
  ): Promise<Map<string, SnapEntry>> {
    const found = new Map<string, SnapEntry>();
    if (identities.length === 0) return found;
    const head = known ?? (await this.head(company, entity));
    const wanted = new Set(identities);
    const chunks = new Set<number>();
    for (const id of wanted) {
      const c = chunkOf(head?.firsts ?? [], id);
      if (c >= 0) chunks.add(c);
    }
    if (head) {
      const keys = [...chunks].map((c) => ({ pk: pk(company, entity), sk: `C#${head.version}#${pad(c)}` }));
      for (const item of await this.table.batchGet(keys))
        for (const e of decode(item)) if (wanted.has(e.identity)) found.set(e.identity, e);
    }
    for (const e of (await this.journal(company, entity, head)).entries)
      if (wanted.has(e.identity)) found.set(e.identity, e);
    return found;
  }

  /** Appends acknowledged (or rejected) entries: one item, written before the caller moves on. */
  async append(company: string, entity: string, runId: string, entries: readonly SnapEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const at = pad(this.now(), 15);
    const bodies = encodeChunk(entries);
    await this.table.batchPut(
      bodies.map(({ body: data }, n) => ({
        pk: S(pk(company, entity)),
        sk: S(`J#${at}#${runId}#${randomUUID().slice(0, 8)}${pad(n, 3)}`),
        data: { B: data },
      })),
    );
  }

  /**
   * Writes `snapshot` as the new base (entries marked deleted without a Salesforce Id are
   * dropped: nothing of them is left in Salesforce), then removes the merged journal and the old
   * version. `journal` are the journal keys the snapshot includes.
   */
  async compact(
    company: string,
    entity: string,
    loaded: LoadedSnapshot,
    snapshot = loaded.snapshot,
    keys: KeyComparison = loaded.head?.keys ?? DEFAULT_KEY_COMPARISON,
  ): Promise<SnapshotHead> {
    const kept = snapshot.entries.filter((e) => !(e.status === 'deleted' && !e.sfId));
    const version = `${pad(this.now(), 15)}-${randomUUID().slice(0, 8)}`;
    const items: Item[] = [];
    const firsts: string[] = [];
    for (let i = 0; i < kept.length; i += CHUNK_ENTRIES) {
      const slice = kept.slice(i, i + CHUNK_ENTRIES);
      for (const { body, first } of encodeChunk(slice)) {
        const n = items.length;
        firsts.push(first);
        items.push({ pk: S(pk(company, entity)), sk: S(`C#${version}#${pad(n)}`), data: { B: body } });
      }
    }
    await this.table.batchPut(items);
    const journalUpTo = [...loaded.journal, loaded.head?.journalUpTo ?? ''].sort().at(-1) ?? '';
    const head: SnapshotHead = {
      version,
      chunks: items.length,
      entries: kept.length,
      firsts,
      journalUpTo,
      keys,
    };
    await this.table.put({
      pk: S(pk(company, entity)),
      sk: S('HEAD'),
      version: S(version),
      chunks: N(head.chunks),
      entries: N(head.entries),
      firsts: S(JSON.stringify(firsts)),
      journalUpTo: S(journalUpTo),
      keys: S(JSON.stringify(keys)),
      at: S(new Date(this.now()).toISOString()),
    });
    const old = loaded.head;
    const stale = loaded.journal.map((sk) => ({ pk: pk(company, entity), sk }));
    if (old)
      for (let c = 0; c < old.chunks; c += 1)
        stale.push({ pk: pk(company, entity), sk: `C#${old.version}#${pad(c)}` });
    await batchDelete(this.table, stale);
    return head;
  }

  /** Merges what the journal holds into a new base, when it holds anything (an entity's run ends so). */
  async compactJournal(company: string, entity: string): Promise<void> {
    const loaded = await this.load(company, entity);
    if (loaded.journal.length > 0) await this.compact(company, entity, loaded);
  }

  // ---- lease ---------------------------------------------------------------------------------

  /**
   * Takes (or renews) the entity's lease for `runId` until now + `ms`: refused while another run
   * holds one that has not expired, so two executions never sync one entity at once.
   */
  async lease(company: string, entity: string, runId: string, ms: number): Promise<Lease> {
    const now = this.now();
    try {
      await this.table.update(pk(company, entity), 'LEASE', {
        UpdateExpression: 'SET holder = :run, #until = :until',
        ConditionExpression: 'attribute_not_exists(holder) OR holder = :run OR #until < :now',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':run': S(runId), ':until': N(now + ms), ':now': N(now) },
      });
      return { ok: true, holder: runId, until: now + ms };
    } catch (error) {
      if (!conditionFailed(error)) throw error;
      const item = await this.table.get(pk(company, entity), 'LEASE');
      return { ok: false, holder: str(item, 'holder') ?? '?', until: num(item, 'until') };
    }
  }

  /** Who holds the entity's lease now, if anyone (an expired lease is nobody's). */
  async holder(company: string, entity: string): Promise<{ holder: string; until: number } | undefined> {
    const item = await this.table.get(pk(company, entity), 'LEASE');
    const holder = str(item, 'holder');
    const until = num(item, 'until');
    return holder && until > this.now() ? { holder, until } : undefined;
  }

  /** Gives the lease back, if `runId` still holds it. */
  async release(company: string, entity: string, runId: string): Promise<void> {
    try {
      await this.table.update(pk(company, entity), 'LEASE', {
        UpdateExpression: 'REMOVE holder, #until',
        ConditionExpression: 'holder = :run',
        ExpressionAttributeNames: { '#until': 'until' },
        ExpressionAttributeValues: { ':run': S(runId) },
      });
    } catch (error) {
      if (!conditionFailed(error)) throw error;
    }
  }
}

function conditionFailed(error: unknown): boolean {
  const cause = (error as { cause?: { name?: string } }).cause;
  return cause?.name === 'ConditionalCheckFailedException';
}

/** The chunk that would hold `identity`: the last whose first identity is ≤ it. */
export function chunkOf(firsts: readonly string[], identity: string): number {
  let lo = 0;
  let hi = firsts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((firsts[mid] as string) <= identity) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
