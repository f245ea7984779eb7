import { idSequence, makeId, normalizeId } from '../../../src/emulators/salesforce/ids.js';

describe('Salesforce ids', () => {
  it('adds the documented case-checksum suffix to 15-character ids', () => {
    expect(normalizeId('001A0000006Vm9r')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('a0D30000001n7Pi')).toBe('a0D30000001n7PiEAI');
  });

  it('accepts an 18-character id with its suffix in any case and refuses a wrong suffix', () => {
    expect(normalizeId('001A0000006Vm9rIAC')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9riac')).toBe('001A0000006Vm9rIAC');
    expect(normalizeId('001A0000006Vm9rAAA')).toBeUndefined();
    expect(normalizeId('001A0000006Vm9')).toBeUndefined();
    expect(normalizeId('001A0000006Vm9r-AC')).toBeUndefined();
  });

  it('makes valid ids with the key prefix and recovers their sequence', () => {
    const id = makeId('0ZS', 123456789);
    expect(id).toHaveLength(18);
    expect(id.startsWith('0ZS')).toBe(true);
    expect(normalizeId(id.slice(0, 15))).toBe(id);
    expect(idSequence(id)).toBe(123456789);
    expect(makeId('001', 1)).not.toBe(makeId('001', 2));
  });
});
