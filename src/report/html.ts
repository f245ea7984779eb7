import { BUCKETS, type Bucket } from '../core/store/sync-store.js';
import type { Counts, RunSummary } from '../core/sync/report.js';
import type { ApiCalls, Failure, ReportData, RunHeader } from './data.js';
import { dryRunSection } from './dry-run.js';
import { escapeHtml as esc } from './escape.js';
import { BUCKET_COLORS, bucketBar, type TimelineLane, timeline, trendChart } from './svg.js';

/** The most rows the filterable list holds; the error file (`failures --csv`) has them all. */
export const MAX_LISTED_ROWS = 5000;

// `left`: keys that left the view and were acted on; the buckets add up to extracted + left.
const COLUMNS = ['extracted', ...BUCKETS, 'left'] as const;

export function formatSeconds(seconds: number | undefined): string {
  if (seconds === undefined) return 'unknown';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m} min ${Math.round(seconds - m * 60)} s`;
}

const STYLE = `body{font:14px system-ui,sans-serif;margin:24px;color:#212121;max-width:1200px}
table{border-collapse:collapse;margin:8px 0}th,td{padding:3px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
td.key{white-space:nowrap}td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.status{padding:2px 8px;border-radius:4px;color:#fff}
.SUCCEEDED{background:#2e7d32}.COMPLETED_WITH_FAILURES,.FAILED{background:#c62828}.RUNNING,.UNKNOWN{background:#757575}
pre{background:#f5f5f5;padding:8px;white-space:pre-wrap}.note,.muted{color:#757575;fill:#757575}svg text{font-size:11px}
.filters{display:flex;gap:8px;flex-wrap:wrap;margin:8px 0}.swatch{display:inline-block;width:10px;height:10px;margin-right:3px}
.dry-run{background:#fff8e1;border-left:4px solid #f9a825;padding:8px}`;

function header(run: RunHeader): string {
  return `<h1>sf-sync run <code>${esc(run.runId)}</code>${run.summary?.dryRun ? ' (dry run)' : ''}</h1>
<p>Status: <span id="run-status" class="status ${esc(run.status)}">${esc(run.status)}</span></p>
<table id="run-facts"><tr><th>Started</th><td>${esc(run.startedAt ?? 'unknown')}</td></tr>
<tr><th>Finished</th><td>${esc(run.finishedAt ?? 'not finished')}</td></tr>
<tr><th>Duration</th><td id="run-duration">${esc(formatSeconds(run.seconds))}</td></tr>
<tr><th>Input</th><td><pre id="run-input">${esc(JSON.stringify(run.input, null, 2))}</pre></td></tr></table>`;
}

function legend(): string {
  return BUCKETS.map(
    (b) => `<span><span class="swatch" style="background:${BUCKET_COLORS[b]}"></span>${b}</span>`,
  ).join(' ');
}

function countCells(c: Counts, attrs: (k: (typeof COLUMNS)[number]) => string): string {
  return COLUMNS.map((k) => `<td class="n" ${attrs(k)}>${c[k]}</td>`).join('');
}

function bucketsSection(summary: RunSummary | undefined): string {
  if (!summary) return '<h2>Buckets</h2><p class="note">The run has no summary (it did not finish).</p>';
  const head = `<tr><th>company</th><th>entity</th><th>status</th><th>buckets</th>${COLUMNS.map((k) => `<th class="n">${k}</th>`).join('')}</tr>`;
  const rows = Object.entries(summary.companies).flatMap(([company, c]) =>
    Object.entries(c.entities).map(
      ([entity, e]) =>
        `<tr class="entity-row" data-company="${esc(company)}" data-entity="${esc(entity)}"><td>${esc(company)}</td><td>${esc(entity)}</td><td>${esc(e.status)}${e.error ? `<br><small>${esc(e.error)}</small>` : ''}</td><td>${bucketBar(e as Record<Bucket, number>)}</td>${countCells(e, (k) => `data-bucket="${k}"`)}</tr>`,
    ),
  );
  const total = `<tr id="totals"><th>TOTAL</th><th></th><th></th><td>${bucketBar(summary.totals as Record<Bucket, number>)}</td>${countCells(summary.totals, (k) => `data-total="${k}"`)}</tr>`;
  const problems = Object.entries(summary.companies)
    .filter(([, c]) => c.error)
    .map(([company, c]) => `<li>${esc(company)}: ${esc(c.error)}</li>`);
  return `<h2>Buckets per company and entity</h2><p>${legend()}</p><table id="buckets">${head}${rows.join('')}${total}</table>${problems.length > 0 ? `<ul id="problems">${problems.join('')}</ul>` : ''}`;
}

/** company#entity in the order the run summary lists them (companies as configured, entities by wave). */
function summaryOrder(summary: RunSummary | undefined): string[] {
  return Object.entries(summary?.companies ?? {}).flatMap(([company, c]) =>
    Object.keys(c.entities).map((entity) => `${company}#${entity}`),
  );
}

const rank = (order: string[], key: string) => (order.includes(key) ? order.indexOf(key) : order.length);

function timelineSection(data: ReportData): string {
  const keys = new Map<string, TimelineLane>();
  for (const e of data.entities)
    keys.set(`${e.company}#${e.entity}`, { label: `${e.company} ${e.entity}`, entity: e, pages: [] });
  for (const p of data.pages) {
    const lane = keys.get(`${p.company}#${p.entity}`) ?? { label: `${p.company} ${p.entity}`, pages: [] };
    lane.pages.push(p);
    keys.set(`${p.company}#${p.entity}`, lane);
  }
  const order = summaryOrder(data.run.summary);
  const lanes = [...keys.entries()].sort(([a], [b]) => rank(order, a) - rank(order, b) || a.localeCompare(b));
  return `<h2>Timeline</h2><p class="note">A tick per page when it was staged by extract, transformed, upserted (its last Salesforce request answered) or failed.</p>${timeline(
    lanes.map(([, lane]) => lane),
    data.run.startedAt,
    data.run.finishedAt,
  )}`;
}

function apiSection(calls: ApiCalls | undefined): string {
  if (!calls)
    return '<h2>Salesforce API calls</h2><p class="note" id="api-calls">Not recorded for this run.</p>';
  const left =
    calls.orgLimit !== undefined && calls.orgUsed !== undefined
      ? `${calls.orgLimit - calls.orgUsed} of ${calls.orgLimit} left in the org's 24 h window`
      : 'calls left: not reported';
  return `<h2>Salesforce API calls</h2><p id="api-calls">Used <b data-api="total">${calls.apiCalls}</b> (data <span data-api="data">${calls.dataCalls}</span>, auth <span data-api="auth">${calls.authCalls}</span>); ${esc(left)}.</p>`;
}

function byCodeSection(failures: readonly Failure[]): string {
  const counts = new Map<string, { bucket: string; code: string; count: number }>();
  for (const f of failures) {
    const k = `${f.bucket}\u0000${f.code}`;
    const entry = counts.get(k) ?? { bucket: f.bucket, code: f.code, count: 0 };
    entry.count += 1;
    counts.set(k, entry);
  }
  const rows = [...counts.values()]
    .sort((a, b) => b.count - a.count || a.code.localeCompare(b.code))
    .map(
      (c) =>
        `<tr data-code="${esc(c.code)}" data-bucket="${esc(c.bucket)}"><td>${esc(c.bucket)}</td><td>${esc(c.code)}</td><td class="n">${c.count}</td></tr>`,
    );
  if (rows.length === 0) return '<h2>Rejected and failed rows by error code</h2><p class="note">None.</p>';
  return `<h2>Rejected and failed rows by error code</h2><table id="by-code"><tr><th>bucket</th><th>code</th><th class="n">rows</th></tr>${rows.join('')}</table>`;
}

function options(id: string, label: string, values: Iterable<string>): string {
  const opts = [...new Set(values)].sort().map((v) => `<option value="${esc(v)}">${esc(v)}</option>`);
  return `<label>${label} <select id="${id}"><option value="">all</option>${opts.join('')}</select></label>`;
}

function rowsSection(failures: readonly Failure[]): string {
  const listed = failures.slice(0, MAX_LISTED_ROWS);
  const rows = listed.map(
    (f) =>
      `<tr class="failure" data-company="${esc(f.company)}" data-entity="${esc(f.entity)}" data-code="${esc(f.code)}"><td>${esc(f.company)}</td><td>${esc(f.entity)}</td><td class="key">${esc(f.key)}</td><td>${esc(f.bucket)}</td><td>${esc(f.code)}</td><td class="message">${esc(f.message)}</td><td>${esc((f.fields ?? []).join(', '))}</td></tr>`,
  );
  const cut =
    failures.length > listed.length
      ? `<p class="note">The first ${listed.length} of ${failures.length} rows; the error file has them all.</p>`
      : '';
  const filters = `<div class="filters">${options(
    'f-company',
    'Company',
    failures.map((f) => f.company),
  )}${options(
    'f-entity',
    'Entity',
    failures.map((f) => f.entity),
  )}${options(
    'f-code',
    'Error code',
    failures.map((f) => f.code),
  )}<label>Search <input id="f-text" type="search" placeholder="key, message, field"></label></div>`;
  return `<h2>Rejected and failed rows</h2>${filters}<p><span id="shown">${listed.length}</span> of ${listed.length} rows shown</p>${cut}<table id="failures"><thead><tr><th>company</th><th>entity</th><th>key</th><th>bucket</th><th>code</th><th>message</th><th>fields</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The filter, in the page: no data in the script, it reads the rows' data attributes. */
const SCRIPT = `(function(){
var ids=['f-company','f-entity','f-code','f-text'];
function apply(){
  var c=document.getElementById('f-company').value,e=document.getElementById('f-entity').value,
      k=document.getElementById('f-code').value,t=document.getElementById('f-text').value.trim().toLowerCase();
  var rows=document.querySelectorAll('#failures tr.failure'),shown=0;
  for(var i=0;i<rows.length;i++){var r=rows[i],ok=(!c||r.dataset.company===c)&&(!e||r.dataset.entity===e)&&(!k||r.dataset.code===k)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
    r.hidden=!ok;if(ok)shown++;}
  document.getElementById('shown').textContent=String(shown);
}
ids.forEach(function(id){var el=document.getElementById(id);if(el){el.addEventListener('input',apply);el.addEventListener('change',apply);}});
})();`;

/** One self-contained HTML page: inline CSS, SVG and script; a CSP that forbids any fetch. */
export function renderReport(data: ReportData): string {
  const csp = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";
  const body = [
    header(data.run),
    bucketsSection(data.run.summary),
    dryRunSection(data.run.summary),
    timelineSection(data),
    apiSection(data.run.apiCalls),
    byCodeSection(data.failures),
    data.failures.length > 0 ? rowsSection(data.failures) : '',
    `<h2>Trend of the last runs (${data.trend.length})</h2>${trendChart(data.trend, data.run.runId)}`,
    `<p class="note">Generated ${esc(data.generatedAt)} by sf-sync.</p>`,
  ];
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="icon" href="data:,"><meta name="viewport" content="width=device-width, initial-scale=1"><title>sf-sync run ${esc(data.run.runId)}</title>
<style>${STYLE}</style></head>
<body>
${body.join('\n')}
${data.failures.length > 0 ? `<script>${SCRIPT}</script>` : ''}
</body></html>
`;
}
