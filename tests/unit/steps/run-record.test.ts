import { SnapshotStore } from '../../../src/core/snapshot/store.js';
import { SyncStore } from '../../../src/core/store/sync-store.js';
import { dryRunOptions } from '../../../src/core/sync/dry-run.js';
import { runOptions } from '../../../src/core/sync/run-options.js';
import { FakeTable } from '../fakes/table.js';

describe('the run record, typed: what Plan opened and Report closed', () => {
  it('reads back the input, plan, times, status and summary as values, not DynamoDB attributes', async () => {
    const store = new SyncStore(new FakeTable().asTable());
    expect(await store.getRun('nope')).toBeUndefined();
    await store.openRun('run-1', { companies: ['ITALCOL'], dryRun: true }, [{ company: 'ITALCOL' }]);

    const open = await store.getRun('run-1');
    expect(open).toEqual({
      runId: 'run-1',
      status: 'RUNNING',
      input: { companies: ['ITALCOL'], dryRun: true },
      plan: [{ company: 'ITALCOL' }],
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    await store.closeRun('run-1', 'SUCCEEDED', { status: 'SUCCEEDED', totals: { created: 3 } });
    const closed = await store.getRun('run-1');
    expect([closed?.status, closed?.summary, closed?.startedAt]).toEqual([
      'SUCCEEDED',
      { status: 'SUCCEEDED', totals: { created: 3 } },
      open?.startedAt,
    ]);
    expect(Date.parse(closed?.finishedAt ?? '')).toBeGreaterThanOrEqual(Date.parse(open?.startedAt ?? ''));
  });

  it('gives the steps their run options: dry run, diff and confirmed mass deletes', async () => {
    const store = new SyncStore(new FakeTable().asTable());
    await store.openRun('real', {}, []);
    await store.openRun('dry', { dryRun: true, diff: true }, []);
    await store.openRun('confirmed', { allowMassDelete: ['terceros', 'CASABLANCA/acuerdos'] }, []);

    expect(await dryRunOptions(store, 'real')).toEqual({ dryRun: false, diff: false });
    expect(await dryRunOptions(store, 'dry')).toEqual({ dryRun: true, diff: true });
    expect(await dryRunOptions(store, 'unknown')).toEqual({ dryRun: false, diff: false });
    const options = await runOptions(store, 'confirmed');
    expect(
      [
        ['ITALCOL', 'terceros'],
        ['ITALCOL', 'acuerdos'],
        ['CASABLANCA', 'acuerdos'],
      ].map(([c, e]) => options.allowMassDelete(c as string, e as string)),
    ).toEqual([true, false, true]);
    expect((await runOptions(store, 'real')).allowMassDelete('ITALCOL', 'terceros')).toBe(false);
  });
});

describe('FakeTable UpdateItem: as strict as DynamoDB', () => {
  it('counts with ADD from nothing, and keeps the first time with if_not_exists', async () => {
    const table = new FakeTable();
    const store = new SyncStore(table.asTable());
    await store.addRemoved('r', 'CO', 'e', 3, 1);
    await store.addRemoved('r', 'CO', 'e', 2, 0);
    await store.setPage('r', 'CO', 'e', 1, { status: 'transformed', toSend: 4 });
    const first = (await store.getPage('r', 'CO', 'e', 1))?.transformedAt;
    await store.setPage('r', 'CO', 'e', 1, { status: 'transformed', toSend: 4 });
    expect((await store.getPage('r', 'CO', 'e', 1))?.transformedAt).toBe(first);
    const item = table.items.get('RUN#r')?.get('ENT#CO#e');
    expect([item?.removed, item?.removeFailed]).toEqual([{ N: '5' }, { N: '1' }]);
  });

  it('refuses unused or undefined names and values, and a path set twice, with ValidationException', async () => {
    const table = new FakeTable();
    const update = (input: Parameters<FakeTable['update']>[2]) => table.update('p', 's', input);
    await expect(
      update({
        UpdateExpression: 'SET a = :a',
        ExpressionAttributeValues: { ':a': { S: '1' }, ':b': { S: '2' } },
      }),
    ).rejects.toThrow(
      'ValidationException: Value provided in ExpressionAttributeValues unused in expressions: keys: {:b}',
    );
    await expect(
      update({ UpdateExpression: 'SET #a = :a', ExpressionAttributeValues: { ':a': { S: '1' } } }),
    ).rejects.toThrow(
      'ValidationException: An expression attribute name used in the document path is not defined; attribute name: #a',
    );
    await expect(
      update({ UpdateExpression: 'SET a = :a, a = :a', ExpressionAttributeValues: { ':a': { S: '1' } } }),
    ).rejects.toThrow('Two document paths overlap with each other');
    expect(table.items.size).toBe(0);
  });

  it("models the lease's conditions: a second run is refused until the first's lease runs out or is released", async () => {
    const table = new FakeTable();
    let now = 1_000;
    const leases = new SnapshotStore(table.asTable(), () => now);
    expect(await leases.lease('CO', 'e', 'run-a', 500)).toEqual({ ok: true, holder: 'run-a', until: 1_500 });
    expect(await leases.lease('CO', 'e', 'run-b', 500)).toEqual({ ok: false, holder: 'run-a', until: 1_500 });
    expect((await leases.lease('CO', 'e', 'run-a', 500)).ok).toBe(true); // renewed by its holder
    now = 1_501;
    expect(await leases.lease('CO', 'e', 'run-b', 500)).toEqual({ ok: true, holder: 'run-b', until: 2_001 });
    await leases.release('CO', 'e', 'run-a'); // not the holder any more: nothing changes
    expect((await leases.lease('CO', 'e', 'run-c', 500)).ok).toBe(false);
    await leases.release('CO', 'e', 'run-b');
    expect((await leases.lease('CO', 'e', 'run-c', 500)).ok).toBe(true);
  });
});
