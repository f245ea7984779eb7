import { entry, type SnapEntry } from '../../../src/core/snapshot/entry.js';
import { CHUNK_ENTRIES, chunkOf, SnapshotStore } from '../../../src/core/snapshot/store.js';
import { FakeTable } from '../fakes/table.js';

const synced = (i: number, hash = 'h'): SnapEntry =>
  entry({ identity: `k${String(i).padStart(6, '0')}`, hash, status: 'synced', sfId: `001${i}` });

describe('the snapshot store', () => {
  it('an entity never synced has an empty snapshot', async () => {
    const table = new FakeTable();
    const loaded = await new SnapshotStore(table.asTable()).load('ACME', 'terceros');
    expect(loaded.snapshot.size).toBe(0);
    expect(loaded.head).toBeUndefined();
  });

  it('journal entries are read back over the base, later ones winning, until compacted', async () => {
    const table = new FakeTable();
    let clock = 1_000;
    const store = new SnapshotStore(table.asTable(), () => (clock += 1));
    await store.append('ACME', 'terceros', 'run1', [synced(1, 'old'), synced(2)]);
    await store.append('ACME', 'terceros', 'run1', [synced(1, 'new')]);
    const loaded = await store.load('ACME', 'terceros');
    expect(loaded.snapshot.entries.map((e) => [e.identity, e.hash])).toEqual([
      ['k000001', 'new'],
      ['k000002', 'h'],
    ]);
    expect(loaded.journal).toHaveLength(2);
    await store.compact('ACME', 'terceros', loaded);
    const again = await store.load('ACME', 'terceros');
    expect(again.journal).toEqual([]);
    expect(again.snapshot.entries).toEqual(loaded.snapshot.entries);
    expect(table.items.get('SNAP#ACME#terceros')?.size).toBe(2); // HEAD + one chunk
  });

  it('reads 10,000 entries in one Query call after compaction, and finds keys chunk by chunk', async () => {
    const table = new FakeTable();
    const store = new SnapshotStore(table.asTable());
    const all = Array.from({ length: 10_000 }, (_, i) => synced(i));
    await store.append('ACME', 'terceros', 'run1', all);
    await store.compact('ACME', 'terceros', await store.load('ACME', 'terceros'));
    const head = await store.head('ACME', 'terceros');
    expect(head?.chunks).toBe(Math.ceil(10_000 / CHUNK_ENTRIES));
    const before = table.calls.Query ?? 0;
    const loaded = await store.load('ACME', 'terceros');
    expect(loaded.snapshot.size).toBe(10_000);
    expect((table.calls.Query ?? 0) - before).toBe(2); // the base's chunks, the (empty) journal
    const found = await store.lookup('ACME', 'terceros', ['k000007', 'k009999', 'missing']);
    expect([...found.keys()].sort()).toEqual(['k000007', 'k009999']);
  });

  it('drops deleted entries without a Salesforce Id at compaction, keeps deactivated ones', async () => {
    const table = new FakeTable();
    const store = new SnapshotStore(table.asTable());
    await store.append('ACME', 'terceros', 'run1', [
      entry({ identity: 'a', hash: '', status: 'deleted' }),
      entry({ identity: 'b', hash: 'h', status: 'deleted', sfId: '001b' }),
      synced(3),
    ]);
    await store.compact('ACME', 'terceros', await store.load('ACME', 'terceros'));
    const { snapshot } = await store.load('ACME', 'terceros');
    expect(snapshot.entries.map((e) => e.identity)).toEqual(['b', 'k000003']);
  });

  it('a journal item already merged is ignored if its delete did not happen', async () => {
    const table = new FakeTable();
    let clock = 5_000;
    const store = new SnapshotStore(table.asTable(), () => (clock += 1));
    await store.append('ACME', 'terceros', 'run1', [synced(1, 'first')]);
    const loaded = await store.load('ACME', 'terceros');
    const journalItem = structuredClone(
      table.items.get('SNAP#ACME#terceros')?.get(loaded.journal[0] as string),
    );
    await store.compact('ACME', 'terceros', loaded);
    await store.append('ACME', 'terceros', 'run2', [synced(1, 'second')]);
    await store.compact('ACME', 'terceros', await store.load('ACME', 'terceros'));
    // The first journal item comes back (a lost delete): it must not undo the second run.
    table.items.get('SNAP#ACME#terceros')?.set(loaded.journal[0] as string, journalItem as never);
    expect((await store.load('ACME', 'terceros')).snapshot.get('k000001')?.hash).toBe('second');
  });

  it('chunkOf finds the last chunk whose first identity is not after the key', () => {
    expect(chunkOf(['a', 'm', 't'], 'a')).toBe(0);
    expect(chunkOf(['a', 'm', 't'], 'n')).toBe(1);
    expect(chunkOf(['a', 'm', 't'], 'z')).toBe(2);
    expect(chunkOf(['b', 'm'], 'a')).toBe(-1);
  });
});
