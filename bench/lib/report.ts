/** Figures per phase, the ratios and targets, and the table printed on stdout. */

export interface PhaseFigures {
  /** Rows the phase worked through: read from the views (baseline, sync runs) or upserted (limit). */
  records: number;
  /** Records sent to Salesforce (created + updated + failed). */
  sent: number;
  seconds: number;
  recordsPerSecond: number;
  /** Requests the Salesforce emulator received during the phase, OAuth included. */
  salesforceCalls: number;
  /** The same without OAuth token requests. */
  salesforceDataCalls: number;
  salesforceCallsByKind: Record<string, number>;
  dynamodbCalls: number;
  /** Records the Salesforce emulator failed UNABLE_TO_LOCK_ROW in the phase (its `counters().lockConflicts`). */
  lockConflicts: number;
  /** Failed records per Salesforce status code (baseline and limit: their clients; sync: its failure items). */
  failuresByCode?: Record<string, number>;
  /** DynamoDB calls per operation, with the milliseconds they took (summed, concurrent calls overlap). */
  dynamodbCallsByKind?: Record<string, { calls: number; ms: number }>;
  /** Kernel maximum RSS of the phase's own process (MB). */
  peakRssMb: number;
  /** RSS of that process when the phase started, code loaded (MB). */
  startRssMb: number;
  peakHeapUsedMb: number;
  /** CPU time (user + system) of the phase's process during the phase. */
  cpuSeconds: number;
  /** CPU time of the parent process (SQL Server and Salesforce emulators) meanwhile. */
  emulatorsCpuSeconds: number;
  /** CPU time of dynalite's process meanwhile. */
  dynamoCpuSeconds: number;
  /** Lambda invocations by function key, every function listed (0 when not invoked); sync phases only. */
  invocations?: Record<string, number>;
  /** History events the parent execution would record in AWS; sync phases only. */
  historyEvents?: number;
  /** The largest Distributed Map child execution's history events (0 without a child). */
  maxChildHistoryEvents?: number;
  childExecutions?: number;
  /** Records removed from Salesforce (bucket `deleted`); the deletes phase. */
  deleted?: number;
  detail?: Record<string, unknown>;
}

/** The functions of serverless.yml, as the local runner keys them. */
export const FUNCTION_KEYS = ['plan', 'authenticate', 'extract', 'transform', 'upsert', 'report'] as const;

/** Invocations by function key with every function listed (0 when not invoked), then any other key the runner counted. */
export function invocationsOf(counted: Record<string, number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of FUNCTION_KEYS) out[k] = counted?.[k] ?? 0;
  for (const [k, n] of Object.entries(counted ?? {})) out[k] = n;
  return out;
}

/** The initial load (issue 11): one entity of a fresh org through the Bulk path. */
export interface InitialFigures {
  view: string;
  /** Whether the phase ran (it does not at full size while the definition has no Bulk path). */
  ran: boolean;
  /** Rows generated in the view. */
  rows: number;
  /** Rows extracted from the view. */
  records: number;
  seconds: number;
  status: string;
  /** Salesforce requests in the phase, OAuth included, and by the emulator's endpoint keys. */
  salesforceCalls: number;
  salesforceCallsByKind: Record<string, number>;
  historyEvents: number;
  maxChildHistoryEvents: number;
  childExecutions: number;
  invocations: Record<string, number>;
  /** Peak RSS (kernel high-water mark) of each function's containers, the largest one, MB. */
  peakRssMbByFunction: Record<string, number>;
  /** Containers each function needed (its concurrent invocations at the peak). */
  containersByFunction?: Record<string, number>;
  /** The phase's own process: the local state machine runner, no function code run in it (MB). */
  runnerPeakRssMb?: number;
  /** The run's buckets (created, updated, unchanged, rejected, failed, skipped, deleted, left). */
  buckets: Record<string, number>;
  /** Buckets add up: created + updated + unchanged + rejected + failed + skipped + deleted = extracted + left. */
  accounted: boolean;
  /** Whether any Bulk API 2.0 request reached Salesforce. */
  bulkPathRan: boolean;
  /** The entity's error in the run summary, when it failed. */
  entityError?: string;
  /** Bulk API 2.0 requests, and sObject Collections requests (records the jobs left to Collections). */
  bulkCalls?: number;
  collectionsCalls?: number;
  note: string;
}

export interface TargetResult {
  name: string;
  target: string;
  measured: string;
  /** null: not measured in this run (--skip-baseline). */
  pass: boolean | null;
}

export interface Ratios {
  /** How many times faster the full run is than the baseline (records per second); null without a baseline. */
  fullSpeedupOverBaseline: number | null;
  /** Baseline Salesforce calls per full-run call; null without a baseline. */
  baselineCallsPerFullCall: number | null;
  /** Unchanged rerun's time as a share of the full run's. */
  unchangedTimeShareOfFull: number;
  /** Full run's sent records per second as a share of the limit's. */
  fullShareOfLimit: number;
}

export const round = (n: number, digits = 2): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

const ratio = (a: number, b: number): number => (b === 0 ? (a === 0 ? 1 : Number.POSITIVE_INFINITY) : a / b);

export function phaseRate(records: number, seconds: number): number {
  return seconds > 0 ? round(records / seconds, 1) : 0;
}

export function computeRatios(p: {
  baseline?: PhaseFigures;
  full: PhaseFigures;
  unchanged: PhaseFigures;
  limit: PhaseFigures;
}): Ratios {
  return {
    fullSpeedupOverBaseline: p.baseline
      ? round(ratio(p.full.recordsPerSecond, p.baseline.recordsPerSecond), 1)
      : null,
    baselineCallsPerFullCall: p.baseline
      ? round(ratio(p.baseline.salesforceCalls, p.full.salesforceCalls), 1)
      : null,
    unchangedTimeShareOfFull: round(ratio(p.unchanged.seconds, p.full.seconds), 3),
    fullShareOfLimit: round(ratio(p.full.sent / p.full.seconds, p.limit.sent / p.limit.seconds), 3),
  };
}

/** Per company and entity: the rows a phase had to send (or remove), what the targets allow, what the run did. */
export interface PairBound {
  company: string;
  entity: string;
  /** Rows changed in the source (delta), records removed (deletes) or sent (full). */
  changedRows: number;
  /** ceil(rows / 200): the Salesforce requests the target wants, exactly. */
  allowedRequests: number;
  /** Requests the run made for this company and entity, when observed. */
  requests?: number;
  /** ceil(rows / pageSize): the Transform invocations the target allows at most (delta). */
  allowedTransforms?: number;
  transforms?: number;
}

/** @deprecated name kept for callers: a PairBound. */
export type DeltaBound = PairBound;

export interface ObservedPairs {
  /** Requests per "COMPANY/entity" (Upsert's or Remove's). */
  requests?: Record<string, number>;
  /** Transform invocations per "COMPANY/entity". */
  transforms?: Record<string, number>;
  /** The entity's pageSize, to bound its Transform invocations. */
  pageSizeOf?: (entity: string) => number;
}

/** Bounds per pair from rows per pair: `rows` is what had to travel (changed, removed or sent). */
export function pairBounds(
  pairs: Array<{ company: string; entity: string; rows: number }>,
  observed: ObservedPairs = {},
  batchSize = 200,
): PairBound[] {
  return pairs.map((c) => {
    const pair = `${c.company}/${c.entity}`;
    const pageSize = observed.pageSizeOf?.(c.entity);
    return {
      company: c.company,
      entity: c.entity,
      changedRows: c.rows,
      allowedRequests: Math.ceil(c.rows / batchSize),
      // With the run observed, a pair without a request made none.
      ...(observed.requests === undefined ? {} : { requests: observed.requests[pair] ?? 0 }),
      ...(pageSize === undefined ? {} : { allowedTransforms: Math.ceil(c.rows / pageSize) }),
      ...(observed.transforms === undefined ? {} : { transforms: observed.transforms[pair] ?? 0 }),
    };
  });
}

/** The delta's bounds: changed rows are the updated and inserted ones (deleted keys are not sent). */
export function deltaBounds(
  changes: Array<{ company: string; entity: string; updated: number; inserted: number }>,
  requests: Record<string, number> | undefined,
  batchSize = 200,
  more: Omit<ObservedPairs, 'requests'> = {},
): PairBound[] {
  return pairBounds(
    changes.map((c) => ({ company: c.company, entity: c.entity, rows: c.updated + c.inserted })),
    { ...more, ...(requests === undefined ? {} : { requests }) },
    batchSize,
  );
}

/** "every company/entity exact" or the pairs that are not, as "CO/entity made>wanted". */
function exactText(bounds: PairBound[]): { pass: boolean; text: string } {
  if (!bounds.every((b) => b.requests !== undefined))
    return { pass: false, text: 'per company/entity not observed' };
  const off = bounds.filter((b) => b.requests !== b.allowedRequests);
  if (off.length === 0) return { pass: true, text: 'every company/entity exact' };
  return {
    pass: false,
    text: `off: ${off.map((b) => `${b.company}/${b.entity} ${b.requests}!=${b.allowedRequests}`).join(', ')}`,
  };
}

function callLimitTarget(
  name: string,
  rowsName: string,
  phase: PhaseFigures,
  bounds: PairBound[],
): TargetResult {
  const wanted = bounds.reduce((a, b) => a + b.allowedRequests, 0);
  const exact = exactText(bounds);
  return {
    name: `${name}: Salesforce data calls`,
    target: `= ceil(${rowsName}/200) per company and entity`,
    measured: `${phase.salesforceDataCalls} calls, wanted ${wanted}; ${exact.text}`,
    pass: exact.pass && phase.salesforceDataCalls === wanted,
  };
}

/**
 * The full run: at most the Collections call limit per company and entity. Entities above their
 * bulkThreshold go by Bulk API 2.0 (a few job requests; Upsert's Collections requests only for the
 * records a job left), so only the upper bound holds for every pair.
 */
function fullCallsTarget(phase: PhaseFigures, bounds: PairBound[]): TargetResult {
  const wanted = bounds.reduce((a, b) => a + b.allowedRequests, 0);
  const known = bounds.every((b) => b.requests !== undefined);
  const over = bounds.filter((b) => (b.requests ?? 0) > b.allowedRequests);
  const below = bounds
    .filter((b) => (b.requests ?? 0) < b.allowedRequests)
    .map((b) => `${b.company}/${b.entity}`);
  return {
    name: 'full: Salesforce data calls',
    target: '<= ceil(sent/200) per company and entity',
    measured: `${phase.salesforceDataCalls} calls, limit ${wanted}; ${
      !known
        ? 'per company/entity not observed'
        : over.length > 0
          ? `over: ${over.map((b) => `${b.company}/${b.entity} ${b.requests}>${b.allowedRequests}`).join(', ')}`
          : below.length > 0
            ? `below (Bulk API 2.0 or fewer): ${below.join(', ')}`
            : 'every company/entity at the limit'
    }`,
    pass: known && over.length === 0 && phase.salesforceDataCalls <= wanted,
  };
}

function transformTarget(phase: PhaseFigures, bounds: PairBound[]): TargetResult {
  const allowed = bounds.reduce((a, b) => a + (b.allowedTransforms ?? 0), 0);
  const known = bounds.every((b) => b.transforms !== undefined && b.allowedTransforms !== undefined);
  const over = bounds.filter((b) => (b.transforms ?? 0) > (b.allowedTransforms ?? 0));
  return {
    name: 'delta: Transform invocations',
    target: '<= ceil(changed/pageSize) per company and entity',
    measured: `${phase.invocations?.transform ?? 0}, allowed ${allowed}; ${
      !known
        ? 'per company/entity not observed'
        : over.length === 0
          ? 'every company/entity within'
          : `over: ${over.map((b) => `${b.company}/${b.entity} ${b.transforms}>${b.allowedTransforms}`).join(', ')}`
    }`,
    pass: known && over.length === 0,
  };
}

/**
 * DynamoDB calls an unchanged run may make whatever the views' size: per company and entity the
 * lease taken and given back, the run's entity record, the snapshot's HEAD and base (one Query
 * reads ≥ 20,000 entries), the Report's reads; per run Plan's and Report's run record and the token
 * cache. Measured at 10 a pair plus 1 at 400 rows (bench --quick): 12 a pair and 10 a run leave
 * room for an SDK retry without letting a per-row cost hide (10,000 rows would add 5).
 */
export const UNCHANGED_DYNAMO_PER_PAIR = 12;
export const UNCHANGED_DYNAMO_PER_RUN = 10;

export function unchangedDynamoAllowed(rows: number, pairs: number): number {
  return Math.ceil(rows / 2000) + UNCHANGED_DYNAMO_PER_PAIR * pairs + UNCHANGED_DYNAMO_PER_RUN;
}

/** ≤ 10% of the full run's time up to 10,000 rows, ≤ 5% from 100,000 rows (issue 10), linear between. */
export function unchangedTimeShareAllowed(rows: number): number {
  if (rows <= 10_000) return 0.1;
  if (rows >= 100_000) return 0.05;
  return round(0.1 - (0.05 * (rows - 10_000)) / 90_000, 4);
}

function unchangedTargets(p: TargetInput): TargetResult[] {
  const u = p.unchanged;
  const transforms = u.invocations?.transform ?? 0;
  const upserts = u.invocations?.upsert ?? 0;
  const dynamoAllowed = unchangedDynamoAllowed(p.rows, p.pairs);
  const share = unchangedTimeShareAllowed(p.rows);
  return [
    {
      name: 'unchanged: Salesforce data calls',
      target: '0',
      measured: String(u.salesforceDataCalls),
      pass: u.salesforceDataCalls === 0,
    },
    {
      name: 'unchanged: Transform and Upsert invocations',
      target: '0 and 0',
      measured: u.invocations ? `${transforms} and ${upserts}` : 'not observed',
      pass: u.invocations ? transforms === 0 && upserts === 0 : false,
    },
    {
      name: 'unchanged: DynamoDB calls',
      target: `<= rows/2000 + ${UNCHANGED_DYNAMO_PER_PAIR}/entity + ${UNCHANGED_DYNAMO_PER_RUN}`,
      measured: `${u.dynamodbCalls}, allowed ${dynamoAllowed} (${p.rows.toLocaleString('en-US')} rows, ${p.pairs} company/entity pairs)`,
      pass: u.dynamodbCalls <= dynamoAllowed,
    },
    {
      name: 'unchanged: time',
      target: `<= ${round(share * 100, 1)}% of the full run's`,
      measured: `${round(p.ratios.unchangedTimeShareOfFull * 100, 1)}% (${round(u.seconds, 2)} s vs ${round(p.full.seconds, 2)} s)`,
      pass: p.ratios.unchangedTimeShareOfFull <= share,
    },
    historyTarget(p),
  ];
}

/** The unchanged run's history against a run at another size (the reference file), and no child execution. */
function historyTarget(p: TargetInput): TargetResult {
  const u = p.unchanged;
  const name = 'unchanged: history events independent of view size';
  const children = u.childExecutions ?? 0;
  const ref = p.reference;
  if (u.historyEvents === undefined) return { name, target: '', measured: 'not observed', pass: false };
  if (!ref || ref.rows === p.rows) {
    return {
      name,
      target: 'same as a run at another size',
      measured: `${u.historyEvents} events, ${children} child executions; no run at another size of this definition to compare`,
      pass: null,
    };
  }
  return {
    name,
    target: `= the ${ref.rows.toLocaleString('en-US')}-row run's, no child execution`,
    measured: `${u.historyEvents} vs ${ref.unchangedHistoryEvents} (${ref.file}); ${children} child executions`,
    pass: u.historyEvents === ref.unchangedHistoryEvents && children === 0,
  };
}

function baselineTargets(p: TargetInput): TargetResult[] {
  const { baseline, ratios } = p;
  return [
    {
      name: 'full vs baseline: speed',
      target: '>= 100x records/s',
      measured: baseline ? `${ratios.fullSpeedupOverBaseline}x` : 'baseline not run',
      pass: baseline ? (ratios.fullSpeedupOverBaseline ?? 0) >= 100 : null,
    },
  ];
}

export interface TargetInput {
  baseline?: PhaseFigures;
  full: PhaseFigures;
  unchanged: PhaseFigures;
  delta: PhaseFigures;
  deletes?: PhaseFigures;
  limit: PhaseFigures;
  ratios: Ratios;
  /** Source rows over every view, and how many company/entity pairs they are in. */
  rows: number;
  pairs: number;
  fullBounds?: PairBound[];
  deltaBounds: PairBound[];
  deleteBounds?: PairBound[];
  /** A run at another size, for the unchanged run's history events. */
  reference?: { rows: number; unchangedHistoryEvents: number; file: string };
  extractPeakRssMb?: number;
  extractRows?: number;
  initial?: InitialFigures;
}

export function evaluateTargets(p: TargetInput): TargetResult[] {
  const out: TargetResult[] = [...baselineTargets(p)];
  if (p.fullBounds) out.push(fullCallsTarget(p.full, p.fullBounds));
  out.push(...unchangedTargets(p));
  out.push(callLimitTarget('delta', 'changed', p.delta, p.deltaBounds));
  out.push(transformTarget(p.delta, p.deltaBounds));
  if (p.deletes && p.deleteBounds) out.push(callLimitTarget('deletes', 'deleted', p.deletes, p.deleteBounds));
  out.push({
    name: 'full vs limit: throughput',
    target: ">= 50% of the limit's records/s",
    measured: `${round(p.ratios.fullShareOfLimit * 100, 1)}%`,
    pass: p.ratios.fullShareOfLimit >= 0.5,
  });
  if (p.extractPeakRssMb !== undefined) {
    out.push({
      name: `extract of ${(p.extractRows ?? 0).toLocaleString('en-US')} rows: peak memory`,
      target: '< 300 MB',
      measured: `${p.extractPeakRssMb} MB`,
      pass: p.extractPeakRssMb < 300,
    });
  }
  if (p.initial) out.push(...initialTargets(p.initial));
  return out;
}

/** The buckets of a run summary add up to the rows extracted plus the keys that left. */
export function bucketsAddUp(t: Record<string, number>): boolean {
  const n = (k: string) => t[k] ?? 0;
  const acted = ['created', 'updated', 'unchanged', 'rejected', 'failed', 'skipped', 'deleted'];
  return acted.reduce((a, k) => a + n(k), 0) === n('extracted') + n('left');
}

export const INITIAL_MAX_CALLS = 60;
export const FUNCTION_RSS_LIMIT_MB = 512;
export const PARENT_HISTORY_LIMIT = 2000;
export const CHILD_HISTORY_LIMIT = 25_000;

export function initialTargets(i: InitialFigures): TargetResult[] {
  const rows = i.rows.toLocaleString('en-US');
  const rss = Object.entries(i.peakRssMbByFunction);
  const over = rss.filter(([, mb]) => mb >= FUNCTION_RSS_LIMIT_MB);
  const measured: TargetResult[] = [
    {
      name: 'initial: Bulk API 2.0 path',
      target: 'the entity goes Bulk',
      measured: i.bulkPathRan ? bulkText(i.salesforceCallsByKind) : `Bulk path did NOT run: ${i.note}`,
      pass: i.bulkPathRan,
    },
    {
      name: `initial (${rows} rows): Salesforce calls`,
      target: `<= ${INITIAL_MAX_CALLS}`,
      measured: `${i.salesforceCalls}`,
      pass: i.salesforceCalls <= INITIAL_MAX_CALLS,
    },
    {
      name: 'initial: every record in a bucket',
      target: 'buckets = extracted + left',
      measured: `${Object.entries(i.buckets)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${k} ${fmt(n)}`)
        .join(', ')} (${i.status})`,
      pass: i.accounted && i.records > 0,
    },
    {
      name: 'initial: every record loaded',
      target: 'failed 0 (a fresh org, clean rows)',
      measured: `created ${fmt(i.buckets.created ?? 0)}, failed ${fmt(i.buckets.failed ?? 0)}${i.entityError ? `: ${i.entityError.slice(0, 200)}` : ''}`,
      pass: i.records > 0 && (i.buckets.failed ?? 0) === 0,
    },
    {
      name: 'initial: peak RSS of every function',
      target: `< ${FUNCTION_RSS_LIMIT_MB} MB`,
      measured: rss.length === 0 ? 'not measured' : rss.map(([k, mb]) => `${k} ${mb}`).join(', '),
      pass: rss.length > 0 && over.length === 0,
    },
    {
      name: 'initial: history events',
      target: `parent <= ${fmt(PARENT_HISTORY_LIMIT)}, children <= ${fmt(CHILD_HISTORY_LIMIT)}`,
      measured: `parent ${fmt(i.historyEvents)}, largest child ${fmt(i.maxChildHistoryEvents)} of ${fmt(i.childExecutions)}`,
      pass: i.historyEvents <= PARENT_HISTORY_LIMIT && i.maxChildHistoryEvents <= CHILD_HISTORY_LIMIT,
    },
  ];
  if (i.ran) return measured;
  // Not run: the Bulk path's absence is the finding; the rest was not measured.
  return measured.map((t, n) => (n === 0 ? t : { ...t, measured: 'not run', pass: null }));
}

/** "N Bulk API 2.0 requests, J job(s)". */
export function bulkText(byKind: Record<string, number>): string {
  const bulk = bulkKinds(byKind);
  const n = Object.values(bulk).reduce((a, b) => a + b, 0);
  return `${fmt(n)} Bulk API 2.0 requests, ${fmt(bulk['bulk.ingest.create'] ?? 0)} job(s)`;
}

/** The Bulk API 2.0 endpoint keys of the emulator's counters. */
export function bulkKinds(byKind: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(byKind).filter(([k]) => k.startsWith('bulk.')));
}

function pad(text: string, width: number, right = false): string {
  return right ? text.padStart(width) : text.padEnd(width);
}

/** A plain-text table: header, rule, rows; numbers right-aligned. */
export function table(headers: string[], rows: string[][], rightAligned: boolean[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, widths[i] ?? 0, rightAligned[i] ?? false))
      .join('  ')
      .trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Short names for the emulator's endpoint keys in the table. */
export function kindsText(byKind: Record<string, number>): string {
  return Object.entries(byKind)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k.replace(/^composite\.sobjects\./, 'collections.')} ${fmt(n)}`)
    .join(', ');
}

export function phaseTable(phases: Array<[string, PhaseFigures]>): string {
  return table(
    [
      'phase',
      'records',
      'sent',
      'seconds',
      'records/s',
      'SF calls',
      'SF calls by kind',
      'lock conflicts',
      'DynamoDB',
      'peak RSS MB',
      'CPU s own / emulators / dynalite',
      'history events (largest child)',
    ],
    phases.map(([name, p]) => [
      name,
      fmt(p.records),
      fmt(p.sent),
      fmt(p.seconds, 2),
      fmt(p.recordsPerSecond, 1),
      fmt(p.salesforceCalls),
      kindsText(p.salesforceCallsByKind) || '-',
      fmt(p.lockConflicts),
      fmt(p.dynamodbCalls),
      fmt(p.peakRssMb, 1),
      `${fmt(p.cpuSeconds, 1)} / ${fmt(p.emulatorsCpuSeconds, 1)} / ${fmt(p.dynamoCpuSeconds, 1)}`,
      p.historyEvents === undefined ? '-' : `${fmt(p.historyEvents)} (${fmt(p.maxChildHistoryEvents ?? 0)})`,
    ]),
    [false, true, true, true, true, true, false, true, true, true, true, true],
  );
}

export function targetTable(targets: TargetResult[]): string {
  return table(
    ['target', 'wanted', 'measured', 'result'],
    targets.map((t) => [t.name, t.target, t.measured, t.pass === null ? 'SKIP' : t.pass ? 'PASS' : 'MISS']),
    [false, false, false, false],
  );
}

/** One line per phase that saw failed records: their count per Salesforce status code. */
export function failureLines(phases: Array<[string, PhaseFigures]>): string[] {
  return phases
    .filter(([, p]) => p.failuresByCode && Object.keys(p.failuresByCode).length > 0)
    .map(
      ([name, p]) =>
        `  ${name.padEnd(10)} ${Object.entries(p.failuresByCode ?? {})
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([code, n]) => `${code} ${fmt(n)}`)
          .join(', ')}`,
    );
}

/** One line per sync phase: Lambda invocations by function (0 included). */
export function invocationLines(phases: Array<[string, PhaseFigures]>): string[] {
  return phases
    .filter(([, p]) => p.invocations !== undefined)
    .map(
      ([name, p]) =>
        `  ${name.padEnd(10)} ${Object.entries(p.invocations ?? {})
          .map(([k, n]) => `${k} ${fmt(n)}`)
          .join(', ')}${p.childExecutions ? `; ${fmt(p.childExecutions)} child executions` : ''}`,
    );
}

/** The initial phase in a few lines. */
export function initialLines(i: InitialFigures): string[] {
  if (!i.ran) return [`initial: ${i.rows.toLocaleString('en-US')} rows of ${i.view}: ${i.note}`];
  const rss = Object.entries(i.peakRssMbByFunction)
    .map(([k, mb]) => `${k} ${fmt(mb, 1)}`)
    .join(', ');
  return [
    `initial: ${fmt(i.records)} rows of ${i.view} into a fresh org in ${fmt(i.seconds, 1)} s (${i.status}), ${i.bulkPathRan ? 'Bulk API 2.0' : `NOT by Bulk API 2.0: ${i.note}`}`,
    `  Salesforce ${fmt(i.salesforceCalls)} calls (Bulk ${fmt(i.bulkCalls ?? 0)}, Collections ${fmt(i.collectionsCalls ?? 0)}): ${kindsText(i.salesforceCallsByKind) || '-'}`,
    `  history events: parent ${fmt(i.historyEvents)}, largest child ${fmt(i.maxChildHistoryEvents)} of ${fmt(i.childExecutions)} children`,
    `  peak RSS MB by function (largest container): ${rss || '-'}; runner ${fmt(i.runnerPeakRssMb ?? 0, 1)}`,
    `  invocations: ${Object.entries(i.invocations)
      .map(([k, n]) => `${k} ${fmt(n)}`)
      .join(', ')}`,
  ];
}

/** One line per phase: its DynamoDB calls by operation. */
export function dynamoLines(phases: Array<[string, PhaseFigures]>): string[] {
  return phases
    .filter(([, p]) => p.dynamodbCallsByKind && Object.keys(p.dynamodbCallsByKind).length > 0)
    .map(
      ([name, p]) =>
        `  ${name.padEnd(10)} ${Object.entries(p.dynamodbCallsByKind ?? {})
          .map(([k, v]) => `${k} ${fmt(v.calls)} (${fmt(v.ms)} ms)`)
          .join(', ')}`,
    );
}
