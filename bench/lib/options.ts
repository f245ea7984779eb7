/** Command line of `npm run bench`: flags, defaults, validation. */
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

export const DEFAULT_ROWS = 10_000;
export const QUICK_ROWS = 400;
export const DEFAULT_LATENCY_MS = 20;
export const DEFAULT_MILLION_ROWS = 1_000_000;
export const QUICK_MILLION_ROWS = 50_000;
export const DEFAULT_OUT = 'bench/results/latest.json';
export const DEFAULT_INITIAL_ROWS = 1_000_000;
/** Above the default bulkThreshold (10,000), so --quick takes the Bulk path too. */
export const QUICK_INITIAL_ROWS = 12_000;

export interface BenchOptions {
  /** Total rows over the three companies' three views. */
  rows: number;
  latencyMs: number;
  quick: boolean;
  /** Requests in flight in the limit loop; undefined: what the sync uses (see syncConcurrency). */
  concurrency?: number;
  skipMillion: boolean;
  skipBaseline: boolean;
  skipInitial: boolean;
  /** Rows of the one entity the initial phase loads into a fresh org. */
  initialRows: number;
  /** Rows of the view the extract memory measurement reads. */
  millionRows: number;
  out: string;
  dataDir: string;
  keepData: boolean;
  cpuProf: boolean;
  help: boolean;
}

export const HELP = `npm run bench [-- <options>]

Measures sf-sync against the system it replaces (one record at a time, as ../shared/SEED.txt
describes), on the same generated data, the same emulators and the same per-request latency:

  baseline   the seed's flow (bench/baseline.ts): per row, read the mapping from DynamoDB, POST a
             new record or PATCH a known one, write the mapping; sequential
  full       sf-sync's first run over the same rows
  unchanged  sf-sync again with nothing changed
  delta      sf-sync after 1% of every view's rows changed (70% updated, 20% new, 10% deleted)
  deletes    sf-sync after 1% of every view's rows were removed, with onDelete "delete" for every
             entity (a copy of the config): Salesforce deletes by Id, children first
  limit      a bare loop of sObject Collections upserts of the full run's records at the same
             concurrency: the most this machine and emulator allow
  extract    peak memory of the extract Lambda streaming one 1,000,000-row view
  initial    1,000,000 rows of one entity (ITALCOL terceros) into a fresh org through the Bulk API
             2.0 path; each function runs in Lambda-like containers of its own (one invocation at a
             time per process), so its peak memory is its own

Every phase writes to its own Salesforce emulator with a new org's strict rules (duplicate rules,
state/country picklists, restricted picklists, parent row locks); the payloads are the shipped
config's. The baseline logs in with the seed's OAuth password grant (its org allows that flow, as
the seed's old org does); the sync and the limit use JWT bearer.

Prints a table (lock conflicts: records the emulator failed UNABLE_TO_LOCK_ROW in the phase), failed
records per Salesforce status code, the ratios and PASS/MISS per target, and writes the figures as JSON.

Options:
  --rows N          total rows over the 3 companies x 3 views (default ${DEFAULT_ROWS}; --quick: ${QUICK_ROWS});
                    split like the demo data: ITALCOL 4/7, CASABLANCA 2/7, SANTA_REYES 1/7, and per company
                    terceros : sucursales : acuerdos = 2 : 3 : 1
  --latency MS      latency the Salesforce emulator adds to every request (default ${DEFAULT_LATENCY_MS}; 0 allowed)
  --concurrency N   requests in flight in the limit loop (default: what the sync allows, defaults.maxInFlight x
                    the MaxConcurrency of the pages Map in statemachines/sync.asl.yml)
  --quick           small data for CI (a smoke run, not a timing): --rows ${QUICK_ROWS}, a ${QUICK_MILLION_ROWS.toLocaleString('en-US')}-row
                    view for the extract memory measurement
  --million-rows N  rows of the view for the extract memory measurement (default ${DEFAULT_MILLION_ROWS.toLocaleString('en-US')})
  --skip-million    skip the extract memory measurement
  --initial-rows N  rows of the initial phase's entity (default ${DEFAULT_INITIAL_ROWS.toLocaleString('en-US')}; --quick: ${QUICK_INITIAL_ROWS.toLocaleString('en-US')});
                    while statemachines/sync.asl.yml has no Bulk path, it runs only up to 50,000 rows
                    (by Collections) and says so
  --skip-initial    skip the initial phase
  --skip-baseline   skip the baseline (its targets show SKIP): for quick iterations on the sync
  --out FILE        where to write the JSON (default ${DEFAULT_OUT})
  --data-dir DIR    scratch folder for the emulators' state and the phase logs, wiped at the start
                    (default: sf-sync-bench, --quick: sf-sync-bench-quick, in the system temp folder; not
                    under .data, which \`npm start -- --reset\` wipes)
  --keep-data       leave the scratch folder in place afterwards (default: removed)
  --cpu-prof        write V8 CPU profiles of every phase (<phase>.cpuprofile, the phase only) and of the
                    emulators meanwhile (<phase>-services.cpuprofile) to <data-dir>/profiles, kept
                    afterwards; the phases then run from the sources through tsx (so profiles name the
                    files). Summarise one with
                    npx tsx bench/profile.ts FILE.cpuprofile
  -h, --help        this help

Each phase runs in its own child process (plain Node on an esbuild bundle, as the Lambdas are
bundled), so its peak memory (kernel max RSS) and CPU time are its own; the SQL Server and Salesforce
emulators run in the parent process and dynalite in its own process: "services", reported apart.`;

export class BenchUsageError extends Error {
  override readonly name = 'BenchUsageError';
}

function wholeNumber(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min || n > max) {
    throw new BenchUsageError(
      `--${flag} must be a whole number from ${min} to ${max.toLocaleString('en-US')}, got "${value}"`,
    );
  }
  return n;
}

/** Parses the bench's command line; throws BenchUsageError naming the flag and what it accepts. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        rows: { type: 'string' },
        latency: { type: 'string' },
        concurrency: { type: 'string' },
        quick: { type: 'boolean' },
        'million-rows': { type: 'string' },
        'skip-million': { type: 'boolean' },
        'skip-baseline': { type: 'boolean' },
        'skip-initial': { type: 'boolean' },
        'initial-rows': { type: 'string' },
        out: { type: 'string' },
        'data-dir': { type: 'string' },
        'keep-data': { type: 'boolean' },
        'cpu-prof': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message}; see --help for the accepted flags`);
  }
  const v = parsed.values as Record<string, string | boolean | undefined>;
  const str = (k: string) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const quick = v.quick === true;
  const latencyText = str('latency');
  let latencyMs = DEFAULT_LATENCY_MS;
  if (latencyText !== undefined) {
    const n = Number(latencyText);
    if (latencyText.trim() === '' || !Number.isFinite(n) || n < 0 || n > 10_000) {
      throw new BenchUsageError(`--latency must be milliseconds from 0 to 10000, got "${latencyText}"`);
    }
    latencyMs = n;
  }
  const out = str('out') ?? DEFAULT_OUT;
  if (out.trim() === '') throw new BenchUsageError('--out must name a file, got an empty string');
  const dataDir = str('data-dir') ?? path.join(os.tmpdir(), quick ? 'sf-sync-bench-quick' : 'sf-sync-bench');
  if (dataDir.trim() === '') throw new BenchUsageError('--data-dir must name a folder, got an empty string');
  return {
    rows: wholeNumber(str('rows'), 'rows', 60, 2_000_000) ?? (quick ? QUICK_ROWS : DEFAULT_ROWS),
    latencyMs,
    quick,
    concurrency: wholeNumber(str('concurrency'), 'concurrency', 1, 256),
    skipMillion: v['skip-million'] === true,
    skipBaseline: v['skip-baseline'] === true,
    skipInitial: v['skip-initial'] === true,
    initialRows:
      wholeNumber(str('initial-rows'), 'initial-rows', 1000, 5_000_000) ??
      (quick ? QUICK_INITIAL_ROWS : DEFAULT_INITIAL_ROWS),
    millionRows:
      wholeNumber(str('million-rows'), 'million-rows', 1000, 5_000_000) ??
      (quick ? QUICK_MILLION_ROWS : DEFAULT_MILLION_ROWS),
    out,
    dataDir,
    keepData: v['keep-data'] === true || v['cpu-prof'] === true,
    cpuProf: v['cpu-prof'] === true,
    help: v.help === true,
  };
}
