import type { CheckReport } from '../core/check/problems.js';
import { BUCKETS } from '../core/store/sync-store.js';
import type { Counts, RunSummary } from '../core/sync/report.js';
import type { LocalRunResult } from '../local/run.js';
import type { Failure, RunHeader } from '../report/data.js';
import { formatSeconds } from '../report/html.js';

// `left`: keys that left the view and were acted on; the buckets add up to extracted + left.
const COLUMNS = ['extracted', ...BUCKETS, 'left'] as const;

/** The run summary as a table: a row per company and entity, then totals and API calls. */
export function formatSummary(result: LocalRunResult): string {
  const lines: string[] = [];
  const s = result.summary;
  lines.push(`Run ${result.runId}: ${result.status} in ${result.seconds.toFixed(1)} s`);
  if (result.error) lines.push(`  ${result.error}`);
  if (s) lines.push(...summaryTable(s));
  lines.push(
    '',
    `Salesforce API calls: ${result.salesforce.apiCalls} (data ${result.salesforce.dataCalls}, auth ${result.salesforce.authCalls})`,
    `DynamoDB calls: ${result.dynamodb.calls}`,
    `Time: ${result.seconds.toFixed(1)} s`,
  );
  return lines.join('\n');
}

/** The bucket table of a run summary (a row per company and entity, then totals) and its problems. */
export function summaryTable(s: RunSummary): string[] {
  const lines: string[] = [];
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
  if (s.dryRun) lines.push(...dryRunDetail(s));
  return lines;
}

/** A value as a short line of JSON (payload previews and diffs). */
function brief(value: unknown, max = 60): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A dry run's banner, its first payloads per entity and, with --diff, the fields that would change. */
export function dryRunDetail(s: RunSummary): string[] {
  const lines = [
    '',
    'DRY RUN: nothing was written to Salesforce and the sync state is unchanged;',
    'created and updated count what a run would do now (updated: a Salesforce Id is known for the key).',
  ];
  for (const [company, c] of Object.entries(s.companies)) {
    for (const [entity, e] of Object.entries(c.entities)) {
      if (!e.preview?.length && !e.diff) continue;
      lines.push('', `${company} ${entity}: first ${e.preview?.length ?? 0} record(s) that would be sent`);
      for (const r of e.preview ?? [])
        lines.push(`  ${r.operation.padEnd(6)} ${r.key}  ${brief(r.payload, 140)}`);
      const d = e.diff;
      if (!d) continue;
      lines.push(
        `  diff: ${d.compared} would-be update(s) read from Salesforce, ${d.differing} differ, ${d.missing} not found there`,
      );
      if (d.error) lines.push(`  diff: ${d.error}`);
      for (const r of d.records)
        for (const ch of r.changes)
          lines.push(`    ${r.key} ${ch.field}: ${brief(ch.current)} -> ${brief(ch.next)}`);
    }
  }
  return lines;
}

/** What `--json` prints: the run summary with the API calls. */
export function summaryJson(result: LocalRunResult): Record<string, unknown> {
  return {
    runId: result.runId,
    status: result.status,
    ...(result.summary?.dryRun ? { dryRun: true } : {}),
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

/** `runs`: one line per run, newest first, with its duration and buckets. */
export function formatRunList(runs: readonly RunHeader[]): string {
  if (runs.length === 0) return 'No runs recorded yet: run `npm start` first.';
  const header = ['run', 'status', 'started', 'duration', ...COLUMNS];
  const rows = runs.map((r) => [
    r.runId,
    r.summary?.dryRun ? `${r.status} (dry run)` : r.status,
    r.startedAt ?? '',
    formatSeconds(r.seconds),
    ...COLUMNS.map((k) => (r.summary ? String(r.summary.totals[k]) : '-')),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r.map((v, i) => (i < 4 ? v.padEnd(widths[i] ?? 0) : v.padStart(widths[i] ?? 0))).join('  ');
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** `runs --json`: the same, as data. */
export function runListJson(runs: readonly RunHeader[]): unknown[] {
  return runs.map((r) => ({
    runId: r.runId,
    status: r.status,
    ...(r.summary?.dryRun ? { dryRun: true } : {}),
    startedAt: r.startedAt ?? null,
    finishedAt: r.finishedAt ?? null,
    seconds: r.seconds ?? null,
    totals: r.summary?.totals ?? null,
  }));
}

/** `show`: a run for people: facts, the bucket table, errors by code and the first rows. */
export function formatRunDetail(run: RunHeader, failures: readonly Failure[], firstRows = 20): string {
  const lines = [
    `Run ${run.runId}: ${run.status}`,
    `  started   ${run.startedAt ?? 'unknown'}`,
    `  finished  ${run.finishedAt ?? 'not finished'}`,
    `  duration  ${formatSeconds(run.seconds)}`,
    `  input     ${JSON.stringify(run.input)}`,
  ];
  if (run.apiCalls)
    lines.push(
      `  Salesforce API calls ${run.apiCalls.apiCalls} (data ${run.apiCalls.dataCalls}, auth ${run.apiCalls.authCalls})`,
    );
  if (run.summary) lines.push(...summaryTable(run.summary));
  const byCode = new Map<string, number>();
  for (const f of failures)
    byCode.set(`${f.bucket} ${f.code}`, (byCode.get(`${f.bucket} ${f.code}`) ?? 0) + 1);
  if (failures.length > 0) {
    lines.push('', `Rejected and failed rows: ${failures.length}`);
    for (const [code, n] of [...byCode].sort((a, b) => b[1] - a[1]))
      lines.push(`  ${String(n).padStart(6)}  ${code}`);
    lines.push('', `First ${Math.min(firstRows, failures.length)}:`);
    for (const f of failures.slice(0, firstRows))
      lines.push(
        `  ${f.bucket.padEnd(8)} ${f.company} ${f.entity} ${f.key}: ${f.code} ${f.message.slice(0, 160)}`,
      );
  }
  return lines.join('\n');
}
