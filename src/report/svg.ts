import type { Bucket, EntityRecord, PageRecord } from '../core/store/sync-store.js';
import type { TrendPoint } from './data.js';
import { escapeHtml as esc } from './escape.js';

export const BUCKET_COLORS: Record<Bucket, string> = {
  created: '#2e7d32',
  updated: '#1565c0',
  unchanged: '#9e9e9e',
  rejected: '#ef6c00',
  failed: '#c62828',
  skipped: '#6a1b9a',
  deleted: '#37474f',
};

const round = (n: number) => Math.round(n * 10) / 10;

/** Widths proportional to the counts, but at least MIN_SEGMENT px for any non-zero count (5 rejected of 2,000 stay visible); the widest gives up the difference. */
export function segmentWidths(counts: number[], width: number): number[] {
  const total = counts.reduce((n, c) => n + Math.max(0, c), 0);
  if (total === 0) return counts.map(() => 0);
  const widths = counts.map((c) => (c > 0 ? Math.max(MIN_SEGMENT, (c / total) * width) : 0));
  const excess = widths.reduce((n, w) => n + w, 0) - width;
  const widest = widths.indexOf(Math.max(...widths));
  widths[widest] = (widths[widest] ?? 0) - excess;
  return widths;
}

const MIN_SEGMENT = 3;

/** A stacked horizontal bar: one segment per non-empty bucket, widths proportional to the counts. */
export function bucketBar(counts: Record<Bucket, number>, width = 360, height = 16): string {
  const order = Object.keys(BUCKET_COLORS) as Bucket[];
  const widths = segmentWidths(
    order.map((b) => counts[b]),
    width,
  );
  const parts: string[] = [];
  let x = 0;
  for (const [i, b] of order.entries()) {
    const w = widths[i] ?? 0;
    if (w <= 0) continue;
    parts.push(
      `<rect class="seg" data-bucket="${b}" x="${round(x)}" y="0" width="${round(w)}" height="${height}" fill="${BUCKET_COLORS[b]}"><title>${b}: ${counts[b]}</title></rect>`,
    );
    x += w;
  }
  if (parts.length === 0)
    parts.push(
      `<rect x="0" y="0" width="${width}" height="${height}" fill="#eeeeee"><title>no rows</title></rect>`,
    );
  return `<svg class="bar" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="buckets">${parts.join('')}</svg>`;
}

type Mark = { at: number; step: 'extract' | 'transform' | 'upsert' | 'failed'; label: string };
const STEP_COLORS: Record<Mark['step'], string> = {
  extract: '#1565c0',
  transform: '#ef6c00',
  upsert: '#2e7d32',
  failed: '#c62828',
};

function pageMarks(p: PageRecord): Mark[] {
  const marks: Mark[] = [];
  const add = (iso: string | undefined, step: Mark['step']) => {
    const at = iso ? Date.parse(iso) : Number.NaN;
    if (Number.isFinite(at)) marks.push({ at, step, label: `page ${p.page} ${step} ${iso}` });
  };
  add(p.extractedAt, 'extract');
  add(p.transformedAt, 'transform');
  add(p.upsertedAt, 'upsert');
  add(p.failedAt, 'failed');
  return marks;
}

export interface TimelineLane {
  label: string;
  entity?: EntityRecord;
  pages: PageRecord[];
}

/**
 * Steps over time, one lane per company and entity: a tick when each page was staged by
 * extract, transformed, upserted or failed. Lanes without timestamps say so.
 */
export function timeline(lanes: TimelineLane[], start?: string, end?: string): string {
  const marks = lanes.map((l) => l.pages.flatMap(pageMarks));
  const all = marks.flat().map((m) => m.at);
  const t0 = Math.min(start ? Date.parse(start) : Number.POSITIVE_INFINITY, ...all);
  const t1 = Math.max(end ? Date.parse(end) : Number.NEGATIVE_INFINITY, ...all);
  if (all.length === 0 || !Number.isFinite(t0) || !Number.isFinite(t1))
    return '<p class="note">No step timestamps were recorded for this run.</p>';
  const left = 190;
  const width = 620;
  const lane = 22;
  const span = Math.max(1, t1 - t0);
  const x = (t: number) => round(left + ((t - t0) / span) * width);
  const rows = lanes.map((l, i) => {
    const y = 20 + i * lane;
    const ticks = (marks[i] ?? [])
      .map(
        (m) =>
          `<rect class="tick" data-step="${m.step}" x="${x(m.at) - 1}" y="${y - 7}" width="3" height="14" fill="${STEP_COLORS[m.step]}"><title>${esc(m.label)}</title></rect>`,
      )
      .join('');
    const none =
      (marks[i] ?? []).length === 0
        ? `<text x="${left}" y="${y + 4}" class="muted">no timestamps</text>`
        : '';
    return `<text x="0" y="${y + 4}">${esc(l.label)}</text><line x1="${left}" x2="${left + width}" y1="${y}" y2="${y}" stroke="#ddd"/>${ticks}${none}`;
  });
  const height = 40 + lanes.length * lane;
  const axis = `<text x="${left}" y="${height - 4}" class="muted">0 s</text><text x="${left + width}" y="${height - 4}" text-anchor="end" class="muted">${round(span / 1000)} s</text>`;
  const legend = Object.entries(STEP_COLORS)
    .map(
      ([k, c], i) =>
        `<rect x="${left + i * 90}" y="0" width="10" height="10" fill="${c}"/><text x="${left + 14 + i * 90}" y="9">${k}</text>`,
    )
    .join('');
  return `<svg class="timeline" width="${left + width + 20}" height="${height}" role="img" aria-label="timeline">${legend}${rows.join('')}${axis}</svg>`;
}

function polyline(
  values: number[],
  max: number,
  step: number,
  height: number,
  color: string,
  cls: string,
): string {
  const pts = values.map(
    (v, i) => `${round(30 + i * step)},${round(height - 20 - (v / max) * (height - 40))}`,
  );
  return `<polyline class="${cls}" fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"/>`;
}

/** The last runs: records sent and failed as lines, duration as bars; each point has a tooltip. */
export function trendChart(points: TrendPoint[], current: string): string {
  if (points.length === 0) return '<p class="note">No runs recorded.</p>';
  const width = 640;
  const height = 180;
  const step = points.length > 1 ? (width - 60) / (points.length - 1) : 0;
  const maxCount = Math.max(1, ...points.flatMap((p) => [p.sent, p.failed]));
  const maxSeconds = Math.max(1, ...points.map((p) => p.seconds ?? 0));
  const bars = points
    .map((p, i) => {
      const h = ((p.seconds ?? 0) / maxSeconds) * (height - 40);
      const cls = p.runId === current ? 'dur current' : 'dur';
      return `<rect class="${cls}" x="${round(30 + i * step - 4)}" y="${round(height - 20 - h)}" width="8" height="${round(h)}" fill="${p.runId === current ? '#90caf9' : '#e0e0e0'}"><title>${esc(p.runId)}: ${p.status}, sent ${p.sent}, failed ${p.failed}, ${p.seconds === undefined ? 'duration unknown' : `${round(p.seconds)} s`}</title></rect>`;
    })
    .join('');
  const lines =
    polyline(
      points.map((p) => p.sent),
      maxCount,
      step,
      height,
      BUCKET_COLORS.created,
      'sent',
    ) +
    polyline(
      points.map((p) => p.failed),
      maxCount,
      step,
      height,
      BUCKET_COLORS.failed,
      'failed',
    );
  const dots = points
    .flatMap((p, i) =>
      (['sent', 'failed'] as const).map(
        (k) =>
          `<circle class="pt-${k}" cx="${round(30 + i * step)}" cy="${round(height - 20 - (p[k] / maxCount) * (height - 40))}" r="3" fill="${k === 'sent' ? BUCKET_COLORS.created : BUCKET_COLORS.failed}"/>`,
      ),
    )
    .join('');
  const labels = `<text x="30" y="12">sent (green) and failed (red) records, max ${maxCount}; duration (bars), max ${round(maxSeconds)} s</text>`;
  return `<svg class="trend" width="${width}" height="${height}" role="img" aria-label="trend of the last ${points.length} runs">${labels}${bars}${lines}${dots}</svg>`;
}
