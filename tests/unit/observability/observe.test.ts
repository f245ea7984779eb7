import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '../../../src/core/logger.js';
import { addApiCallMetrics, observe, runKeys } from '../../../src/core/observability/index.js';

describe('observe: one handler invocation', () => {
  const saved = { ...process.env };
  let stdout: string[];

  beforeEach(() => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'sf-sync-test-upsert';
    process.env.STAGE = 'prod';
    process.env.LOG_LEVEL = 'info';
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

  const blobs = () =>
    stdout
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => '_aws' in l);

  it('keeps only the run, company, entity and page keys of an event', () => {
    const event = {
      runId: 'r',
      company: 'ITALCOL',
      entity: 'terceros',
      page: 3,
      mode: 'full',
      rows: [{ a: 1 }],
    };
    expect(runKeys(event)).toEqual({ runId: 'r', company: 'ITALCOL', entity: 'terceros', page: 3 });
    expect(runKeys({ runId: { nested: true } })).toEqual({});
  });

  it('flushes the Salesforce API calls of an upsert as one EMF blob with the stage dimension', async () => {
    const log = createLogger({ runId: 'r-9', company: 'ITALCOL', entity: 'terceros' });
    const result = await observe('upsert', log, { awsRequestId: 'req-9' }, async ({ log: l, metrics }) => {
      l.info('sent');
      addApiCallMetrics(metrics, 7);
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(blobs()).toEqual([
      {
        _aws: {
          Timestamp: expect.any(Number),
          CloudWatchMetrics: [
            {
              Namespace: 'SfSync',
              Dimensions: [['service', 'stage']],
              Metrics: [{ Name: 'SalesforceApiCalls', Unit: 'Count' }],
            },
          ],
        },
        service: 'sf-sync',
        stage: 'prod',
        SalesforceApiCalls: 7,
      },
    ]);
  });

  it('still flushes its metrics when the work fails, and rethrows the same error', async () => {
    const boom = new Error('Salesforce down');
    await expect(
      observe('upsert', createLogger(), undefined, async ({ metrics }) => {
        addApiCallMetrics(metrics, 2);
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(blobs().map((b) => b.SalesforceApiCalls)).toEqual([2]);
  });

  it('prints no metrics blob when nothing was measured', async () => {
    await observe('transform', createLogger(), undefined, async () => 1);
    expect(stdout).toEqual([]);
  });
});
