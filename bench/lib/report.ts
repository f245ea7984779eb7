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
  detail?: Record<string, unknown>;
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

export interface DeltaBound {
  company: string;
  entity: string;
  changedRows: number;
  /** ceil(changed / 200): the requests the target allows. */
  allowedRequests: number;
  /** Upsert requests the run made for this company and entity, when observed. */
  requests?: number;
}

export function deltaBounds(
  changes: Array<{ company: string; entity: string; updated: number; inserted: number }>,
  requests: Record<string, number> | undefined,
  batchSize = 200,
): DeltaBound[] {
  return changes.map((c) => {
    const changedRows = c.updated + c.inserted;
    // With the run observed, a pair without an Upsert made no request.
    const observed = requests === undefined ? undefined : (requests[`${c.company}/${c.entity}`] ?? 0);
    return {
      company: c.company,
      entity: c.entity,
      changedRows,
      allowedRequests: Math.ceil(changedRows / batchSize),
      ...(observed === undefined ? {} : { requests: observed }),
    };
  });
}

export function evaluateTargets(p: {
  baseline?: PhaseFigures;
  full: PhaseFigures;
  unchanged: PhaseFigures;
  delta: PhaseFigures;
  limit: PhaseFigures;
  ratios: Ratios;
  deltaBounds: DeltaBound[];
  extractPeakRssMb?: number;
  extractRows?: number;
}): TargetResult[] {
  const { ratios } = p;
  const { baseline } = p;
  const out: TargetResult[] = [
    {
      name: 'full vs baseline: speed',
      target: '>= 20x records/s',
      measured: baseline ? `${ratios.fullSpeedupOverBaseline}x` : 'baseline not run',
      pass: baseline ? (ratios.fullSpeedupOverBaseline ?? 0) >= 20 : null,
    },
    {
      name: 'full vs baseline: Salesforce calls',
      target: '<= 1/150 of the baseline',
      measured: baseline
        ? `${p.full.salesforceCalls} vs ${baseline.salesforceCalls} (1/${ratios.baselineCallsPerFullCall})`
        : 'baseline not run',
      pass: baseline ? p.full.salesforceCalls * 150 <= baseline.salesforceCalls : null,
    },
    {
      name: 'unchanged: Salesforce data calls',
      target: '0',
      measured: String(p.unchanged.salesforceDataCalls),
      pass: p.unchanged.salesforceDataCalls === 0,
    },
    {
      name: 'unchanged: time',
      target: "<= 10% of the full run's",
      measured: `${round(ratios.unchangedTimeShareOfFull * 100, 1)}% (${round(p.unchanged.seconds, 2)} s vs ${round(p.full.seconds, 2)} s)`,
      pass: ratios.unchangedTimeShareOfFull <= 0.1,
    },
  ];
  const allowed = p.deltaBounds.reduce((a, b) => a + b.allowedRequests, 0);
  const perPairKnown = p.deltaBounds.every((b) => b.requests !== undefined);
  const worst = p.deltaBounds.filter((b) => (b.requests ?? 0) > b.allowedRequests);
  const perPair = perPairKnown
    ? worst.length === 0
      ? 'every company/entity within its bound'
      : `over: ${worst.map((b) => `${b.company}/${b.entity} ${b.requests}>${b.allowedRequests}`).join(', ')}`
    : 'per company/entity not observed';
  out.push({
    name: 'delta: Salesforce data calls',
    target: '<= ceil(changed/200) per company and entity',
    measured: `${p.delta.salesforceDataCalls} calls, allowed ${allowed}; ${perPair}`,
    pass: p.delta.salesforceDataCalls <= allowed && worst.length === 0,
  });
  out.push({
    name: 'full vs limit: throughput',
    target: ">= 60% of the limit's records/s",
    measured: `${round(ratios.fullShareOfLimit * 100, 1)}%`,
    pass: ratios.fullShareOfLimit >= 0.6,
  });
  if (p.extractPeakRssMb !== undefined) {
    out.push({
      name: `extract of ${(p.extractRows ?? 0).toLocaleString('en-US')} rows: peak memory`,
      target: '< 300 MB',
      measured: `${p.extractPeakRssMb} MB`,
      pass: p.extractPeakRssMb < 300,
    });
  }
  return out;
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
    ]),
    [false, true, true, true, true, true, false, true, true, true, true],
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
