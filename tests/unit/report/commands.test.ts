import { gzipSync } from 'node:zlib';
import { failuresCommand } from '../../../src/cli/commands/failures.js';
import type { Output } from '../../../src/cli/commands/output.js';
import { reportCommand } from '../../../src/cli/commands/report.js';
import { runsCommand, showCommand } from '../../../src/cli/commands/runs.js';
import { stateCommand } from '../../../src/cli/commands/state.js';
import { formatRunList } from '../../../src/cli/format.js';
import type { SyncConfig } from '../../../src/core/config/load.js';
import { SyncStore } from '../../../src/core/store/sync-store.js';
import type { Item, Table } from '../../../src/core/store/table.js';
import { zeroCounts } from '../../../src/core/sync/report.js';
import { readRunHeader } from '../../../src/report/data.js';

const zero = zeroCounts();
const summary = {
  runId: 'run-b',
  status: 'SUCCEEDED',
  totals: { ...zero, extracted: 3, created: 2, rejected: 1 },
  companies: {
    ACME: {
      status: 'completed',
      entities: { terceros: { ...zero, extracted: 3, created: 2, rejected: 1, status: 'completed' } },
    },
  },
};

/** An in-memory stand-in for the one table, behind the same get/query the store uses. */
function fakeStore(extra: Item[] = []): SyncStore {
  const items: Item[] = [
    ...extra,
    { pk: { S: 'RUNS' }, sk: { S: '2026-11-29T10:00:00.000Z#run-a' }, runId: { S: 'run-a' } },
    { pk: { S: 'RUNS' }, sk: { S: '2026-11-29T11:00:00.000Z#run-b' }, runId: { S: 'run-b' } },
    {
      pk: { S: 'RUN#run-a' },
      sk: { S: 'RUN' },
      status: { S: 'RUNNING' },
      input: { S: '{}' },
      startedAt: { S: '2026-11-29T10:00:00.000Z' },
      summary: { S: '{"not":"a summary"}' },
    },
    {
      pk: { S: 'RUN#run-b' },
      sk: { S: 'RUN' },
      status: { S: 'SUCCEEDED' },
      input: { S: '{"mode":"full"}' },
      startedAt: { S: '2026-11-29T11:00:00.000Z' },
      finishedAt: { S: '2026-11-29T11:01:15.500Z' },
      summary: { S: JSON.stringify(summary) },
      apiCalls: { S: '{"apiCalls":3,"dataCalls":2,"authCalls":1}' },
    },
    {
      pk: { S: 'FAIL#run-b' },
      sk: { S: 'ACME#terceros#T-1' },
      bucket: { S: 'rejected' },
      code: { S: 'REQUIRED_FIELD_MISSING' },
      message: { S: 'Name: required value missing' },
      fields: { S: 'Name' },
    },
    // The snapshot of ACME terceros: a base of one chunk (T-1 synced) and a journal item (T-2 failed).
    {
      pk: { S: 'SNAP#ACME#terceros' },
      sk: { S: 'HEAD' },
      version: { S: 'v1' },
      chunks: { N: '1' },
      entries: { N: '1' },
      firsts: { S: '["t-1"]' },
      journalUpTo: { S: '' },
    },
    {
      pk: { S: 'SNAP#ACME#terceros' },
      sk: { S: 'C#v1#000000' },
      data: { B: gzipSync(JSON.stringify([['t-1', 'a'.repeat(22), 's', '001000000000001AAA', 'T-1']])) },
    },
    {
      pk: { S: 'SNAP#ACME#terceros' },
      sk: { S: 'J#000000000001000#run-b#x' },
      data: { B: gzipSync(JSON.stringify([['t-2', 'b'.repeat(22), 'f', '', 'T-2', 'UNABLE_TO_LOCK_ROW']])) },
    },
  ];
  const table = {
    async get(pk: string, sk: string) {
      return items.find((i) => i.pk?.S === pk && i.sk?.S === sk);
    },
    async batchGet(keys: Array<{ pk: string; sk: string }>) {
      return items.filter((i) => keys.some((k) => i.pk?.S === k.pk && i.sk?.S === k.sk));
    },
    async query(pk: string, prefix?: string, extra: { ScanIndexForward?: boolean } = {}) {
      const found = items.filter(
        (i) => i.pk?.S === pk && (prefix === undefined || i.sk?.S?.startsWith(prefix)),
      );
      found.sort((a, b) => String(a.sk?.S).localeCompare(String(b.sk?.S)));
      return extra.ScanIndexForward === false ? found.reverse() : found;
    },
  };
  return new SyncStore(table as unknown as Table);
}

function capture(): Output & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (t: string) => {
      io.out += t;
    },
    stderr: (t: string) => {
      io.err += t;
    },
  };
  return io;
}

describe('reading runs back', () => {
  it('parses the run record: duration from its times, a summary only when it has the summary shape', async () => {
    const store = fakeStore();
    const b = await readRunHeader(store, 'run-b');
    expect(b).toMatchObject({
      runId: 'run-b',
      status: 'SUCCEEDED',
      input: { mode: 'full' },
      seconds: 75.5,
      apiCalls: { apiCalls: 3 },
    });
    expect(b?.summary?.totals.created).toBe(2);
    const a = await readRunHeader(store, 'run-a');
    expect(a).toEqual({
      runId: 'run-a',
      status: 'RUNNING',
      input: {},
      startedAt: '2026-11-29T10:00:00.000Z',
    });
    expect(await readRunHeader(store, 'run-x')).toBeUndefined();
  });

  it('runs: newest first, a dash for a run without summary; --json as data', async () => {
    const io = capture();
    expect(await runsCommand(fakeStore(), {}, io)).toBe(0);
    const lines = io.out.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(
      /^run-b\s+SUCCEEDED\s+2026-11-29T11:00:00.000Z\s+1 min 16 s\s+3\s+2\s+0\s+0\s+1\s+0\s+0\s+0\s+0$/,
    );
    expect(lines[3]).toMatch(/^run-a\s+RUNNING\s+2026-11-29T10:00:00.000Z\s+unknown(\s+-){9}$/);
    const json = capture();
    await runsCommand(fakeStore(), { json: true }, json);
    expect(
      JSON.parse(json.out).map((r: { runId: string; seconds: number | null }) => [r.runId, r.seconds]),
    ).toEqual([
      ['run-b', 75.5],
      ['run-a', null],
    ]);
    expect(formatRunList([])).toBe('No runs recorded yet: run `npm start` first.');
  });

  it('show: the latest run for people, raw JSON with --json, a clear message for an unknown run', async () => {
    const io = capture();
    expect(await showCommand(fakeStore(), {}, io)).toBe(0);
    expect(io.out).toContain('Run run-b: SUCCEEDED\n  started   2026-11-29T11:00:00.000Z');
    expect(io.out).toMatch(/ACME\s+terceros\s+completed\s+3\s+2\s+0\s+0\s+1\s+0\s+0/);
    expect(io.out).toContain('Rejected and failed rows: 1\n       1  rejected REQUIRED_FIELD_MISSING');
    expect(io.out).toContain(
      'rejected ACME terceros T-1: REQUIRED_FIELD_MISSING Name: required value missing',
    );
    const json = capture();
    await showCommand(fakeStore(), { runId: 'run-b', json: true }, json);
    expect(JSON.parse(json.out)).toMatchObject({
      runId: 'run-b',
      summary,
      failures: [{ key: 'T-1', fields: ['Name'] }],
    });
    const missing = capture();
    expect(await showCommand(fakeStore(), { runId: 'run-x' }, missing)).toBe(1);
    expect(missing.err).toBe('No run run-x in the store (see `npm run sf-sync -- runs`).\n');
  });

  it('report and failures refuse an unknown run', async () => {
    const io = capture();
    expect(await reportCommand(fakeStore(), { runId: 'run-x', dataDir: '/nonexistent' }, io)).toBe(1);
    expect(
      await failuresCommand(fakeStore(), {} as SyncConfig, { runId: 'run-x', csv: '/nonexistent/x.csv' }, io),
    ).toBe(1);
    expect(io.err).toBe('No run run-x in the store (see `npm run sf-sync -- runs`).\n'.repeat(2));
  });
});

describe('state: what the sync believes Salesforce holds', () => {
  const config = {
    companies: ['ACME'],
    entities: [{ name: 'terceros' }],
  } as unknown as SyncConfig;

  it("lists an entity's acknowledged records in key order, with status, Salesforce Id and external ID", async () => {
    const io = capture();
    expect(await stateCommand(fakeStore(), config, { company: 'ACME', entity: 'terceros' }, io)).toBe(0);
    const lines = io.out.trimEnd().split('\n');
    expect(lines[0]?.split(/\s{2,}/)).toEqual([
      'key',
      'status',
      'Salesforce Id',
      'external ID',
      'content hash',
      'code',
    ]);
    expect(lines.slice(2).map((l) => l.split(/\s{2,}/))).toEqual([
      ['T-1', 'synced', '001000000000001AAA', 'ACME-T-1', 'aaaaaaaaaaaa'],
      ['T-2', 'failed', 'ACME-T-2', 'bbbbbbbbbbbb', 'UNABLE_TO_LOCK_ROW'],
    ]);
  });

  it('looks up one key (--json as data), and says plainly when Salesforce never acknowledged it', async () => {
    const io = capture();
    expect(
      await stateCommand(
        fakeStore(),
        config,
        { company: 'ACME', entity: 'terceros', key: 'T-1', json: true },
        io,
      ),
    ).toBe(0);
    expect(JSON.parse(io.out)).toEqual({
      company: 'ACME',
      entity: 'terceros',
      records: [
        {
          key: 'T-1',
          status: 'synced',
          sfId: '001000000000001AAA',
          externalId: 'ACME-T-1',
          hash: 'a'.repeat(22),
          code: '',
        },
      ],
    });
    const missing = capture();
    expect(
      await stateCommand(fakeStore(), config, { company: 'ACME', entity: 'terceros', key: 'T-9' }, missing),
    ).toBe(1);
    expect(missing.out).toBe(
      'sf-sync holds nothing for key "T-9" of ACME terceros: it was never sent (new, or not extracted yet).\n',
    );
  });

  it('says which run holds the entity now (its lease), on stderr and in the JSON', async () => {
    const until = Date.now() + 3_600_000;
    const lease = {
      pk: { S: 'SNAP#ACME#terceros' },
      sk: { S: 'LEASE' },
      holder: { S: 'run-c' },
      until: { N: String(until) },
    };
    const io = capture();
    expect(await stateCommand(fakeStore([lease]), config, { company: 'ACME', entity: 'terceros' }, io)).toBe(
      0,
    );
    expect(io.err).toBe(
      `Run run-c is syncing ACME terceros (its lease runs until ${new Date(until).toISOString()}; an execution that was stopped lets it run out).\n`,
    );
    const json = capture();
    await stateCommand(fakeStore([lease]), config, { company: 'ACME', entity: 'terceros', json: true }, json);
    expect(JSON.parse(json.out).lease).toEqual({ holder: 'run-c', until: new Date(until).toISOString() });
    // An expired lease is nobody's.
    const expired = { ...lease, until: { N: String(Date.now() - 1) } };
    const quiet = capture();
    await stateCommand(fakeStore([expired]), config, { company: 'ACME', entity: 'terceros' }, quiet);
    expect(quiet.err).toBe('');
  });

  it('refuses a company or entity the config does not know, escaping invisible characters', async () => {
    const io = capture();
    expect(await stateCommand(fakeStore(), config, { company: 'ACME\u200B', entity: 'terceros' }, io)).toBe(
      2,
    );
    expect(io.err).toBe('sf-sync: --company "ACME\\u200B": not in the config (known: ACME)\n');
  });
});
