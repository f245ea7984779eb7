import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { reportHandler } from '../../../functions/report.js';
import { createSyncApp } from '../../../src/core/app.js';
import type { SyncConfig } from '../../../src/core/config/load.js';
import { createLogger } from '../../../src/core/logger.js';
import type { EntityRecord, PageRecord, RunRecord, SyncStore } from '../../../src/core/store/sync-store.js';

const TOKEN = '00Dxx0000001gPL!AQ4AQFakeSessionToken';
const ROW_VALUE = 'INVERSIONES LA ESPERANZA SAS';

/** A store holding one run: 10 rows of ITALCOL terceros, one page, 2 created, 5 updated, 1 rejected, 2 failed. */
function fakeStore(closed: unknown[]): SyncStore {
  const entity: EntityRecord = {
    company: 'ITALCOL',
    entity: 'terceros',
    status: 'extracted',
    extracted: 10,
    skipped: 0,
    pages: 1,
    failedPages: 0,
  };
  const page: PageRecord = {
    company: 'ITALCOL',
    entity: 'terceros',
    page: 1,
    status: 'upserted',
    rows: 10,
    unchanged: 0,
    rejected: 1,
    toSend: 9,
    created: 2,
    updated: 5,
    failed: 2,
  };
  const store = {
    getRunDetail: async () => ({
      entities: [entity],
      pages: [page],
      companyFailures: new Map<string, string>(),
    }),
    closeRun: async (...args: unknown[]) => {
      closed.push(args);
    },
    getRun: async (): Promise<RunRecord> => ({
      runId: 'run-1',
      status: 'RUNNING',
      input: {},
      plan: [],
      startedAt: new Date(Date.now() - 90_000).toISOString(),
    }),
    // The finish gives back the run's leases (a conditional update per entity).
    table: { update: async () => undefined },
  };
  return store as unknown as SyncStore;
}

describe('report handler output in Lambda (Powertools Logger and Metrics)', () => {
  const saved = { ...process.env };
  let stdout: string[];

  beforeEach(() => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'sf-sync-test-report';
    process.env.STAGE = 'test';
    process.env.LOG_LEVEL = 'info';
    process.env.SF_ACCESS_TOKEN = TOKEN;
    stdout = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  async function invokeFinish(): Promise<Array<Record<string, unknown>>> {
    return parseLines(await invokeFinishRaw());
  }

  function parseLines(out: string): Array<Record<string, unknown>> {
    return out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  async function invokeFinishRaw(): Promise<string> {
    const closed: unknown[] = [];
    const app = createSyncApp(process.env, {
      config: {} as SyncConfig,
      store: fakeStore(closed),
      log: createLogger(),
    });
    const event = {
      action: 'finish',
      runId: 'run-2026-11-29',
      companies: [{ company: 'ITALCOL', waves: [['terceros']] }],
      rows: [{ Name: ROW_VALUE }],
    };
    await reportHandler(() => app)(event, { awsRequestId: 'req-1' });
    expect(closed).toHaveLength(1);
    return stdout.join('');
  }

  it('prints one JSON log line with the service, run keys, step and request id', async () => {
    const lines = await invokeFinish();
    const logs = lines.filter((l) => !('_aws' in l) || 'message' in l);
    const finished = logs.find((l) => l.message === 'run finished');
    expect(finished).toMatchObject({
      level: 'INFO',
      service: 'sf-sync',
      runId: 'run-2026-11-29',
      step: 'report',
      requestId: 'req-1',
      status: 'SUCCEEDED',
      totals: { extracted: 10, created: 2, updated: 5, unchanged: 0, rejected: 1, failed: 2, skipped: 0 },
    });
    expect(typeof finished?.timestamp).toBe('string');
  });

  it('prints one EMF blob in namespace SfSync with the stage dimension and the run buckets', async () => {
    const lines = await invokeFinish();
    const blobs = lines.filter((l) => {
      const aws = l._aws as { CloudWatchMetrics?: Array<{ Namespace: string }> } | undefined;
      return aws?.CloudWatchMetrics?.[0]?.Namespace === 'SfSync';
    });
    expect(blobs).toHaveLength(1);
    const blob = blobs[0] as Record<string, unknown>;
    const directive = (blob._aws as { CloudWatchMetrics: Array<Record<string, unknown>> })
      .CloudWatchMetrics[0];
    expect(directive?.Dimensions).toEqual([['service', 'stage']]);
    expect(blob).toMatchObject({
      service: 'sf-sync',
      stage: 'test',
      RecordsExtracted: 10,
      RecordsCreated: 2,
      RecordsUpdated: 5,
      RecordsUnchanged: 0,
      RecordsRejected: 1,
      RecordsFailed: 2,
      RecordsSkipped: 0,
      RunsWithFailures: 1,
    });
    expect(blob.RunDuration).toBeGreaterThanOrEqual(90_000);
    expect(blob.RunDuration).toBeLessThan(150_000);
    const metrics = (directive?.Metrics ?? []) as Array<{ Name: string; Unit: string }>;
    expect(metrics.map((m) => `${m.Name}:${m.Unit}`).sort()).toEqual([
      'RecordsCreated:Count',
      'RecordsExtracted:Count',
      'RecordsFailed:Count',
      'RecordsRejected:Count',
      'RecordsSkipped:Count',
      'RecordsUnchanged:Count',
      'RecordsUpdated:Count',
      'RunDuration:Milliseconds',
      'RunsWithFailures:Count',
    ]);
  });

  it('prints no token and no row value', async () => {
    const out = await invokeFinishRaw();
    expect(out).not.toContain(TOKEN);
    expect(out).not.toContain(ROW_VALUE);
    expect(out.length).toBeGreaterThan(0);
  });

  it('prints nothing outside Lambda (the local runner keeps stdout for the summary)', async () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    expect(await invokeFinishRaw()).toBe('');
  });
});
