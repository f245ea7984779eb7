import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { BaselineError, errorCode, runBaseline } from '../../../bench/baseline.js';
import { pairsOverGuard, writeDeletesConfig } from '../../../bench/lib/deletes.js';
import { failedByCode } from '../../../bench/lib/failures.js';
import { definitionHasBulkPath } from '../../../bench/lib/initial.js';
import { jwtLogin, type LimitGroup, runLimit } from '../../../bench/lib/limit.js';
import { BenchUsageError, parseBenchArgs } from '../../../bench/lib/options.js';
import { areaOf, summariseProfile } from '../../../bench/lib/profile-summary.js';
import {
  bucketsAddUp,
  computeRatios,
  deltaBounds,
  evaluateTargets,
  failureLines,
  type InitialFigures,
  initialLines,
  initialTargets,
  invocationLines,
  invocationsOf,
  type PhaseFigures,
  pairBounds,
  phaseTable,
  unchangedDynamoAllowed,
  unchangedTimeShareAllowed,
} from '../../../bench/lib/report.js';
import { sizesForRows, syncConcurrency, totalRows } from '../../../bench/lib/sizes.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { mapRow } from '../../../src/core/mapping.js';
import { startSalesforceEmulator } from '../../../src/emulators/salesforce/index.js';
import { terceroRow } from '../../../src/emulators/sqlserver/index.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';

const SIZES = {
  ITALCOL: { terceros: 40, sucursales: 50, acuerdos: 20 },
  CASABLANCA: { terceros: 33, sucursales: 20, acuerdos: 10 },
  SANTA_REYES: { terceros: 33, sucursales: 15, acuerdos: 8 },
};
const ROWS = 40 + 50 + 20 + 33 + 20 + 10 + 33 + 15 + 8;

describe('bench command line', () => {
  test('defaults, --quick and explicit flags', () => {
    const defaults = parseBenchArgs([]);
    expect(defaults).toMatchObject({
      rows: 10_000,
      latencyMs: 20,
      quick: false,
      skipMillion: false,
      skipInitial: false,
      initialRows: 1_000_000,
    });
    expect(defaults.concurrency).toBeUndefined();
    const quick = parseBenchArgs(['--quick']);
    expect(quick).toMatchObject({
      rows: 400,
      quick: true,
      millionRows: 50_000,
      initialRows: 12_000,
      dataDir: path.join(os.tmpdir(), 'sf-sync-bench-quick'),
    });
    expect(parseBenchArgs(['--skip-initial', '--initial-rows', '20000'])).toMatchObject({
      skipInitial: true,
      initialRows: 20_000,
    });
    expect(parseBenchArgs(['--skip-baseline', '--cpu-prof'])).toMatchObject({
      skipBaseline: true,
      cpuProf: true,
      keepData: true,
    });
    const set = parseBenchArgs([
      '--rows',
      '2000',
      '--latency',
      '0',
      '--concurrency',
      '8',
      '--skip-million',
      '--out',
      'x.json',
    ]);
    expect(set).toMatchObject({ rows: 2000, latencyMs: 0, concurrency: 8, skipMillion: true, out: 'x.json' });
  });

  test.each([
    [['--rows', 'many'], /--rows must be a whole number from 60/],
    [['--rows', '10'], /--rows must be a whole number/],
    [['--latency=-5'], /--latency must be milliseconds from 0 to 10000, got "-5"/],
    [['--concurrency', '0'], /--concurrency must be a whole number from 1 to 256/],
    [['--initial-rows', '999'], /--initial-rows must be a whole number from 1000 to 5,000,000, got "999"/],
    [['--fast'], /Unknown option '--fast'.*--help/],
  ])('refuses %j naming the flag and what it accepts', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(BenchUsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});

describe('bench sizes and targets', () => {
  test('rows are split 4:2:1 over companies and 2:3:1 over views, summing to the total', () => {
    const sizes = sizesForRows(10_000);
    expect(Math.abs(totalRows(sizes) - 10_000)).toBeLessThanOrEqual(3);
    expect(sizes.ITALCOL.terceros).toBe(1905);
    expect(sizes.ITALCOL.sucursales).toBeGreaterThan(sizes.ITALCOL.terceros);
    expect(sizes.CASABLANCA.terceros * 2).toBeCloseTo(sizes.ITALCOL.terceros, -1);
  });

  test('the limit concurrency default is read from the config and the state machine', () => {
    const c = syncConcurrency();
    expect(c.maxInFlight).toBeGreaterThan(0);
    expect(c.pagesMapConcurrency).toBeGreaterThan(0);
    expect(c.product).toBe(c.maxInFlight * c.pagesMapConcurrency);
  });

  const phase = (over: Partial<PhaseFigures>): PhaseFigures => ({
    records: 1000,
    sent: 1000,
    seconds: 1,
    recordsPerSecond: 1000,
    salesforceCalls: 0,
    salesforceDataCalls: 0,
    salesforceCallsByKind: {},
    lockConflicts: 0,
    dynamodbCalls: 0,
    peakRssMb: 100,
    startRssMb: 80,
    peakHeapUsedMb: 20,
    cpuSeconds: 1,
    emulatorsCpuSeconds: 1,
    dynamoCpuSeconds: 1,
    ...over,
  });

  const pass = (over: Partial<Record<string, PhaseFigures>> = {}) => {
    const phases = {
      baseline: phase({ seconds: 101, recordsPerSecond: 1000 / 101, salesforceCalls: 1009 }),
      full: phase({ seconds: 1, recordsPerSecond: 1000, salesforceCalls: 6, salesforceDataCalls: 5 }),
      unchanged: phase({
        seconds: 0.1,
        sent: 0,
        dynamodbCalls: 20,
        historyEvents: 208,
        childExecutions: 0,
        invocations: invocationsOf({ plan: 1, authenticate: 1, extract: 1, report: 1 }),
      }),
      delta: phase({ sent: 10, salesforceCalls: 1, salesforceDataCalls: 1 }),
      deletes: phase({ sent: 0, salesforceCalls: 2, salesforceDataCalls: 2, deleted: 250 }),
      limit: phase({ seconds: 1.9, recordsPerSecond: 1000 / 1.9 }),
      ...over,
    } as Record<'baseline' | 'full' | 'unchanged' | 'delta' | 'deletes' | 'limit', PhaseFigures>;
    return { ...phases, ratios: computeRatios(phases), rows: 1000, pairs: 1 };
  };
  const deltaPair = (requests: number, transforms: number) =>
    deltaBounds(
      [{ company: 'ITALCOL', entity: 'terceros', updated: 7, inserted: 3 }],
      { 'ITALCOL/terceros': requests },
      200,
      {
        transforms: { 'ITALCOL/terceros': transforms },
        pageSizeOf: () => 1000,
      },
    );
  const deletePair = (requests: number) =>
    pairBounds([{ company: 'ITALCOL', entity: 'terceros', rows: 250 }], {
      requests: { 'ITALCOL/terceros': requests },
    });
  const fullPair = (requests: number) =>
    pairBounds([{ company: 'ITALCOL', entity: 'terceros', rows: 1000 }], {
      requests: { 'ITALCOL/terceros': requests },
    });

  test('targets pass on the stated thresholds', () => {
    const p = pass();
    expect(p.ratios.fullSpeedupOverBaseline).toBe(101);
    expect(deltaPair(1, 1)).toEqual([
      {
        company: 'ITALCOL',
        entity: 'terceros',
        changedRows: 10,
        allowedRequests: 1,
        requests: 1,
        allowedTransforms: 1,
        transforms: 1,
      },
    ]);
    const targets = evaluateTargets({
      ...p,
      fullBounds: fullPair(5),
      deltaBounds: deltaPair(1, 1),
      deleteBounds: deletePair(2),
      reference: { rows: 100_000, unchangedHistoryEvents: 208, file: 'bench/results/rows-100000.json' },
      extractPeakRssMb: 120,
      extractRows: 1e6,
    });
    expect(Object.fromEntries(targets.map((t) => [t.name, t.pass]))).toEqual({
      'full vs baseline: speed': true,
      'full: Salesforce data calls': true,
      'unchanged: Salesforce data calls': true,
      'unchanged: Transform and Upsert invocations': true,
      'unchanged: DynamoDB calls': true,
      'unchanged: time': true,
      'unchanged: history events independent of view size': true,
      'delta: Salesforce data calls': true,
      'delta: Transform invocations': true,
      'deletes: Salesforce data calls': true,
      'full vs limit: throughput': true,
      'extract of 1,000,000 rows: peak memory': true,
    });
    expect(targets.find((t) => t.name === 'unchanged: DynamoDB calls')?.measured).toBe(
      '20, allowed 23 (1,000 rows, 1 company/entity pairs)',
    );
    // an entity that went by Bulk API 2.0 stays under the Collections limit
    const bulk = evaluateTargets({ ...p, fullBounds: fullPair(1), deltaBounds: deltaPair(1, 1) });
    expect(bulk.find((t) => t.name === 'full: Salesforce data calls')).toMatchObject({
      pass: true,
      measured: '5 calls, limit 5; below (Bulk API 2.0 or fewer): ITALCOL/terceros',
    });
  });

  test('targets miss one step past the thresholds, and say what they saw', () => {
    const p = pass({
      baseline: phase({ seconds: 99, recordsPerSecond: 1000 / 99 }),
      unchanged: phase({
        seconds: 0.11,
        salesforceDataCalls: 1,
        dynamodbCalls: 24,
        historyEvents: 209,
        childExecutions: 0,
        invocations: invocationsOf({ extract: 1, transform: 1 }),
      }),
      limit: phase({ seconds: 0.49, recordsPerSecond: 1000 / 0.49 }),
    });
    const targets = evaluateTargets({
      ...p,
      fullBounds: fullPair(6),
      deltaBounds: deltaPair(2, 2),
      deleteBounds: deletePair(1),
      reference: { rows: 100_000, unchangedHistoryEvents: 208, file: 'ref.json' },
      extractPeakRssMb: 300,
      extractRows: 1e6,
    });
    expect(targets.every((t) => t.pass === false)).toBe(true);
    const measured = Object.fromEntries(targets.map((t) => [t.name, t.measured]));
    expect(measured['delta: Salesforce data calls']).toBe('1 calls, wanted 1; off: ITALCOL/terceros 2!=1');
    expect(measured['delta: Transform invocations']).toBe('0, allowed 1; over: ITALCOL/terceros 2>1');
    expect(measured['unchanged: Transform and Upsert invocations']).toBe('1 and 0');
    expect(measured['unchanged: history events independent of view size']).toBe(
      '209 vs 208 (ref.json); 0 child executions',
    );
  });

  test('without a baseline or a run at another size, those targets are SKIP; unobserved pairs miss', () => {
    const targets = evaluateTargets({
      ...pass(),
      baseline: undefined,
      deltaBounds: deltaBounds([], undefined),
    });
    const byName = Object.fromEntries(targets.map((t) => [t.name, t]));
    expect(byName['full vs baseline: speed']?.pass).toBeNull();
    expect(byName['unchanged: history events independent of view size']?.pass).toBeNull();
    const unobserved = deltaBounds([{ company: 'A', entity: 'x', updated: 1, inserted: 0 }], undefined);
    const t = evaluateTargets({ ...pass(), deltaBounds: unobserved });
    expect(t.find((x) => x.name === 'delta: Salesforce data calls')).toMatchObject({
      pass: false,
      measured: '1 calls, wanted 1; per company/entity not observed',
    });
  });

  test('the unchanged run may take 10% of the full run up to 10,000 rows, 5% from 100,000', () => {
    expect(unchangedTimeShareAllowed(400)).toBe(0.1);
    expect(unchangedTimeShareAllowed(10_000)).toBe(0.1);
    expect(unchangedTimeShareAllowed(55_000)).toBe(0.075);
    expect(unchangedTimeShareAllowed(100_000)).toBe(0.05);
    expect(unchangedDynamoAllowed(100_000, 9)).toBe(50 + 108 + 10);
  });

  test('invocations list every function, 0 when not invoked; lines per phase', () => {
    expect(invocationsOf({ extract: 9 })).toEqual({
      plan: 0,
      authenticate: 0,
      extract: 9,
      transform: 0,
      upsert: 0,
      report: 0,
    });
    expect(
      invocationLines([
        ['limit', phase({})],
        ['full', phase({ invocations: invocationsOf({ extract: 9, transform: 10 }), childExecutions: 9 })],
      ]),
    ).toEqual([
      '  full       plan 0, authenticate 0, extract 9, transform 10, upsert 0, report 0; 9 child executions',
    ]);
  });

  test('the initial load: targets on calls, buckets, memory per function and history', () => {
    const initial: InitialFigures = {
      view: 'ITALCOL terceros_view',
      ran: true,
      rows: 1_000_000,
      records: 1_000_000,
      seconds: 100,
      status: 'SUCCEEDED',
      salesforceCalls: 60,
      salesforceCallsByKind: { 'oauth.token': 1, 'bulk.ingest.create': 5, 'bulk.ingest.upload': 54 },
      historyEvents: 2000,
      maxChildHistoryEvents: 25_000,
      childExecutions: 1000,
      invocations: invocationsOf({}),
      peakRssMbByFunction: { extract: 511.9, transform: 150 },
      buckets: { extracted: 1_000_000, created: 999_990, rejected: 10, left: 0 },
      accounted: bucketsAddUp({ extracted: 1_000_000, created: 999_990, rejected: 10 }),
      bulkPathRan: true,
      note: '',
    };
    expect(initialTargets(initial).map((t) => t.pass)).toEqual([true, true, true, true, true, true]);
    expect(initialTargets(initial)[0]?.measured).toBe('59 Bulk API 2.0 requests, 5 job(s)');
    const missed = initialTargets({
      ...initial,
      salesforceCalls: 61,
      historyEvents: 2001,
      peakRssMbByFunction: { extract: 512 },
      accounted: bucketsAddUp({ extracted: 1_000_000, created: 999_989, rejected: 10 }),
      buckets: { extracted: 1_000_000, created: 999_989, failed: 1, rejected: 10 },
      entityError: 'BulkJobError: job 750X aborted',
      bulkPathRan: false,
      note: 'no Bulk path in the definition',
    });
    expect(missed.map((t) => t.pass)).toEqual([false, false, false, false, false, false]);
    expect(missed.find((t) => t.name === 'initial: every record loaded')?.measured).toBe(
      'created 999,989, failed 1: BulkJobError: job 750X aborted',
    );
    expect(missed[0]?.measured).toBe('Bulk path did NOT run: no Bulk path in the definition');
    // not run at all (full size, no Bulk path in the definition): that is the finding, the rest is SKIP
    const notRun = initialTargets({
      ...initial,
      ran: false,
      bulkPathRan: false,
      note: 'not run: no Bulk path',
    });
    expect(notRun.map((t) => t.pass)).toEqual([false, null, null, null, null, null]);
    expect(initialLines({ ...initial, ran: false, note: 'not run: no Bulk path' })).toEqual([
      'initial: 1,000,000 rows of ITALCOL terceros_view: not run: no Bulk path',
    ]);
  });

  test("the initial phase looks for a Bulk path in the definition: a bulk Task or a Choice on Extract's bulk flag", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-bench-asl-'));
    const asl = (states: object) => {
      const file = path.join(dir, `${Math.random().toString(36).slice(2)}.asl.yml`);
      writeFileSync(file, JSON.stringify({ StartAt: 'A', States: states }));
      return file;
    };
    try {
      const nested = (inner: object) => ({
        M: { Type: 'Map', ItemProcessor: { StartAt: 'X', States: inner }, End: true },
      });
      expect(
        definitionHasBulkPath(
          asl(nested({ X: { Type: 'Task', Parameters: { operation: 'remove' }, End: true } })),
        ),
      ).toBe(false);
      expect(
        definitionHasBulkPath(
          asl(nested({ X: { Type: 'Task', Parameters: { operation: 'bulkStart' }, End: true } })),
        ),
      ).toBe(true);
      expect(
        definitionHasBulkPath(
          asl({
            C: {
              Type: 'Choice',
              Choices: [{ And: [{ Variable: '$.extract.bulk', BooleanEquals: true }], Next: 'B' }],
            },
          }),
        ),
      ).toBe(true);
      expect(typeof definitionHasBulkPath()).toBe('boolean');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the deletes phase: a config copy deleting everywhere; tiny views confirm the guard', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-bench-deletes-'));
    try {
      const file = writeDeletesConfig('config/sync.config.json', dir);
      const copy = loadConfig(file);
      expect(copy.entities.map((e) => [e.name, e.onDelete])).toEqual([
        ['terceros', 'delete'],
        ['sucursales', 'delete'],
        ['acuerdos', 'delete'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(
      pairsOverGuard([
        { company: 'A', entity: 'x', viewRows: 238, removed: 3 },
        { company: 'A', entity: 'y', viewRows: 10, removed: 1 },
        { company: 'A', entity: 'z', viewRows: 12, removed: 1 },
      ]),
    ).toEqual(['A/y']);
  });

  test('the phase table shows lock conflicts; failed records are listed per status code', () => {
    const text = phaseTable([
      ['baseline', phase({ lockConflicts: 0 })],
      ['limit', phase({ lockConflicts: 1234 })],
      ['full', phase({ historyEvents: 1361, maxChildHistoryEvents: 11 })],
    ]);
    const [header, , baseline, limit, full] = text.split('\n');
    expect(header).toMatch(
      /SF calls by kind\s+lock conflicts\s+DynamoDB\s+peak RSS MB\s+CPU s own.*\s+history events \(largest child\)$/,
    );
    expect(baseline).toMatch(/\s0\s+0\s+100\.0\s+1\.0 \/ 1\.0 \/ 1\.0\s+-$/);
    expect(limit).toMatch(/\s1,234\s+0\s+100\.0\s+1\.0 \/ 1\.0 \/ 1\.0\s+-$/);
    expect(full).toMatch(/\s1\.0 \/ 1\.0 \/ 1\.0\s+1,361 \(11\)$/);
    expect(
      failureLines([
        ['full', phase({})],
        ['baseline', phase({ failuresByCode: {} })],
        ['limit', phase({ failuresByCode: { UNABLE_TO_LOCK_ROW: 1200, DUPLICATES_DETECTED: 3 } })],
      ]),
    ).toEqual(['  limit      DUPLICATES_DETECTED 3, UNABLE_TO_LOCK_ROW 1,200']);
  });

  test.each([
    [[{ errorCode: 'FIELD_INTEGRITY_EXCEPTION', message: 'x' }], 'FIELD_INTEGRITY_EXCEPTION'],
    [
      '[{"duplicateResut":{},"errorCode":"DUPLICATES_DETECTED","message":"Use one of these records?"}]',
      'DUPLICATES_DETECTED',
    ],
    ['<html>bad gateway</html>', 'UNPARSEABLE'],
    [{ error: 'invalid_grant' }, 'UNKNOWN'],
  ])('the baseline names a failed call by its errorCode: %j', (body, code) => {
    expect(errorCode(body)).toBe(code);
  });

  test("a sync run's stored failures are counted by code, the mapping's rejections left out", () => {
    expect(
      failedByCode([
        { bucket: 'failed', code: 'UNABLE_TO_LOCK_ROW' },
        { bucket: 'rejected', code: 'STRING_TOO_LONG' },
        { bucket: 'failed', code: 'DUPLICATES_DETECTED' },
        { bucket: 'failed', code: 'UNABLE_TO_LOCK_ROW' },
        { bucket: 'failed', code: '' },
      ]),
    ).toEqual({ UNABLE_TO_LOCK_ROW: 2, DUPLICATES_DETECTED: 1, UNKNOWN: 1 });
  });
});

describe('the baseline (the seed one record at a time) and the limit loop, on the emulators', () => {
  let dir: string;
  let started: { env: LocalEnvironment; dynamo: DynamoDBClient } | undefined;
  const world = () => {
    if (!started) throw new Error('the emulators did not start');
    return started;
  };
  const config = loadConfig('config/sync.config.json');

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-bench-'));
    // A strict org's data rules; the password flow allowed, as in the seed's old org (bench/run.ts
    // starts the baseline's emulator so too). The limit loop authenticates with JWT, as the sync.
    const env = await startLocalEnvironment({
      config,
      dataDir: dir,
      sizes: SIZES,
      salesforceOptions: { allowPasswordFlow: true },
    });
    const dynamo = new DynamoDBClient({
      endpoint: env.env.DYNAMODB_ENDPOINT,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    started = { env, dynamo };
  });

  afterAll(async () => {
    started?.dynamo.destroy();
    await started?.env.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const options = () => {
    const { env } = world();
    const sf = env.salesforce;
    if (!sf) throw new Error('no Salesforce emulator');
    return {
      config,
      salesforce: { loginUrl: sf.loginUrl, ...sf.credentials, apiVersion: '62.0' },
      dynamodb: {
        endpoint: env.env.DYNAMODB_ENDPOINT,
        region: 'us-east-1',
        tableName: 'bench-baseline-test',
      },
    };
  };

  test('first run POSTs every row it can map, a second run PATCHes them, one call per record', async () => {
    const { env, dynamo } = world();
    const sf = env.salesforce;
    if (!sf) throw new Error('no Salesforce emulator');
    sf.resetCounters();

    const first = await runBaseline(options());

    expect(first.records).toBe(ROWS);
    expect(first.created + first.updated + first.rejected + first.failed).toBe(ROWS);
    expect(first.created).toBeGreaterThan(ROWS * 0.7);
    expect(first.rejected).toBeGreaterThan(0); // the generator's dirty rows
    // the duplicate key (one per company), and ITALCOL's 'L-WS'/'L-WS ' (equal once trimmed): the second
    // row finds the first one's mapping and PATCHes it
    expect(first.updated).toBe(4);
    // ITALCOL's case variants ('ab-1'/'AB-1', 'muñoz-1'/'MUÑOZ-1'): the seed compares keys exactly, so the
    // second spelling is POSTed and Salesforce's case-insensitive external ID refuses it
    expect(first.failuresByCode).toEqual({ DUPLICATE_VALUE: 2 });
    // one auth per company and entity, one data call per record sent: counted alike by client and emulator
    expect(first.salesforce.authCalls).toBe(9);
    expect(first.salesforce.dataCalls).toBe(first.created + first.updated + first.failed);
    expect(sf.counters().byEndpoint).toEqual(first.salesforce.byKind);
    expect(first.dynamodbCalls).toBeGreaterThan(2 * first.created);

    const items = await dynamo.send(new ScanCommand({ TableName: 'bench-baseline-test' }));
    expect(items.Items?.length).toBe(first.created);
    expect(items.Items?.every((i) => i.pk?.S?.startsWith('BASELINE#') && i.sfId?.S)).toBe(true);
    // sf-sync's table holds none of the baseline's mappings
    const syncMappings = await dynamo.send(
      new QueryCommand({
        TableName: env.env.TABLE_NAME,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: 'MAP#ITALCOL#terceros' } },
      }),
    );
    expect(syncMappings.Count).toBe(0);

    sf.resetCounters();
    const second = await runBaseline(options());
    expect(second.created).toBe(0);
    expect(second.updated).toBe(first.created + first.updated);
    // rows Salesforce refused have no mapping: they are POSTed (and refused) again
    const calls = sf.counters().byEndpoint;
    expect(calls['sobject.update']).toBe(second.updated);
    expect(calls['sobject.create'] ?? 0).toBe(second.failed);
    expect(second.failed).toBe(first.failed);
    // against the strict org: the mapped payloads (Type, state and country codes) are all accepted,
    // and one record at a time never waits on a parent's row lock; only the case variants fail
    expect(first.failed).toBe(2);
    expect(second.failuresByCode).toEqual({ DUPLICATE_VALUE: 2 });
    expect(sf.counters().lockConflicts).toBe(0);

    // what the org holds: the shipped config's translation (restricted Type, state code + country)
    const row = terceroRow('ITALCOL', 0);
    const mapped = mapRow(row, config.entity('terceros'), 'ITALCOL', () => 'ti_external_id__c');
    if (!mapped.ok) throw new Error('tercero 0 is a clean row');
    expect(mapped.payload).toMatchObject({ BillingCountryCode: 'CO' });
    expect(['Customer - Direct', 'Channel Partner / Reseller', 'Other']).toContain(mapped.payload.Type);
    const session = await jwtLogin({ loginUrl: sf.loginUrl, ...sf.credentials });
    const soql = `SELECT Type, BillingCountryCode, BillingStateCode FROM Account WHERE ti_external_id__c = 'ITALCOL-${row.nit}'`;
    const found = await fetch(
      `${session.instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent(soql)}`,
      { headers: { authorization: `Bearer ${session.accessToken}` } },
    );
    const body = (await found.json()) as { records: Array<Record<string, unknown>> };
    expect(body.records.map(({ attributes: _a, ...fields }) => fields)).toEqual([
      {
        Type: mapped.payload.Type,
        BillingCountryCode: 'CO',
        BillingStateCode: mapped.payload.BillingStateCode ?? null,
      },
    ]);
  });

  test("a new org (password flow off) refuses the seed's login: the baseline stops naming the grant", async () => {
    const strict = await startSalesforceEmulator({
      port: 0,
      dataDir: path.join(dir, 'strict-sf'),
      reset: true,
    });
    try {
      const run = runBaseline({
        ...options(),
        salesforce: { loginUrl: strict.loginUrl, ...strict.credentials, apiVersion: '62.0' },
        companies: ['SANTA_REYES'],
      });
      await expect(run).rejects.toThrow(BaselineError);
      await expect(run).rejects.toThrow(
        'OAuth password grant answered 400: {"error":"invalid_grant","error_description":"authentication failure"}',
      );
      expect(strict.counters().byEndpoint).toEqual({ 'oauth.token': 1 });
    } finally {
      await strict.stop();
    }
  });

  test("the baseline writes with the entity's duplicateRules header and counts DUPLICATES_DETECTED", async () => {
    const org = await startSalesforceEmulator({
      port: 0,
      dataDir: path.join(dir, 'twin-sf'),
      reset: true,
      allowPasswordFlow: true,
    });
    try {
      // An Account another system holds with the name and city of ITALCOL's tercero 10.
      const row = terceroRow('ITALCOL', 10);
      const session = await jwtLogin({ loginUrl: org.loginUrl, ...org.credentials });
      const twin = await fetch(
        `${session.instanceUrl}/services/data/v62.0/sobjects/Account/ti_external_id__c/OTRO-ERP-1`,
        {
          method: 'PATCH',
          headers: { authorization: `Bearer ${session.accessToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ Name: row.razon_social, BillingCity: row.ciudad, ti_activo__c: true }),
        },
      );
      expect(twin.status).toBe(201);
      const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
      raw.entities.terceros.duplicateRules = 'enforce';
      const enforcingFile = path.join(dir, 'enforcing.config.json');
      writeFileSync(enforcingFile, JSON.stringify(raw));
      const run = (c: typeof config) =>
        runBaseline({
          ...options(),
          config: c,
          salesforce: { loginUrl: org.loginUrl, ...org.credentials, apiVersion: '62.0' },
          dynamodb: { ...options().dynamodb, tableName: 'bench-baseline-twin' },
          companies: ['ITALCOL'],
        });

      const enforced = await run(loadConfig(enforcingFile));
      // (plus the two case-variant sucursal keys the seed sends twice: DUPLICATE_VALUE, as in the first test)
      expect(enforced.failed).toBe(3);
      expect(enforced.failuresByCode).toEqual({ DUPLICATES_DETECTED: 1, DUPLICATE_VALUE: 2 });
      expect(enforced.errors).toHaveLength(3);
      expect(enforced.errors[0]).toMatch(
        new RegExp(`^ITALCOL terceros ${row.nit}: 400 DUPLICATES_DETECTED \\[\\{"duplicateResut":`),
      );

      // the shipped config (allowSave): the header lets the same row through, beside its twin
      const allowed = await run(config);
      expect(allowed.failuresByCode).toEqual({ DUPLICATE_VALUE: 2 });
      expect(allowed.entities.find((e) => e.entity === 'terceros')?.created).toBe(1);
    } finally {
      await org.stop();
    }
  });

  test('the limit loop sends 200 records a request, parents first, and counts what Salesforce answered', async () => {
    const sf = world().env.salesforce;
    if (!sf) throw new Error('no Salesforce emulator');
    const accounts = Array.from({ length: 450 }, (_, i) => ({
      Name: `Limit ${i}`,
      ti_external_id__c: `LIMIT-${i}`,
      ti_activo__c: true,
    }));
    const stores = Array.from({ length: 10 }, (_, i) => ({
      Name: `Store ${i}`,
      Account: { ti_external_id__c: `LIMIT-${i}` },
      ti_external_id__c: `LIMIT-S-${i}`,
      ti_activo__c: true,
    }));
    const groups: LimitGroup[] = [
      {
        company: 'X',
        entity: 'sucursales',
        object: 'RetailStore',
        externalIdField: 'ti_external_id__c',
        records: stores,
      },
      {
        company: 'X',
        entity: 'terceros',
        object: 'Account',
        externalIdField: 'ti_external_id__c',
        records: accounts,
      },
    ];
    const session = await jwtLogin({ loginUrl: sf.loginUrl, ...sf.credentials });
    sf.resetCounters();

    const result = await runLimit({
      config,
      groups,
      concurrency: 3,
      session: { ...session, apiVersion: '62.0' },
    });

    expect(result).toMatchObject({
      records: 460,
      succeeded: 460,
      failed: 0,
      requests: 4,
      concurrency: 3,
      failuresByCode: {},
    });
    expect(sf.counters().byEndpoint).toEqual({ 'composite.sobjects.upsert': 4 });
    expect(sf.counters().lockConflicts).toBe(0);
  });

  test("the limit loop measures row-lock conflicts: two requests in flight with one parent's children", async () => {
    const sf = world().env.salesforce;
    if (!sf) throw new Error('no Salesforce emulator');
    const groups: LimitGroup[] = [
      {
        company: 'X',
        entity: 'terceros',
        object: 'Account',
        externalIdField: 'ti_external_id__c',
        records: [{ Name: 'Lock parent', ti_external_id__c: 'LOCK-P', ti_activo__c: true }],
      },
      {
        company: 'X',
        entity: 'sucursales',
        object: 'RetailStore',
        externalIdField: 'ti_external_id__c',
        records: Array.from({ length: 400 }, (_, i) => ({
          Name: `Lock store ${i}`,
          Account: { ti_external_id__c: 'LOCK-P' },
          ti_external_id__c: `LOCK-S-${i}`,
          ti_activo__c: true,
        })),
      },
    ];
    const session = await jwtLogin({ loginUrl: sf.loginUrl, ...sf.credentials });
    const before = sf.setLockSettings({});
    // the first request holds the parent 2 s; the second gives up at once (a real org waits ~10 s)
    sf.setLockSettings({ lockWaitMs: 0, lockHoldMs: 2000 });
    sf.resetCounters();
    try {
      const result = await runLimit({
        config,
        groups,
        concurrency: 2,
        session: { ...session, apiVersion: '62.0' },
      });
      expect(result).toMatchObject({
        records: 401,
        succeeded: 201,
        failed: 200,
        requests: 3,
        failuresByCode: { UNABLE_TO_LOCK_ROW: 200 },
      });
      expect(result.errors[0]).toMatch(/^X sucursales: UNABLE_TO_LOCK_ROW unable to obtain exclusive access/);
      expect(sf.counters().lockConflicts).toBe(200);
    } finally {
      sf.setLockSettings(before);
    }
  });

  test("the limit loop packs one parent's children together: interleaved children of two parents do not collide", async () => {
    const sf = world().env.salesforce;
    if (!sf) throw new Error('no Salesforce emulator');
    const groups: LimitGroup[] = [
      {
        company: 'X',
        entity: 'terceros',
        object: 'Account',
        externalIdField: 'ti_external_id__c',
        records: [
          { Name: 'Pack parent 1', ti_external_id__c: 'PACK-P1', ti_activo__c: true },
          { Name: 'Pack parent 2', ti_external_id__c: 'PACK-P2', ti_activo__c: true },
        ],
      },
      {
        company: 'X',
        entity: 'sucursales',
        object: 'RetailStore',
        externalIdField: 'ti_external_id__c',
        records: Array.from({ length: 400 }, (_, i) => ({
          Name: `Pack store ${i}`,
          Account: { ti_external_id__c: `PACK-P${1 + (i % 2)}` },
          ti_external_id__c: `PACK-S-${i}`,
          ti_activo__c: true,
        })),
      },
    ];
    const session = await jwtLogin({ loginUrl: sf.loginUrl, ...sf.credentials });
    const before = sf.setLockSettings({});
    // the first request holds the parent 2 s; the second gives up at once (a real org waits ~10 s)
    sf.setLockSettings({ lockWaitMs: 0, lockHoldMs: 2000 });
    sf.resetCounters();
    try {
      const result = await runLimit({
        config,
        groups,
        concurrency: 2,
        session: { ...session, apiVersion: '62.0' },
      });
      // in request order, 200 and 200 would each hold both parents: one request would fail whole
      expect(result).toMatchObject({
        records: 402,
        succeeded: 402,
        failed: 0,
        requests: 3,
        failuresByCode: {},
      });
      expect(sf.counters().lockConflicts).toBe(0);
    } finally {
      sf.setLockSettings(before);
    }
  });
});

describe('bench profile summary', () => {
  test('charges samples to the nearest function of the repository and groups them by area', () => {
    const root = '/repo';
    const profile = {
      startTime: 0,
      endTime: 10_000,
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [2, 5] },
        {
          id: 2,
          callFrame: {
            functionName: 'putMappings',
            url: 'file:///repo/src/core/store/sync-store.ts',
            lineNumber: 9,
          },
          children: [3],
        },
        {
          id: 3,
          callFrame: {
            functionName: 'send',
            url: 'file:///repo/node_modules/@smithy/core/dist/index.js',
            lineNumber: 1,
          },
          children: [],
        },
        { id: 5, callFrame: { functionName: '(idle)', url: '', lineNumber: 0 }, children: [] },
      ],
      samples: [3, 3, 2, 5],
      timeDeltas: [3000, 3000, 1000, 3000],
    };
    const text = summariseProfile(profile, 5, root);
    expect(text).toContain('profile: 10 ms wall, 7 ms busy');
    expect(text).toMatch(/7 ms\s+70\.0%\s+staging and store/);
    expect(text).toMatch(/6 ms\s+60\.0%\s+@smithy\/core/);
    expect(areaOf('@aws-sdk/client-dynamodb')).toBe('DynamoDB client (AWS SDK v3)');
    expect(areaOf('src/local/definition.ts')).toMatch(/local Step Functions runner/);
  });
});

describe('npm run bench --quick, end to end', () => {
  test('every sync phase reports invocations and history events; deletes deletes; initial goes Bulk', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-bench-e2e-'));
    const out = path.join(dir, 'results', 'quick.json');
    try {
      const { execFile } = await import('node:child_process');
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [
            '--import',
            'tsx',
            'bench/run.ts',
            '--quick',
            '--skip-baseline',
            '--skip-million',
            '--out',
            out,
            '--data-dir',
            path.join(dir, 'scratch'),
          ],
          { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'silent' } },
          (error, stdout, stderr) =>
            resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin?.end();
      });
      expect(run.stderr).toContain('bench: deletes');
      expect(run.code).toBe(0);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      for (const name of ['full', 'unchanged', 'delta', 'deletes']) {
        expect(Object.keys(report[name].invocations)).toEqual([
          'plan',
          'authenticate',
          'extract',
          'transform',
          'upsert',
          'report',
        ]);
        expect(report[name].invocations.extract).toBe(9);
        expect(report[name].historyEvents).toBeGreaterThan(0);
        expect(typeof report[name].maxChildHistoryEvents).toBe('number');
      }
      expect(report.unchanged.invocations).toMatchObject({ transform: 0, upsert: 0 });
      expect(report.unchanged.maxChildHistoryEvents).toBe(0);
      // 1% of each of the 9 views removed (one row each at --quick's sizes): one delete request each
      expect(report.deletes.deleted).toBe(9);
      expect(report.deletes.salesforceCallsByKind).toEqual({ 'composite.sobjects.delete': 9 });
      expect(report.deletes.invocations).toMatchObject({ transform: 0, upsert: 9 });
      expect(report.initial).toMatchObject({
        ran: true,
        rows: 12_000,
        records: 12_000,
        accounted: true,
        bulkPathRan: true,
        status: 'SUCCEEDED',
      });
      expect(Object.keys(report.initial.peakRssMbByFunction).sort()).toEqual(
        ['authenticate', 'extract', 'plan', 'report', 'transform', 'upsert'].sort(),
      );
      expect(report.initial.salesforceCallsByKind['bulk.ingest.create']).toBeGreaterThanOrEqual(1);
      const names = report.targets.map((t: { name: string }) => t.name);
      expect(names).toEqual(
        expect.arrayContaining([
          'unchanged: Transform and Upsert invocations',
          'deletes: Salesforce data calls',
          'initial: Bulk API 2.0 path',
          'initial: peak RSS of every function',
        ]),
      );
      expect(run.stdout).toMatch(/Lambda invocations by function/);
      expect(run.stdout).toMatch(
        /\n {2}deletes +plan 1, authenticate 1, extract 9, transform 0, upsert 9, report 1\n/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
