import type { RunSummary } from '../core/sync/report.js';
import { escapeHtml as esc } from './escape.js';

/** A value as short JSON for a table cell. */
function cell(value: unknown, max = 200): string {
  const text = JSON.stringify(value) ?? 'null';
  return esc(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}

function previewTable(records: NonNullable<RunSummary['companies'][string]['entities'][string]['preview']>) {
  const rows = records.map(
    (r) =>
      `<tr><td>${esc(r.operation)}</td><td class="key">${esc(r.key)}</td><td><code>${cell(r.payload, 400)}</code></td></tr>`,
  );
  return `<table class="preview"><tr><th>would</th><th>key</th><th>payload</th></tr>${rows.join('')}</table>`;
}

function diffTable(diff: NonNullable<RunSummary['companies'][string]['entities'][string]['diff']>): string {
  const facts = `<p class="diff-counts">${diff.compared} would-be update(s) read from Salesforce: <b>${diff.differing}</b> differ, ${diff.missing} not found there${diff.records.length < diff.differing ? ` (first ${diff.records.length} listed)` : ''}.</p>`;
  const error = diff.error ? `<p class="note">${esc(diff.error)}</p>` : '';
  const rows = diff.records.flatMap((r) =>
    r.changes.map(
      (c) =>
        `<tr><td class="key">${esc(r.key)}</td><td>${esc(c.field)}</td><td><code>${cell(c.current)}</code></td><td><code>${cell(c.next)}</code></td></tr>`,
    ),
  );
  const table =
    rows.length > 0
      ? `<table class="diff"><tr><th>key</th><th>field</th><th>in Salesforce now</th><th>would become</th></tr>${rows.join('')}</table>`
      : '';
  return facts + error + table;
}

/** A dry run's banner, its first payloads per entity and its field-level differences; '' for a real run. */
export function dryRunSection(summary: RunSummary | undefined): string {
  if (!summary?.dryRun) return '';
  const parts = [
    '<p id="dry-run" class="dry-run"><b>Dry run</b>: nothing was written to Salesforce and the sync state is unchanged. Created and updated count what a run would do now (updated: a Salesforce Id is known for the key).</p>',
  ];
  for (const [company, c] of Object.entries(summary.companies)) {
    for (const [entity, e] of Object.entries(c.entities)) {
      if (!e.preview?.length && !e.diff) continue;
      parts.push(
        `<section class="dry-entity" data-company="${esc(company)}" data-entity="${esc(entity)}"><h3>${esc(company)} ${esc(entity)}: would create ${e.created}, update ${e.updated}, reject ${e.rejected}</h3>`,
        e.preview?.length ? previewTable(e.preview) : '',
        e.diff ? diffTable(e.diff) : '',
        '</section>',
      );
    }
  }
  return `<h2>What this run would send</h2>${parts.join('')}`;
}
