import { chunk } from '../../src/core/batching.js';

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
