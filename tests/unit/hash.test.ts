import { canonicalJson, contentHash } from '../../src/core/hash.js';

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
