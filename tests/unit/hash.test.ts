import { canonicalJson, contentHash, rowHash } from '../../src/core/hash.js';

describe('contentHash', () => {
  it('ignores key order and undefined values', () => {
    expect(contentHash({ a: 1, b: 'x', c: undefined })).toBe(contentHash({ b: 'x', a: 1 }));
  });

  it('changes when any value changes', () => {
    expect(contentHash({ a: 1, b: 'x' })).not.toBe(contentHash({ a: 1, b: 'y' }));
  });

  it('sorts nested objects too', () => {
    expect(canonicalJson({ z: { b: 1, a: [1, { d: 2, c: null }] } })).toBe(
      '{"z":{"a":[1,{"c":null,"d":2}],"b":1}}',
    );
  });
});

describe('rowHash: a source row under a mapping version', () => {
  it('counts an instant and bytes by their value (not as objects without keys)', () => {
    const row = (at: string, bytes: number[]) => ({ id: 1, at: new Date(at), blob: Buffer.from(bytes) });
    const columns = ['at', 'blob', 'id'];
    const a = rowHash('v1', row('2026-03-01T13:00:00Z', [1, 2]), columns);
    expect(rowHash('v1', row('2026-03-01T13:00:00Z', [1, 2]), columns)).toBe(a);
    expect(rowHash('v1', row('2026-03-01T13:00:01Z', [1, 2]), columns)).not.toBe(a);
    expect(rowHash('v1', row('2026-03-01T13:00:00Z', [1, 3]), columns)).not.toBe(a);
    expect(rowHash('v2', row('2026-03-01T13:00:00Z', [1, 2]), columns)).not.toBe(a);
  });

  it('reads values in the columns given, so the view order does not matter; null and missing are alike', () => {
    expect(rowHash('v', { a: 1, b: null }, ['a', 'b'])).toBe(rowHash('v', { b: null, a: 1 }, ['a', 'b']));
    expect(rowHash('v', { a: 1 }, ['a', 'b'])).toBe(rowHash('v', { a: 1, b: null }, ['a', 'b']));
    expect(rowHash('v', { a: 1 }, ['a'])).not.toBe(rowHash('v', { a: 1 }, ['a', 'b']));
  });
});
