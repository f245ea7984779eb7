/**
 * The initial phase (issue 11): one entity of N rows (ITALCOL terceros, 1,000,000 by default) into
 * a fresh org, through the Bulk API 2.0 path its bulkThreshold selects. The run's state machine
 * runs in the phase's process; each function runs in Lambda-like containers of its own
 * (containers.ts), so peak memory is measured per function.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import type { SyncConfig } from '../../src/core/config/load.js';
import { startLocalEnvironment } from '../../src/local/environment.js';
import { bundleFunctions, type PhaseOutcome, runPhase } from './child.js';
import type { ContainerFigures } from './containers.js';
import type { ObservedFigures } from './observe.js';
import {
  bucketsAddUp,
  bulkKinds,
  FUNCTION_KEYS,
  type InitialFigures,
  invocationsOf,
  round,
} from './report.js';

export const INITIAL_COMPANY = 'ITALCOL';
export const INITIAL_ENTITY = 'terceros';
/** Without a Bulk path the phase runs only up to this size (by Collections: minutes, not an hour). */
export const RUN_WITHOUT_BULK_ROWS = 50_000;

interface AslState {
  Type?: string;
  Parameters?: Record<string, unknown>;
  Choices?: Array<Record<string, unknown>>;
  ItemProcessor?: { States?: Record<string, AslState> };
  Iterator?: { States?: Record<string, AslState> };
}

function anyState(states: Record<string, AslState> | undefined, test: (s: AslState) => boolean): boolean {
  return Object.values(states ?? {}).some(
    (s) => test(s) || anyState(s.ItemProcessor?.States, test) || anyState(s.Iterator?.States, test),
  );
}

/**
 * Whether the definition has a Bulk API 2.0 path: a Task whose `operation` names bulk, or a
 * Choice on Extract's `bulk` flag. Without one, every entity goes the Collections way.
 */
export function definitionHasBulkPath(file = 'statemachines/sync.asl.yml'): boolean {
  const asl = parse(readFileSync(file, 'utf8')) as { States?: Record<string, AslState> };
  const choiceOnBulk = (rule: Record<string, unknown>): boolean =>
    (typeof rule.Variable === 'string' && /\.bulk$/.test(rule.Variable)) ||
    ['And', 'Or'].some(
      (k) => Array.isArray(rule[k]) && (rule[k] as Array<Record<string, unknown>>).some(choiceOnBulk),
    );
  return anyState(
    asl.States,
    (s) =>
      (s.Type === 'Task' && /bulk/i.test(String(s.Parameters?.operation ?? ''))) ||
      (s.Type === 'Choice' && (s.Choices ?? []).some(choiceOnBulk)),
  );
}

interface InitialResult {
  status: string;
  error?: string;
  seconds: number;
  summary?: {
    totals?: Record<string, number>;
    companies?: Record<string, { error?: string; entities?: Record<string, { error?: string }> }>;
  };
  historyEvents: number;
  maxChildHistoryEvents: number;
  childExecutions: number;
  invocations: Record<string, number>;
  observed: ObservedFigures;
}

export interface InitialOptions {
  config: SyncConfig;
  root: string;
  rows: number;
  latencyMs: number;
  /** Run it even without a Bulk path in the definition (small sizes: --quick). */
  runWithoutBulk: boolean;
  logFile: string;
  worker?: string;
  say: (line: string) => void;
}

function notRun(rows: number, note: string): InitialFigures {
  return {
    view: `${INITIAL_COMPANY} ${INITIAL_ENTITY}_view`,
    ran: false,
    records: 0,
    rows,
    seconds: 0,
    status: 'NOT RUN',
    salesforceCalls: 0,
    salesforceCallsByKind: {},
    historyEvents: 0,
    maxChildHistoryEvents: 0,
    childExecutions: 0,
    invocations: invocationsOf({}),
    peakRssMbByFunction: {},
    buckets: {},
    accounted: false,
    bulkPathRan: false,
    note,
  };
}

/** Generates the view, runs the sync of that one entity into a fresh org, and reads the figures. */
export async function initialPhase(o: InitialOptions): Promise<InitialFigures> {
  const hasBulk = definitionHasBulkPath();
  const missing =
    'statemachines/sync.asl.yml has no Bulk API 2.0 path yet (no bulk Task, no Choice on Extract\'s "bulk"): the entity went by sObject Collections';
  if (!hasBulk && !o.runWithoutBulk) {
    return notRun(
      o.rows,
      `not run: statemachines/sync.asl.yml has no Bulk API 2.0 path yet, and ${o.rows.toLocaleString('en-US')} rows by Collections would take most of an hour`,
    );
  }
  o.say(`bench: initial: generating a ${o.rows.toLocaleString('en-US')}-row ${INITIAL_ENTITY}_view...`);
  const small = { terceros: 64, sucursales: 1, acuerdos: 1 };
  const env = await startLocalEnvironment({
    config: o.config,
    dataDir: path.join(o.root, 'initial'),
    reset: true,
    sizes: {
      [INITIAL_COMPANY]: { terceros: o.rows, sucursales: 1, acuerdos: 1 },
      CASABLANCA: small,
      SANTA_REYES: small,
    },
    faults: { latencyMs: o.latencyMs },
  });
  try {
    const sf = env.salesforce;
    if (!sf) throw new Error('the local environment has no Salesforce emulator');
    const bundles = await bundleFunctions(path.join(o.root, 'lambdas'), FUNCTION_KEYS);
    sf.resetCounters();
    o.say(
      `bench: initial: syncing ${INITIAL_COMPANY} ${INITIAL_ENTITY} into a fresh org, each function in its own containers...`,
    );
    const out = await runPhase<InitialResult & ContainerFigures>(
      { phase: 'initial', input: { companies: [INITIAL_COMPANY], entities: [INITIAL_ENTITY] }, bundles },
      { logFile: o.logFile, ...(o.worker ? { worker: o.worker } : {}) },
    );
    return initialFigures(o.rows, out, sf.counters().byEndpoint, hasBulk ? '' : missing);
  } finally {
    await env.stop();
  }
}

function entityErrorOf(r: InitialResult): { entityError?: string } {
  const company = r.summary?.companies?.[INITIAL_COMPANY];
  const error = company?.entities?.[INITIAL_ENTITY]?.error ?? company?.error;
  return error ? { entityError: error } : {};
}

function initialFigures(
  rows: number,
  out: PhaseOutcome<InitialResult & ContainerFigures>,
  byKind: Record<string, number>,
  missing: string,
): InitialFigures {
  const r = out.result;
  const buckets = r.summary?.totals ?? {};
  const bulkPathRan = Object.keys(bulkKinds(byKind)).length > 0;
  return {
    view: `${INITIAL_COMPANY} ${INITIAL_ENTITY}_view`,
    ran: true,
    records: buckets.extracted ?? 0,
    rows,
    seconds: round(r.seconds, 2),
    status: r.error ? `${r.status}: ${r.error}` : r.status,
    salesforceCalls: Object.values(byKind).reduce((a, b) => a + b, 0),
    salesforceCallsByKind: byKind,
    historyEvents: r.historyEvents,
    maxChildHistoryEvents: r.maxChildHistoryEvents,
    childExecutions: r.childExecutions,
    invocations: invocationsOf(r.invocations),
    peakRssMbByFunction: r.peakRssMbByFunction,
    containersByFunction: r.containersByFunction,
    runnerPeakRssMb: out.memory.maxRssMb,
    buckets,
    accounted: bucketsAddUp(buckets),
    bulkPathRan,
    ...entityErrorOf(r),
    bulkCalls: Object.values(bulkKinds(byKind)).reduce((a, b) => a + b, 0),
    // Records an ingest job cannot settle (a duplicate rule's alert, which only the Collections
    // header allowSave passes; records absent from every result file) go on by Collections.
    collectionsCalls: Object.entries(byKind)
      .filter(([k]) => k.startsWith('composite.sobjects.'))
      .reduce((a, [, n]) => a + n, 0),
    note: bulkPathRan
      ? 'Bulk API 2.0'
      : missing || 'the definition has a Bulk path, but no Bulk request reached Salesforce',
  };
}
