/**
 * `npm run bench`: sf-sync against the one-record-at-a-time system it replaces, side by side, on
 * the same generated data, the same emulators and the same per-request latency. See --help.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/core/config/load.js';
import { startSalesforceEmulator } from '../src/emulators/salesforce/index.js';
import { changeRows } from '../src/emulators/sqlserver/index.js';
import { startLocalEnvironment } from '../src/local/environment.js';
import type { BaselineResult } from './baseline.js';
import { bundleWorker, type PhaseOutcome, runPhase } from './lib/child.js';
import { pairsOverGuard, writeDeletesConfig } from './lib/deletes.js';
import { syncFailuresByCode } from './lib/failures.js';
import { initialPhase, RUN_WITHOUT_BULK_ROWS } from './lib/initial.js';
import type { LimitResult } from './lib/limit.js';
import { maxRssMb, RssSampler } from './lib/memory.js';
import type { ObservedFigures } from './lib/observe.js';
import { type BenchOptions, BenchUsageError, HELP, parseBenchArgs } from './lib/options.js';
import type { SalesforceLogin } from './lib/phases.js';
import { descendantPeakRssMb } from './lib/proc.js';
import { startProfiler } from './lib/profiler.js';
import {
  computeRatios,
  deltaBounds,
  dynamoLines,
  evaluateTargets,
  failureLines,
  type InitialFigures,
  initialLines,
  invocationLines,
  invocationsOf,
  type PairBound,
  type PhaseFigures,
  pairBounds,
  phaseRate,
  phaseTable,
  round,
  targetTable,
} from './lib/report.js';
import { type CompanySizes, sizesForRows, syncConcurrency, totalRows } from './lib/sizes.js';

interface SyncPhaseResult {
  runId: string;
  status: string;
  error?: string;
  seconds: number;
  summary?: {
    totals?: Record<string, number>;
    companies?: Record<string, { entities?: Record<string, Record<string, unknown>> }>;
    [k: string]: unknown;
  };
  salesforce: { apiCalls: number; dataCalls: number; authCalls: number };
  dynamodb: { calls: number };
  historyEvents: number;
  maxChildHistoryEvents: number;
  childExecutions: number;
  invocations: Record<string, number>;
  observed: ObservedFigures;
  dynamodbByKind: Record<string, { calls: number; ms: number }>;
}

type Counters = { apiUsage: number; byEndpoint: Record<string, number>; lockConflicts: number };

const VIEW_OF: Record<string, 'terceros_view' | 'sucursales_view' | 'acuerdos_view'> = {
  terceros: 'terceros_view',
  sucursales: 'sucursales_view',
  acuerdos: 'acuerdos_view',
};

const MARKER = '.sf-sync-bench';

type Change = { company: string; entity: string; updated: number; inserted: number; deleted: number };

/** Changes a share (1%) of every company's views in the SQL Server emulator's data folder. */
async function changeViews(
  config: ReturnType<typeof loadConfig>,
  dataDir: string,
  kinds: { updated?: number; inserted?: number; deleted?: number },
  seed: number,
): Promise<Change[]> {
  const out: Change[] = [];
  for (const company of config.companies) {
    for (const entity of config.entities) {
      const view = VIEW_OF[entity.name];
      if (!view) continue;
      // Only the kinds given: { deleted: 1 } removes rows and changes nothing else.
      const only =
        Object.keys(kinds).length > 0 ? { updated: 0, inserted: 0, deleted: 0, ...kinds } : undefined;
      const counts = await changeRows({
        dataDir,
        company,
        view,
        share: 0.01,
        seed,
        ...(only ? { kinds: only } : {}),
      });
      out.push({ company, entity: entity.name, ...counts });
    }
  }
  return out;
}

/** The config file the sync reads (loadConfig's rule), which the deletes phase copies. */
const configSource = () => process.env.SYNC_CONFIG_PATH ?? path.resolve('config', 'sync.config.json');

/** Wipes the scratch folder, refusing one that exists, holds files and was not made by the bench. */
function wipeScratch(root: string): void {
  if (existsSync(root) && readdirSync(root).length > 0 && !existsSync(path.join(root, MARKER))) {
    throw new BenchUsageError(
      `--data-dir ${root} holds files the bench did not make; give an empty or new folder (it is wiped on every run)`,
    );
  }
  rmSync(root, { recursive: true, force: true });
}

const say = (line: string) => process.stderr.write(`${line}\n`);

/** What the phase's Salesforce emulator counted: requests by kind and records failed on row locks. */
function callsFrom(
  counters: Counters,
): Pick<PhaseFigures, 'salesforceCalls' | 'salesforceDataCalls' | 'salesforceCallsByKind' | 'lockConflicts'> {
  const byKind = counters.byEndpoint;
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return {
    salesforceCalls: total,
    salesforceDataCalls: total - (byKind['oauth.token'] ?? 0),
    salesforceCallsByKind: byKind,
    lockConflicts: counters.lockConflicts,
  };
}

function summaryTotal(summary: SyncPhaseResult['summary'], key: string): number {
  const totals = (summary?.totals ?? {}) as Record<string, unknown>;
  const value = totals[key];
  return typeof value === 'number' ? value : 0;
}

/** One bucket of every company/entity of a run summary, e.g. how many records each deleted. */
function perPair(
  summary: SyncPhaseResult['summary'],
  rows: (counts: Record<string, unknown>) => number,
): Array<{ company: string; entity: string; rows: number }> {
  const out: Array<{ company: string; entity: string; rows: number }> = [];
  for (const [company, c] of Object.entries(summary?.companies ?? {})) {
    for (const [entity, counts] of Object.entries(c.entities ?? {}))
      out.push({ company, entity, rows: rows(counts) });
  }
  return out;
}

const count = (counts: Record<string, unknown>, key: string) =>
  typeof counts[key] === 'number' ? (counts[key] as number) : 0;

function syncFigures(result: SyncPhaseResult, counters: Counters, memory: PhaseFigures): PhaseFigures {
  const records = summaryTotal(result.summary, 'extracted');
  const sent =
    summaryTotal(result.summary, 'created') +
    summaryTotal(result.summary, 'updated') +
    summaryTotal(result.summary, 'failed');
  return {
    ...memory,
    records,
    sent,
    seconds: round(result.seconds, 3),
    recordsPerSecond: phaseRate(records, result.seconds),
    ...callsFrom(counters),
    dynamodbCalls: result.dynamodb.calls,
    dynamodbCallsByKind: result.dynamodbByKind,
    invocations: invocationsOf(result.invocations),
    historyEvents: result.historyEvents,
    maxChildHistoryEvents: result.maxChildHistoryEvents,
    childExecutions: result.childExecutions,
    deleted: summaryTotal(result.summary, 'deleted'),
    detail: {
      runId: result.runId,
      status: result.status,
      ...(result.error ? { error: result.error } : {}),
      totals: result.summary?.totals,
      clientCounters: result.salesforce,
      observed: result.observed,
    },
  };
}

function memoryPart(out: PhaseOutcome<unknown>): PhaseFigures {
  const m = out.memory;
  return {
    cpuSeconds: out.cpuSeconds,
    emulatorsCpuSeconds: out.emulatorsCpuSeconds,
    dynamoCpuSeconds: out.dynamoCpuSeconds,
    records: 0,
    sent: 0,
    seconds: 0,
    recordsPerSecond: 0,
    salesforceCalls: 0,
    salesforceDataCalls: 0,
    salesforceCallsByKind: {},
    lockConflicts: 0,
    dynamodbCalls: 0,
    peakRssMb: m.maxRssMb,
    startRssMb: m.startRssMb,
    peakHeapUsedMb: m.peakHeapUsedMb,
  };
}

/** SHA-1 of statemachines/sync.asl.yml (first 12 hex digits): runs of one definition compare. */
function definitionDigest(file = 'statemachines/sync.asl.yml'): string {
  return createHash('sha1').update(readFileSync(file)).digest('hex').slice(0, 12);
}

/**
 * The figures of a run at another size, for the unchanged run's history events (issue 10: they
 * must not grow with the views): bench/results/rows-<N>.json of the other size, or the previous
 * latest.json when its size differs.
 */
function readReference(
  out: string,
  rows: number,
  definition: string,
): { rows: number; unchangedHistoryEvents: number; file: string } | undefined {
  const dir = path.dirname(out);
  const candidates = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .map((f) => path.join(dir, f))
    : [];
  for (const file of candidates) {
    try {
      const r = JSON.parse(readFileSync(file, 'utf8')) as {
        data?: { rows?: number; definition?: string };
        unchanged?: { historyEvents?: number };
      };
      const n = r.data?.rows;
      const events = r.unchanged?.historyEvents;
      // History events are the definition's: only a run of the same definition compares.
      if (
        typeof n === 'number' &&
        n !== rows &&
        typeof events === 'number' &&
        r.data?.definition === definition
      ) {
        return { rows: n, unchangedHistoryEvents: events, file: path.relative(process.cwd(), file) };
      }
    } catch {
      // not a bench result
    }
  }
  return undefined;
}

async function bench(options: BenchOptions): Promise<number> {
  const wall = performance.now();
  const services = new RssSampler(200);
  const root = path.resolve(options.dataDir);
  const logs = path.join(root, 'logs');
  wipeScratch(root);
  mkdirSync(logs, { recursive: true });
  writeFileSync(path.join(root, MARKER), 'scratch folder of npm run bench; wiped by every run\n');
  // Beside node_modules, so what the bundle still loads at run time (asl-validator) resolves.
  // Beside node_modules, so what the bundle still loads at run time (asl-validator) resolves. With
  // --cpu-prof the phases run from the sources (through tsx) so profiles name real files.
  const profiles = path.join(root, 'profiles');
  const worker = options.cpuProf
    ? undefined
    : await bundleWorker(path.resolve('node_modules/.cache/sf-sync-bench'));
  const phaseOptions = (name: string) => ({
    logFile: path.join(logs, `${name}.log`),
    ...(worker ? { worker } : {}),
  });
  const profileOf = (name: string) =>
    options.cpuProf ? { profileFile: path.join(profiles, `${name}.cpuprofile`) } : {};
  const servicesProfiler = options.cpuProf ? await startProfiler() : undefined;
  const profiled = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    await servicesProfiler?.start();
    try {
      return await work();
    } finally {
      await servicesProfiler?.stop(path.join(profiles, `${name}-services.cpuprofile`));
    }
  };
  const config = loadConfig();
  const concurrency = syncConcurrency();
  const limitConcurrency = options.concurrency ?? concurrency.product;
  const sizes = sizesForRows(options.rows);
  const rows = totalRows(sizes);
  const faults = { latencyMs: options.latencyMs };
  say(
    `bench: ${rows.toLocaleString('en-US')} rows (${Object.entries(sizes)
      .map(([c, s]) => `${c} ${s.terceros}/${s.sucursales}/${s.acuerdos}`)
      .join(
        ', ',
      )}), latency ${options.latencyMs} ms, limit concurrency ${limitConcurrency}${options.quick ? ', quick' : ''}`,
  );
  say(`bench: phase logs in ${logs}`);

  // ---- the emulators: one SQL Server, dynalite, and a Salesforce per phase that must start empty ----
  const t0 = performance.now();
  const env = await startLocalEnvironment({
    config,
    dataDir: path.join(root, 'sync'),
    reset: true,
    sizes,
    faults,
  });
  const setupSeconds = (performance.now() - t0) / 1000;
  // The baseline keeps the seed's OAuth password grant: the seed's org is an old one that still
  // allows that flow (new orgs, like the sync's and the limit's, do not). Only the flow is
  // allowed; the org's data rules (duplicate rules, picklists, locks...) stay strict.
  const sfBaseline = await startSalesforceEmulator({
    port: 0,
    dataDir: path.join(root, 'salesforce-baseline'),
    reset: true,
    faults,
    allowPasswordFlow: true,
  });
  const sfLimit = await startSalesforceEmulator({
    port: 0,
    dataDir: path.join(root, 'salesforce-limit'),
    reset: true,
    faults,
  });
  const sfSync = env.salesforce;
  if (!sfSync) throw new Error('the local environment has no Salesforce emulator');
  const login = (sf: typeof sfBaseline): SalesforceLogin => ({
    loginUrl: sf.loginUrl,
    clientId: sf.credentials.clientId,
    clientSecret: sf.credentials.clientSecret,
    username: sf.credentials.username,
    password: sf.credentials.password,
    privateKeyPath: sf.credentials.privateKeyPath,
  });
  say(`bench: data generated and emulators started in ${setupSeconds.toFixed(1)} s`);

  const phases: Partial<
    Record<'baseline' | 'full' | 'unchanged' | 'delta' | 'deletes' | 'limit', PhaseFigures>
  > = {};
  const changes: Change[] = [];
  let fullBounds: PairBound[] | undefined;
  let deleteBounds: PairBound[] | undefined;
  let fullRunId = '';
  let otherServices: ReturnType<typeof descendantPeakRssMb> = [];
  try {
    // ---- 1. baseline ------------------------------------------------------------------------------
    if (!options.skipBaseline) {
      say('bench: baseline (the seed: one record at a time, sequential)...');
      sfBaseline.resetCounters();
      const baseline = await profiled('baseline', () =>
        runPhase<BaselineResult & { dynamodbByKind: Record<string, { calls: number; ms: number }> }>(
          {
            phase: 'baseline',
            salesforce: login(sfBaseline),
            tableName: 'sf-sync-bench-baseline',
            ...profileOf('baseline'),
          },
          phaseOptions('baseline'),
        ),
      );
      const b = baseline.result;
      phases.baseline = {
        ...memoryPart(baseline),
        records: b.records,
        sent: b.created + b.updated + b.failed,
        seconds: round(b.seconds, 3),
        recordsPerSecond: phaseRate(b.records, b.seconds),
        ...callsFrom(sfBaseline.counters()),
        failuresByCode: b.failuresByCode,
        dynamodbCalls: b.dynamodbCalls,
        dynamodbCallsByKind: b.dynamodbByKind,
        detail: {
          created: b.created,
          updated: b.updated,
          rejected: b.rejected,
          failed: b.failed,
          clientCounters: b.salesforce,
          entities: b.entities,
          errors: b.errors,
        },
      };
      say(
        `bench: baseline ${b.records} rows in ${b.seconds.toFixed(1)} s, ${phases.baseline.lockConflicts} lock conflicts`,
      );
    }

    // ---- 2-5. the sync: first run, unchanged rerun, after 1% changed, after 1% removed -------------
    const syncPhase = async (
      name: 'full' | 'unchanged' | 'delta' | 'deletes',
      extra: { input?: Record<string, unknown>; env?: Record<string, string> } = {},
    ) => {
      sfSync.resetCounters();
      const out = await profiled(name, () =>
        runPhase<SyncPhaseResult>(
          { phase: 'sync', input: extra.input ?? {}, ...profileOf(name) },
          { ...phaseOptions(name), ...(extra.env ? { env: extra.env } : {}) },
        ),
      );
      const figures = syncFigures(out.result, sfSync.counters(), memoryPart(out));
      if (out.result.status === 'FAILED') {
        throw new Error(
          `the ${name} sync run failed: ${out.result.error ?? 'unknown error'} (log: ${logs}/${name}.log)`,
        );
      }
      figures.failuresByCode = await syncFailuresByCode(env.app.store, out.result.runId);
      say(
        `bench: ${name} ${figures.records} rows, ${figures.sent} sent${name === 'deletes' ? `, ${figures.deleted} deleted` : ''} in ${figures.seconds.toFixed(2)} s, ${figures.lockConflicts} lock conflicts (${out.result.status})`,
      );
      return { figures, runId: out.result.runId, summary: out.result.summary };
    };
    const observedOf = (f: PhaseFigures) => f.detail?.observed as ObservedFigures | undefined;
    say('bench: full (sf-sync first run)...');
    const full = await syncPhase('full');
    phases.full = full.figures;
    fullRunId = full.runId;
    fullBounds = pairBounds(
      perPair(full.summary, (c) => count(c, 'created') + count(c, 'updated') + count(c, 'failed')),
      { requests: observedOf(full.figures)?.upsertRequests ?? {} },
    );
    say('bench: unchanged (sf-sync again, nothing changed)...');
    phases.unchanged = (await syncPhase('unchanged')).figures;

    say('bench: changing 1% of every view (70% updated, 20% new, 10% deleted)...');
    changes.push(...(await changeViews(config, path.join(root, 'sync', 'sqlserver'), {}, 7)));
    say('bench: delta (sf-sync after the change)...');
    phases.delta = (await syncPhase('delta')).figures;
    const deltaObserved = observedOf(phases.delta);
    phases.delta.detail = {
      ...phases.delta.detail,
      changes,
      bounds: deltaBounds(changes, deltaObserved?.upsertRequests, 200, {
        transforms: deltaObserved?.transforms ?? {},
        pageSizeOf: (entity) => config.entity(entity).pageSize,
      }),
    };

    say('bench: removing 1% of every view\'s rows (onDelete "delete" for every entity)...');
    const removals = await changeViews(config, path.join(root, 'sync', 'sqlserver'), { deleted: 1 }, 11);
    const removedSoFar = removals.map((r) => ({
      company: r.company,
      entity: r.entity,
      viewRows: sizes[r.company as keyof typeof sizes]?.[r.entity as keyof CompanySizes] ?? 0,
      removed:
        r.deleted + (changes.find((c) => c.company === r.company && c.entity === r.entity)?.deleted ?? 0),
    }));
    const confirmed = pairsOverGuard(removedSoFar);
    say('bench: deletes (sf-sync after the removal)...');
    const deletes = await syncPhase('deletes', {
      env: { SYNC_CONFIG_PATH: writeDeletesConfig(configSource(), root) },
      ...(confirmed.length > 0 ? { input: { allowMassDelete: confirmed } } : {}),
    });
    phases.deletes = deletes.figures;
    deleteBounds = pairBounds(
      perPair(deletes.summary, (c) => count(c, 'deleted')),
      { requests: observedOf(deletes.figures)?.removeRequests ?? {} },
    );
    phases.deletes.detail = {
      ...phases.deletes.detail,
      removedFromViews: removedSoFar,
      bounds: deleteBounds,
      guardConfirmedFor: confirmed,
    };

    // ---- 5. the limit -------------------------------------------------------------------------------
    say(
      `bench: limit (bare Collections upserts of the full run's records, ${limitConcurrency} in flight)...`,
    );
    sfLimit.resetCounters();
    const limit = await profiled('limit', () =>
      runPhase<LimitResult>(
        {
          phase: 'limit',
          runId: fullRunId,
          salesforce: login(sfLimit),
          concurrency: limitConcurrency,
          ...profileOf('limit'),
        },
        phaseOptions('limit'),
      ),
    );
    const l = limit.result;
    const limitCounters = sfLimit.counters();
    phases.limit = {
      ...memoryPart(limit),
      records: l.records,
      sent: l.records,
      seconds: round(l.seconds, 3),
      recordsPerSecond: phaseRate(l.records, l.seconds),
      ...callsFrom(limitCounters),
      failuresByCode: l.failuresByCode,
      dynamodbCalls: 0,
      detail: {
        succeeded: l.succeeded,
        failed: l.failed,
        requests: l.requests,
        concurrency: l.concurrency,
        errors: l.errors,
        note: 'the OAuth call and loading the records (from the full run staging) happen before the clock starts',
      },
    };
    say(
      `bench: limit ${l.records} records in ${l.seconds.toFixed(2)} s, ${phases.limit.lockConflicts} lock conflicts`,
    );
    otherServices = descendantPeakRssMb(process.pid);
  } finally {
    await env.stop();
    await sfBaseline.stop();
    await sfLimit.stop();
  }

  // ---- the extract Lambda on a big view -----------------------------------------------------------
  let million: Record<string, unknown> | undefined;
  if (!options.skipMillion) {
    const n = options.millionRows;
    say(`bench: extract memory: generating a ${n.toLocaleString('en-US')}-row terceros_view...`);
    const g0 = performance.now();
    const small = { terceros: 64, sucursales: 1, acuerdos: 1 };
    const menv = await startLocalEnvironment({
      config,
      dataDir: path.join(root, 'million'),
      reset: true,
      sizes: { ITALCOL: { terceros: n, sucursales: 1, acuerdos: 1 }, CASABLANCA: small, SANTA_REYES: small },
    });
    const generateSeconds = (performance.now() - g0) / 1000;
    say(`bench: generated in ${generateSeconds.toFixed(1)} s; running the extract handler...`);
    try {
      const out = await runPhase<{
        rows: number;
        pages: number;
        seconds: number;
        dynamodbByKind: Record<string, { calls: number; ms: number }>;
      }>(
        {
          phase: 'extract',
          runId: 'bench-extract',
          company: 'ITALCOL',
          entity: 'terceros',
          ...profileOf('extract'),
        },
        phaseOptions('extract'),
      );
      million = {
        view: 'ITALCOL terceros_view',
        rows: out.result.rows,
        pages: out.result.pages,
        generateSeconds: round(generateSeconds, 1),
        seconds: round(out.result.seconds, 2),
        rowsPerSecond: phaseRate(out.result.rows, out.result.seconds),
        dynamodbCallsByKind: out.result.dynamodbByKind,
        peakRssMb: out.memory.maxRssMb,
        sampledPeakRssMb: out.memory.sampledPeakRssMb,
        startRssMb: out.memory.startRssMb,
        peakHeapUsedMb: out.memory.peakHeapUsedMb,
        cpuSeconds: out.cpuSeconds,
        emulatorsCpuSeconds: out.emulatorsCpuSeconds,
        dynamoCpuSeconds: out.dynamoCpuSeconds,
        note: `functions/extract.ts's handler alone in a child process (as in its own Lambda); SQL Server emulator in the parent, dynalite in its own process${options.quick || n < 1_000_000 ? `; ${n.toLocaleString('en-US')} rows, not 1,000,000` : ''}`,
      };
      say(
        `bench: extract ${out.result.rows} rows in ${out.result.seconds.toFixed(1)} s, peak RSS ${out.memory.maxRssMb} MB`,
      );
    } finally {
      await menv.stop();
    }
  }

  // ---- the initial load: one entity of a million rows into a fresh org, Bulk API 2.0 ------------
  let initial: InitialFigures | undefined;
  if (!options.skipInitial) {
    initial = await initialPhase({
      config,
      root,
      rows: options.initialRows,
      latencyMs: options.latencyMs,
      runWithoutBulk: options.initialRows <= RUN_WITHOUT_BULK_ROWS,
      logFile: path.join(logs, 'initial.log'),
      ...(worker ? { worker } : {}),
      say,
    });
    say(
      initial.ran
        ? `bench: initial ${initial.records} rows in ${initial.seconds} s, ${initial.salesforceCalls} Salesforce calls, ${initial.bulkPathRan ? 'Bulk API 2.0' : 'NOT by Bulk API 2.0'} (${initial.status})`
        : `bench: initial ${initial.note}`,
    );
  }

  const servicesMemory = services.stop();
  const { baseline } = phases;
  const { full, unchanged, delta, deletes, limit } = phases as Required<typeof phases>;
  const ratios = computeRatios({ baseline, full, unchanged, limit });
  const bounds = delta.detail?.bounds as ReturnType<typeof deltaBounds>;
  const definition = definitionDigest();
  const reference = readReference(path.resolve(options.out), rows, definition);
  const targets = evaluateTargets({
    baseline,
    full,
    unchanged,
    delta,
    deletes,
    limit,
    ratios,
    rows,
    pairs: changes.length,
    ...(fullBounds ? { fullBounds } : {}),
    deltaBounds: bounds,
    ...(deleteBounds ? { deleteBounds } : {}),
    ...(reference ? { reference } : {}),
    ...(million
      ? { extractPeakRssMb: million.peakRssMb as number, extractRows: million.rows as number }
      : {}),
    ...(initial ? { initial } : {}),
  });
  const cpus = os.cpus();
  const report = {
    machine: {
      cpuModel: cpus[0]?.model ?? 'unknown',
      cores: cpus.length,
      memoryGb: round(os.totalmem() / 1024 ** 3, 1),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      date: new Date().toISOString(),
    },
    flags: {
      rows: options.rows,
      latencyMs: options.latencyMs,
      quick: options.quick,
      concurrency: limitConcurrency,
      skipMillion: options.skipMillion,
      skipBaseline: options.skipBaseline,
      millionRows: options.millionRows,
      skipInitial: options.skipInitial,
      initialRows: options.initialRows,
    },
    data: { sizes, rows, setupSeconds: round(setupSeconds, 1), definition },
    syncConcurrency: concurrency,
    baseline: baseline ?? null,
    full,
    unchanged,
    delta,
    deletes,
    limit,
    ...(million ? { extract: million } : {}),
    ...(initial ? { initial } : {}),
    services: {
      peakRssMb: maxRssMb(),
      sampledPeakRssMb: servicesMemory.sampledPeakRssMb,
      otherProcesses: otherServices,
    },
    ratios,
    targets,
    notes: [
      `Each phase runs in its own child process (${options.cpuProf ? 'node + tsx, profiling' : 'plain node on an esbuild bundle of bench/lib/worker.ts, as serverless.yml bundles the Lambdas'}); peakRssMb is that process's kernel max RSS (code loaded included), so the phases do not share a heap. The SQL Server and Salesforce emulators run in the parent process, dynalite in its own child process (as startLocalEnvironment starts it): "services"; CPU s own/emulators/dynalite: the phase process's CPU time, the emulators' and dynalite's meanwhile (2 cores: at most 2 CPU s per second).`,
      'Salesforce calls are the requests the Salesforce emulator received in the phase (OAuth included); by kind are its endpoint keys; lock conflicts are the records it failed UNABLE_TO_LOCK_ROW because another request held their parent (its counters().lockConflicts); failuresByCode counts failed records per status code: as the baseline and limit clients saw them, and for the sync runs from the failure items the run stored (read after the phase; one per source key). DynamoDB calls are counted by the client (sf-sync: the counters of its app; baseline: its own).',
      "baseline and full each start from an empty Salesforce (a separate emulator instance with the same strict org rules: one for the baseline, one for the sync, one for the limit); the baseline keeps its mappings in its own DynamoDB table. Auth: the baseline uses the seed's OAuth password grant (its emulator allows that flow, as the seed's old org does); the sync and the limit use JWT bearer, as against a new org. The baseline and limit writes carry the sync's Sforce-Duplicate-Rule-Header.",
      `records: rows read from the views (baseline) or extracted (sync runs); sent: records sent to Salesforce. full/limit compares sent records per second. Rows the mapping rejects are counted, not sent, by both the baseline and the sync.`,
      `limit concurrency ${limitConcurrency}: defaults.maxInFlight ${concurrency.maxInFlight} x SyncPages MaxConcurrency ${concurrency.pagesMapConcurrency} unless --concurrency; the sync itself sends each entity's changes from one Upsert task with maxInFlight requests in flight, up to ${concurrency.companiesMapConcurrency} companies x ${concurrency.entitiesMapConcurrency} entities at once.`,
      'delta: changeRows on each company and view, share 1%, 70% updated / 20% inserted / 10% deleted; the shipped config\'s onDelete is "ignore", so the deleted keys stay in Salesforce until the deletes phase.',
      'deletes: changeRows on each company and view, share 1%, deleted only (rows no other row points at), then a run with a copy of the config where every entity has onDelete "delete" (SYNC_CONFIG_PATH); it deletes the keys the delta removed too. Removal runs after every wave, children first. deleted: records Salesforce acknowledged deleting (bucket deleted); its calls are the Remove requests (composite.sobjects.delete, 200 Ids a request).',
      'invocations: Lambda invocations by function key as the local runner counts them (retries included; the upsert function runs Upsert and Remove). historyEvents: the events the parent execution would record in AWS; maxChildHistoryEvents: the largest Distributed Map child execution (src/local/history.ts).',
    ],
    wallSeconds: round((performance.now() - wall) / 1000, 1),
  };

  const outFile = path.resolve(options.out);
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  if (!options.keepData) rmSync(root, { recursive: true, force: true });

  const lines: string[] = [];
  const rowsOfTable: Array<[string, PhaseFigures]> = [
    ...(baseline ? [['baseline', baseline] as [string, PhaseFigures]] : []),
    ['full', full],
    ['unchanged', unchanged],
    ['delta', delta],
    ['deletes', deletes],
    ['limit', limit],
  ];
  lines.push(
    `sf-sync bench: ${rows.toLocaleString('en-US')} rows, Salesforce latency ${options.latencyMs} ms, ${report.machine.cores} x ${report.machine.cpuModel}, node ${process.version}${options.quick ? ' (--quick: a smoke run, not a timing)' : ''}`,
  );
  lines.push('');
  lines.push(phaseTable(rowsOfTable));
  lines.push('');
  const failures = failureLines(rowsOfTable);
  if (failures.length > 0) {
    lines.push('Failed records by Salesforce status code:');
    lines.push(...failures);
    lines.push('');
  }
  lines.push('Lambda invocations by function (the upsert function also runs Remove):');
  lines.push(...invocationLines(rowsOfTable));
  lines.push('');
  lines.push('DynamoDB calls by operation (time summed over concurrent calls):');
  lines.push(...dynamoLines(rowsOfTable));
  if (million) {
    lines.push('');
    lines.push(
      `extract: ${Number(million.rows).toLocaleString('en-US')} rows (${million.pages} pages) in ${million.seconds} s, peak RSS ${million.peakRssMb} MB (at start ${million.startRssMb} MB), CPU ${million.cpuSeconds} s; view generated in ${million.generateSeconds} s; DynamoDB ${Object.entries(
        (million.dynamodbCallsByKind ?? {}) as Record<string, { calls: number }>,
      )
        .map(([k, v]) => `${k} ${v.calls}`)
        .join(', ')}`,
    );
  }
  if (initial) lines.push(...initialLines(initial));
  lines.push(
    `services: emulators (parent process) peak RSS ${report.services.peakRssMb} MB${otherServices.map((o) => `, ${/dynamo/.test(o.command) ? 'dynalite' : o.command.slice(0, 40)} ${o.peakRssMb} MB`).join('')}`,
  );
  lines.push('');
  lines.push(
    `ratios: full/baseline ${baseline ? `${ratios.fullSpeedupOverBaseline}x faster, 1/${ratios.baselineCallsPerFullCall} of the calls` : 'not run'}; unchanged/full ${round(ratios.unchangedTimeShareOfFull * 100, 1)}% of the time; full/limit ${round(ratios.fullShareOfLimit * 100, 1)}% of the throughput`,
  );
  lines.push('');
  lines.push(targetTable(targets));
  lines.push('');
  lines.push(`written to ${path.relative(process.cwd(), outFile)}; total ${report.wallSeconds} s`);
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

async function main(): Promise<number> {
  try {
    const options = parseBenchArgs(process.argv.slice(2));
    if (options.help) {
      process.stdout.write(`${HELP}\n`);
      return 0;
    }
    return await bench(options);
  } catch (error) {
    if (error instanceof BenchUsageError) {
      process.stderr.write(`npm run bench: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`npm run bench: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
