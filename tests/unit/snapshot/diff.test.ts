import { decide, deletionGuardProblem, planDeletions } from '../../../src/core/snapshot/diff.js';
import { entry, type SnapEntry } from '../../../src/core/snapshot/entry.js';
import { Snapshot } from '../../../src/core/snapshot/snapshot.js';
import { DEFAULT_KEY_COMPARISON, normaliseKeyPart } from '../../../src/core/values/keys.js';

const synced = (identity: string, hash = 'h1', sfId = `001${identity}`): SnapEntry =>
  entry({ identity, hash, status: 'synced', sfId });
const row = (identity: string, hash = 'h1', duplicate = false) => ({ identity, hash, duplicate });

describe('the snapshot diff: what Extract stages', () => {
  it('stages new keys, changed rows and everything in full mode; counts unchanged ones', () => {
    expect(decide(undefined, row('a'), 'delta')).toEqual({ stage: true, reason: 'new' });
    expect(decide(synced('a'), row('a', 'h2'), 'delta')).toEqual({ stage: true, reason: 'changed' });
    expect(decide(synced('a'), row('a'), 'delta')).toEqual({
      stage: false,
      reason: 'unchanged',
      entry: synced('a'),
    });
    expect(decide(synced('a'), row('a'), 'full')).toEqual({ stage: true, reason: 'full' });
  });

  it('retries failed records and children rejected for a missing parent, not other rejections', () => {
    const failed = entry({ identity: 'a', hash: 'h1', status: 'failed', code: 'UNABLE_TO_LOCK_ROW' });
    expect(decide(failed, row('a'), 'delta')).toEqual({ stage: true, reason: 'retry' });
    const orphan = entry({
      identity: 'a',
      hash: 'h1',
      status: 'rejected',
      code: 'INVALID_CROSS_REFERENCE_KEY',
    });
    expect(decide(orphan, row('a'), 'delta')).toEqual({
      stage: 'if-parents',
      reason: 'orphan',
      entry: orphan,
    });
    const invalid = entry({ identity: 'a', hash: 'h1', status: 'rejected', code: 'INVALID_EMAIL_ADDRESS' });
    expect(decide(invalid, row('a'), 'delta')).toEqual({ stage: false, reason: 'rejected', entry: invalid });
    expect(decide(invalid, row('a', 'h2'), 'delta')).toEqual({ stage: true, reason: 'changed' });
  });

  it('a mapping version change changes every hash, so every row is resent', () => {
    // The hash covers the row and the mapping version (extract.ts): a new version is a new hash.
    expect(decide(synced('a', 'row@v1'), row('a', 'row@v2'), 'delta').stage).toBe(true);
  });

  it('stages every row of a newly duplicated key, not one still duplicated, and sends it once the repeat is gone', () => {
    expect(decide(synced('a'), row('a', 'h1', true), 'delta').stage).toBe(true);
    expect(decide(undefined, row('a', 'h1', true), 'delta').stage).toBe(true);
    const dup = entry({ identity: 'a', hash: 'h1', status: 'rejected', code: 'DUPLICATE_VALUE' });
    expect(decide(dup, row('a', 'h2', true), 'delta')).toEqual({
      stage: false,
      reason: 'rejected',
      entry: dup,
    });
    expect(decide(dup, row('a', 'h1', false), 'delta')).toEqual({
      stage: 'if-unique',
      reason: 'was-duplicate',
      entry: dup,
    });
  });

  it('stages a key that returns after it was deleted', () => {
    const deleted = entry({ identity: 'a', hash: 'h1', status: 'deleted' });
    expect(decide(deleted, row('a'), 'delta')).toEqual({ stage: true, reason: 'returned' });
  });

  it('matches keys the collation treats as one: a respelled key is the same record', () => {
    const how = { ...DEFAULT_KEY_COMPARISON, accentInsensitive: true };
    const snapshot = Snapshot.fromUnsorted([
      synced(normaliseKeyPart('MUÑOZ-1', how)),
      synced(normaliseKeyPart('CAFE-1', how)),
    ]);
    expect(snapshot.see(normaliseKeyPart('muñoz-1 ', how))?.sfId).toBe('001muñoz-1');
    expect(snapshot.see(normaliseKeyPart('Café-1', how))?.sfId).toBe('001cafe-1');
    // Ñ is a letter of its own in Spanish collations: MUNOZ-1 is another key.
    expect(snapshot.see(normaliseKeyPart('MUNOZ-1', how))).toBeUndefined();
    expect([...snapshot.unseen()]).toEqual([]);
  });
});

describe('keys that left the view', () => {
  const snapshot = () =>
    Snapshot.fromUnsorted([
      synced('a'),
      synced('b'),
      synced('c'),
      entry({ identity: 'd', hash: 'h', status: 'rejected', code: 'X' }),
      entry({ identity: 'e', hash: 'h', status: 'deleted' }),
      entry({ identity: 'f', hash: 'h', status: 'failed', sfId: '001f', code: 'Y' }),
    ]);

  it('are removed when they exist in Salesforce, forgotten when they never got there', () => {
    const s = snapshot();
    s.see('a');
    const plan = planDeletions(s, 'delete');
    expect(plan.toRemove.map((e) => e.identity)).toEqual(['b', 'c', 'f']);
    expect(plan.toForget.map((e) => e.identity)).toEqual(['d']);
    expect(plan.inSalesforce).toBe(4);
  });

  it('are left alone with onDelete "ignore"', () => {
    const plan = planDeletions(snapshot(), 'ignore');
    expect(plan).toEqual({ toRemove: [], toForget: [], inSalesforce: 4 });
  });

  it('the guard refuses more than maxDeletePercent, and an empty view, unless confirmed', () => {
    const base = { inSalesforce: 100, viewRows: 89, maxDeletePercent: 10, allowMassDelete: false };
    expect(deletionGuardProblem({ ...base, toRemove: 10 })).toBeUndefined();
    expect(deletionGuardProblem({ ...base, toRemove: 11 })).toBe(
      'the run would remove 11 of 100 record(s) in Salesforce (11.0%), more than maxDeletePercent 10%; nothing was removed',
    );
    expect(deletionGuardProblem({ ...base, toRemove: 11, allowMassDelete: true })).toBeUndefined();
    expect(deletionGuardProblem({ ...base, toRemove: 1, viewRows: 0 })).toMatch(
      /^the view returned no rows while 100 record\(s\) synced from it are in Salesforce/,
    );
  });
});
