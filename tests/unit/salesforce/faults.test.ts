import { Faults, parseFaults } from '../../../src/emulators/salesforce/faults.js';

describe('faults', () => {
  it('draws the same decisions for the same seed, and none when shares are zero', () => {
    const draw = (faults: Faults) =>
      Array.from({ length: 50 }, () => [faults.unavailable(), faults.lockRow()]);
    const a = draw(new Faults({ seed: 9, unavailableShare: 0.4, lockRowShare: 0.2 }));
    const b = draw(new Faults({ seed: 9, unavailableShare: 0.4, lockRowShare: 0.2 }));
    expect(a).toEqual(b);
    expect(a.flat().some(Boolean)).toBe(true);
    expect(
      draw(new Faults({ seed: 9 }))
        .flat()
        .some(Boolean),
    ).toBe(false);
  });

  it('restarts the sequence when faults are set again', () => {
    const faults = new Faults({ seed: 5, unavailableShare: 0.5 });
    const first = Array.from({ length: 20 }, () => faults.unavailable());
    faults.set({ seed: 5, unavailableShare: 0.5 });
    expect(Array.from({ length: 20 }, () => faults.unavailable())).toEqual(first);
  });

  it('refuses invalid values and unknown keys, listing what is accepted', () => {
    expect(() => parseFaults({ unavailableShare: 1.5 })).toThrow(
      /unavailableShare.*Accepted: \{seed\?: integer/,
    );
    expect(() => parseFaults({ latency: 5 })).toThrow(/Unrecognized key/);
    expect(parseFaults(undefined)).toEqual({});
  });
});
