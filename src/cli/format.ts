import { BUCKETS } from '../core/store/sync-store.js';
import type { Counts } from '../core/sync/report.js';
import type { LocalRunResult } from '../local/run.js';

const COLUMNS = ['extracted', ...BUCKETS] as const;

/** The run summary as a table: a row per company and entity, then totals and API calls. */
export function formatSummary(result: LocalRunResult): string {
  const lines: string[] = [];
  const s = result.summary;
  lines.push(`Run ${result.runId}: ${result.status} in ${result.seconds.toFixed(1)} s`);
  if (result.error) lines.push(`  ${result.error}`);
  if (s) {
    const header = ['company', 'entity', 'status', ...COLUMNS];
    const rows: string[][] = [];
    for (const [company, c] of Object.entries(s.companies)) {
      for (const [entity, e] of Object.entries(c.entities)) {
        rows.push([company, entity, e.status, ...COLUMNS.map((k) => String(e[k]))]);
      }
    }
    rows.push(['TOTAL', '', '', ...COLUMNS.map((k) => String((s.totals as Counts)[k]))]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    const fmt = (r: string[]) =>
      r.map((v, i) => (i < 3 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
    lines.push('', fmt(header), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const [i, r] of rows.entries()) {
      if (i === rows.length - 1) lines.push(widths.map((w) => '-'.repeat(w)).join('  '));
      lines.push(fmt(r));
    }
    const problems = Object.entries(s.companies).flatMap(([company, c]) => [
      ...(c.error ? [`  ${company}: ${c.error}`] : []),
      ...Object.entries(c.entities)
        .filter(([, e]) => e.error && !c.error)
        .map(([entity, e]) => `  ${company} ${entity}: ${e.error}`),
    ]);
    if (problems.length > 0) lines.push('', 'Problems:', ...problems);
  }
  lines.push(
    '',
    `Salesforce API calls: ${result.salesforce.apiCalls} (data ${result.salesforce.dataCalls}, auth ${result.salesforce.authCalls})`,
    `DynamoDB calls: ${result.dynamodb.calls}`,
    `Time: ${result.seconds.toFixed(1)} s`,
  );
  return lines.join('\n');
}

/** What `--json` prints: the run summary with the API calls. */
export function summaryJson(result: LocalRunResult): Record<string, unknown> {
  return {
    runId: result.runId,
    status: result.status,
    ...(result.error ? { error: result.error } : {}),
    seconds: Number(result.seconds.toFixed(3)),
    totals: result.summary?.totals ?? null,
    companies: Object.fromEntries(
      Object.entries(result.summary?.companies ?? {}).map(([company, c]) => [
        company,
        { status: c.status, ...(c.error ? { error: c.error } : {}), entities: c.entities },
      ]),
    ),
    salesforce: result.salesforce,
    dynamodb: result.dynamodb,
  };
}
