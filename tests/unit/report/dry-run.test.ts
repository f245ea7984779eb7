import { dryRunDetail, formatRunList, runListJson, summaryJson } from '../../../src/cli/format.js';
import { type RunSummary, zeroCounts } from '../../../src/core/sync/report.js';
import type { LocalRunResult } from '../../../src/local/run.js';
import { type RunHeader, RunSummarySchema, trendPoint } from '../../../src/report/data.js';
import { dryRunSection } from '../../../src/report/dry-run.js';

const zero = zeroCounts();
const HOSTILE = '<img src=x onerror=alert(1)>';

function drySummary(): RunSummary {
  return {
    runId: 'dry-1',
    status: 'SUCCEEDED',
    dryRun: true,
    totals: { ...zero, extracted: 5, created: 1, updated: 2, rejected: 1, unchanged: 1 },
    companies: {
      ACME: {
        status: 'completed',
        entities: {
          terceros: {
            ...zero,
            extracted: 5,
            created: 1,
            updated: 2,
            rejected: 1,
            unchanged: 1,
            status: 'completed',
            preview: [
              { key: 'K1', operation: 'create', payload: { Name: `New ${HOSTILE}` } },
              { key: 'K2', operation: 'update', payload: { Name: 'Old', Phone: '2' } },
            ],
            diff: {
              compared: 2,
              differing: 1,
              missing: 0,
              records: [{ key: 'K2', sfId: '001X', changes: [{ field: 'Phone', current: '1', next: '2' }] }],
            },
          },
          acuerdos: { ...zero, status: 'completed' },
        },
      },
    },
  };
}

describe('dry runs in the report, the summary table and --json', () => {
  it('keeps dryRun, the previews and the diff when the run record is parsed back', () => {
    const parsed = RunSummarySchema.parse(JSON.parse(JSON.stringify(drySummary())));
    expect(parsed).toEqual(drySummary());
  });

  it('shows a banner, the payloads and the changed fields, escaped', () => {
    const html = dryRunSection(drySummary());
    expect(html).toContain('<b>Dry run</b>: nothing was written to Salesforce');
    expect(html).toContain('ACME terceros: would create 1, update 2, reject 1');
    expect(html).toContain(
      '<tr><td class="key">K2</td><td>Phone</td><td><code>&quot;1&quot;</code></td><td><code>&quot;2&quot;</code></td></tr>',
    );
    expect(html).toContain('2 would-be update(s) read from Salesforce: <b>1</b> differ, 0 not found there.');
    expect(html).not.toContain('<img');
    expect(html).not.toContain('ACME acuerdos');
    expect(dryRunSection({ ...drySummary(), dryRun: undefined })).toBe('');
  });

  it('prints the same in the terminal and marks --json with "dryRun": true', () => {
    const lines = dryRunDetail(drySummary());
    expect(lines).toContain('ACME terceros: first 2 record(s) that would be sent');
    expect(lines).toContain('  update K2  {"Name":"Old","Phone":"2"}');
    expect(lines).toContain('  diff: 2 would-be update(s) read from Salesforce, 1 differ, 0 not found there');
    expect(lines).toContain('    K2 Phone: "1" -> "2"');
    const result = {
      runId: 'dry-1',
      status: 'SUCCEEDED',
      seconds: 1,
      summary: drySummary(),
      salesforce: { apiCalls: 1, dataCalls: 0, authCalls: 1 },
      dynamodb: { calls: 3 },
    } as unknown as LocalRunResult;
    const json = summaryJson(result);
    expect(Object.keys(json)).toEqual([
      'runId',
      'status',
      'dryRun',
      'seconds',
      'totals',
      'companies',
      'salesforce',
      'dynamodb',
    ]);
    expect(json.totals).toEqual(drySummary().totals);
  });

  it('counts nothing as sent in the trend and marks the run in `runs`', () => {
    const run: RunHeader = {
      runId: 'dry-1',
      status: 'SUCCEEDED',
      input: { dryRun: true },
      summary: drySummary(),
    };
    expect(trendPoint(run)).toEqual({ runId: 'dry-1', status: 'SUCCEEDED', sent: 0, failed: 0 });
    expect(trendPoint({ ...run, summary: { ...drySummary(), dryRun: undefined } }).sent).toBe(3);
    expect(formatRunList([run]).split('\n')[2]).toMatch(/^dry-1 {2}SUCCEEDED \(dry run\) /);
    expect(runListJson([run])[0]).toMatchObject({ runId: 'dry-1', status: 'SUCCEEDED', dryRun: true });
  });
});
