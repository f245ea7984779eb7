import { chunk, ParentScheduler, packByParent } from '../../src/core/batching.js';

describe('chunk', () => {
  it('cuts 401 records into 200 + 200 + 1, keeping order', () => {
    const items = Array.from({ length: 401 }, (_, i) => i);
    const chunks = chunk(items, 200);
    expect(chunks.map((c) => c.length)).toEqual([200, 200, 1]);
    expect(chunks.flat()).toEqual(items);
  });

  it('gives no chunk for no items', () => {
    expect(chunk([], 200)).toEqual([]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => chunk([1], 0)).toThrow('positive integer');
  });
});

describe('packByParent', () => {
  const rec = (id: string, ...parents: string[]) => ({ item: id, parents });

  it("keeps one parent's children in one batch, whatever their order in the source", () => {
    const records = [rec('s1', 'A'), rec('s2', 'B'), rec('s3', 'A'), rec('s4', 'C'), rec('s5', 'B')];
    const batches = packByParent(records, 3);
    expect(batches.map((b) => [b.items, [...b.parents].sort()])).toEqual([
      [
        ['s1', 's3', 's4'],
        ['A', 'C'],
      ],
      [['s2', 's5'], ['B']],
    ]);
  });

  it('packs small groups so the request count stays ceil(n / size)', () => {
    // 1,000 children of 400 parents (1 to 4 each), in key order: 5 requests of 200.
    const records = Array.from({ length: 1000 }, (_, i) => rec(`c${i}`, `P${(i * 7) % 400}`));
    const batches = packByParent(records, 200);
    expect(batches.map((b) => b.items.length)).toEqual([200, 200, 200, 200, 200]);
    const batchOf = new Map<string, number>();
    batches.forEach((b, n) => {
      for (const p of b.parents) {
        expect(batchOf.get(p) ?? n).toBe(n);
        batchOf.set(p, n);
      }
    });
    expect(batchOf.size).toBe(400);
  });

  it('gives a parent with more than `size` children batches of its own', () => {
    const records = [...Array.from({ length: 5 }, (_, i) => rec(`a${i}`, 'A')), rec('b0', 'B')];
    const batches = packByParent(records, 2);
    expect(batches.map((b) => b.items)).toEqual([
      ['a0', 'a1'],
      ['a2', 'a3'],
      ['a4', 'b0'],
    ]);
  });

  it('records every parent a record locks (an acuerdo locks its Account and its RetailStore)', () => {
    const batches = packByParent([rec('x', 'acc:1', 'store:9'), rec('y', 'acc:1'), rec('z')], 200);
    expect(batches.map((b) => [b.items, [...b.parents]])).toEqual([
      [
        ['x', 'y', 'z'],
        ['acc:1', 'store:9'],
      ],
    ]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => packByParent([], 0)).toThrow('batch size must be a positive integer, got 0');
  });
});

describe('ParentScheduler', () => {
  const batch = (name: string, ...parents: string[]) => ({ name, parents: new Set(parents) });

  it('never hands out two batches with a parent in common at the same time', async () => {
    const s = new ParentScheduler<ReturnType<typeof batch>>();
    const a = batch('a', 'P1', 'P2');
    const b = batch('b', 'P2');
    const c = batch('c', 'P3');
    s.push([a, b, c]);
    expect(s.take()).toBe(a);
    expect(s.take()).toBe(c); // b waits: P2 is in flight
    expect(s.take()).toBeUndefined();
    expect([s.queued, s.running]).toEqual([1, 2]);
    const woken = s.released();
    s.release(a);
    await woken;
    expect(s.take()).toBe(b);
    expect([s.queued, s.running]).toEqual([0, 2]);
  });

  it('always gives the first batch when nothing is in flight', () => {
    const s = new ParentScheduler<ReturnType<typeof batch>>();
    s.push([batch('a', 'P'), batch('b', 'P')]);
    const first = s.take();
    expect(first?.name).toBe('a');
    s.release(first as ReturnType<typeof batch>);
    expect(s.take()?.name).toBe('b');
  });
});
