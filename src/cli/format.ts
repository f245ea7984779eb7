import type { CheckReport } from '../core/check/problems.js';
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

const CHECK_HEADER = ['severity', 'config key', 'problem', 'what to do'];
const PROBLEM_WIDTH = 70;
const FIX_WIDTH = 50;

/** Words of `text` in lines of at most `width` characters (a longer word gets a line of its own). */
export function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

/** The check report as a table for people: severity, config key, problem, what to do. */
export function formatCheck(report: CheckReport): string {
  const problems = [...report.errors, ...report.warnings];
  const counts = `${report.errors.length} error${report.errors.length === 1 ? '' : 's'}, ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`;
  if (problems.length === 0) return 'sf-sync check: no problems found.';
  const cells = problems.map((p) => [
    [p.severity],
    [p.key],
    wrapText(`${p.companies ? `[${p.companies.join(', ')}] ` : ''}${p.problem}`, PROBLEM_WIDTH),
    wrapText(p.fix, FIX_WIDTH),
  ]);
  const widths = CHECK_HEADER.map((h, i) =>
    Math.max(h.length, ...cells.flatMap((c) => (c[i] ?? []).map((l) => l.length))),
  );
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [fmt(CHECK_HEADER), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const c of cells) {
    const height = Math.max(...c.map((col) => col.length));
    for (let i = 0; i < height; i++) lines.push(fmt(c.map((col) => col[i] ?? '')));
  }
  lines.push('', `sf-sync check: ${counts}${report.ok ? '' : ' (exit 1: fix the errors before syncing)'}.`);
  return lines.join('\n');
}
