import { parseArgs } from 'node:util';
import { runCheck } from '../core/check/run.js';
import { loadConfig, type SyncConfig } from '../core/config/load.js';
import { ConfigError, SyncError } from '../core/errors.js';
import { inputBoundsProblem, MAX_INPUT_BYTES, rawSizeProblem, shown } from '../core/sync/input.js';
import { type LocalEnvironment, type ServiceChoice, startLocalEnvironment } from '../local/environment.js';
import { type LocalRunResult, runSync } from '../local/run.js';
import { readRunHeader, saveApiCalls } from '../report/data.js';
import { defaultReportPath, writeReport } from '../report/write.js';
import { failuresCommand } from './commands/failures.js';
import { processOutput } from './commands/output.js';
import { nothingToReplay, replayInput } from './commands/replay.js';
import { reportCommand } from './commands/report.js';
import { runsCommand, showCommand } from './commands/runs.js';
import { stateCommand } from './commands/state.js';
import { DataFolderInUseError, type DataFolderLock, lockDataFolder } from './data-folder.js';
import { formatCheck, formatSummary, summaryJson } from './format.js';
import { createProgress } from './progress.js';

const HELP = `sf-sync: sync SQL Server views of each company into Salesforce.

Usage:
  npm start [-- <options>]            run the sync locally (same as: npm run sf-sync -- run)
  npm run sf-sync -- run [options]    run the state machine locally against the stand-ins
  npm run sf-sync -- show [RUN_ID]    a local run's summary and its rejected/failed rows (default: latest; --json: raw)
  npm run sf-sync -- runs             recent runs: status, duration, buckets (--json)
  npm run sf-sync -- report [RUN_ID] [--out FILE]
                                      write a run's HTML report (default: latest run, .data/reports/<runId>.html)
  npm run sf-sync -- failures RUN_ID --csv FILE
                                      a run's rejected and failed rows as a Data Loader-style error file (--json)
  npm run sf-sync -- state --company C --entity E [--key K]
                                      what the sync believes Salesforce holds: per record its status, Salesforce Id,
                                      external ID, content hash and last run (--json; --aws for the deployed table)
  npm run sf-sync -- replay RUN_ID    run again, in delta mode, the companies and entities whose rows failed in RUN_ID
                                      (--dry-run / --diff: say what the replay would send, writing nothing)
  npm run sf-sync -- aws start [options]  start an execution in AWS with --company, --entity, --mode or --input
                                      (state machine: --state-machine-arn, STATE_MACHINE_ARN or sf-sync-<--stage>)
  npm run sf-sync -- check [options]  preflight: the org's describes and the views' columns against the config;
                                      every problem with its config key (--json: {ok, errors, warnings})

Run options:
  --company NAME      a company to sync (repeatable; default: all)
  --entity NAME       an entity to sync (repeatable; default: all)
  --mode delta|full   delta (default) sends new and changed rows; full sends every row
  --input JSON        the raw execution input instead, e.g. '{"selected_company":"ITALCOL"}'
  --dry-run           run Plan, Extract and Transform and say what would be created, updated and
                      rejected, with the first payloads per entity; nothing is written to Salesforce
                      and the sync state (content hashes, Salesforce Ids) is left as it was
  --diff              a dry run that also reads the current values of the records it would update
                      (SOQL by external ID, 200 a query) and shows the fields that differ
  --json              print the run summary as JSON on stdout (progress goes to stderr)
  --data-dir DIR      where the local stand-ins keep their state (default .data)
  --reset             wipe the local state first (source data is generated again)
  --demo-rows N       size of generated demo data: ITALCOL gets N terceros, 1.5N sucursales,
                      N/2 acuerdos; CASABLANCA half of that, SANTA_REYES a quarter (applies when the
                      demo data is generated: first start or --reset; default ~2,000)
  --latency MS        added latency per Salesforce request in the emulator (default 0)
  --sqlserver local|real    real: use DB_* from the environment instead of the emulator
  --salesforce local|real   real: use SF_* from the environment instead of the emulator
  --dynamodb local|real     real: use AWS credentials and TABLE_NAME instead of dynalite
  --check             run \`check\` first and stop (exit 1) if it finds errors; its table goes to stderr
  --quiet             no progress lines
  -h, --help          this help

AWS options (runs, show, report, failures, replay; no stand-in is started):
  --aws               read the deployed stack's DynamoDB table and Step Functions executions;
                      replay starts an execution; runs also lists the executions with their status
  --stage NAME        the stack's stage (default dev): table and state machine sf-sync-<stage>
  --table NAME        the table instead (or TABLE_NAME)
  --state-machine-arn ARN  the state machine instead (or STATE_MACHINE_ARN; default: looked up by name)
  (region, credentials and endpoint from the AWS SDK: AWS_REGION, AWS_PROFILE, AWS_ENDPOINT_URL_DYNAMODB...)

Check options: --company, --entity, --json, --data-dir, --reset, --demo-rows, --sqlserver, --salesforce
  (as for run; the check reads, never writes, and needs no DynamoDB).

Exit codes: 0 succeeded (check: no errors; warnings are listed either way), 1 completed with failures
or failed (check: errors found), 2 bad command line.`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function choice(value: string | undefined, flag: string): ServiceChoice {
  if (value === undefined || value === 'local') return 'local';
  if (value === 'real') return 'real';
  throw new UsageError(`--${flag} must be "local" or "real", got "${value}"`);
}

function buildInput(values: Record<string, unknown>): unknown {
  if (values.input !== undefined) {
    if (values.company || values.entity || values.mode || values['dry-run'] || values.diff) {
      throw new UsageError(
        '--input cannot be combined with --company, --entity, --mode, --dry-run or --diff (put "dryRun": true, "diff": true in the JSON)',
      );
    }
    return parseInputFlag(String(values.input));
  }
  const input: Record<string, unknown> = {};
  if (Array.isArray(values.company) && values.company.length > 0) input.companies = values.company;
  if (Array.isArray(values.entity) && values.entity.length > 0) input.entities = values.entity;
  if (values.mode !== undefined) {
    if (values.mode !== 'delta' && values.mode !== 'full')
      throw new UsageError(`--mode must be "delta" or "full", got "${String(values.mode)}"`);
    input.mode = values.mode;
  }
  // --diff is a dry run that also reads the current values of the records it would update.
  if (values['dry-run'] === true || values.diff === true) input.dryRun = true;
  if (values.diff === true) input.diff = true;
  return input;
}

/** --input as JSON, its size and depth bounded before anything walks it; whether it is an object is Plan's call. */
function parseInputFlag(text: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_INPUT_BYTES) throw new UsageError(`--input: ${rawSizeProblem(bytes)}`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`--input is not valid JSON: ${(error as Error).message}`);
  }
  const problem = inputBoundsProblem(value);
  if (problem) throw new UsageError(`--input: ${problem}`);
  return value;
}

/** Demo data sizes from --demo-rows N. */
export function demoSizes(
  value: unknown,
): Record<string, { terceros: number; sucursales: number; acuerdos: number }> | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new UsageError(`--demo-rows must be a whole number from 1 to 1000000, got "${String(value)}"`);
  }
  const size = (f: number) => {
    const t = Math.max(1, Math.round(n * f));
    return {
      terceros: t,
      sucursales: Math.max(1, Math.round(t * 1.5)),
      acuerdos: Math.max(1, Math.round(t / 2)),
    };
  };
  return { ITALCOL: size(1), CASABLANCA: size(0.5), SANTA_REYES: size(0.25) };
}

async function withEnvironment<T>(
  values: Record<string, unknown>,
  work: (env: LocalEnvironment, config: SyncConfig) => Promise<T>,
  needs: { dynamodb: boolean } = { dynamodb: true },
): Promise<T> {
  const config = loadConfig();
  const dataDir = (values['data-dir'] as string | undefined) ?? '.data';
  const lock = lockDataFolder(dataDir, dataDir);
  try {
    return await withLockedEnvironment(values, config, dataDir, lock, work, needs);
  } finally {
    lock.release();
  }
}

async function withLockedEnvironment<T>(
  values: Record<string, unknown>,
  config: SyncConfig,
  dataDir: string,
  lock: DataFolderLock,
  work: (env: LocalEnvironment, config: SyncConfig) => Promise<T>,
  needs: { dynamodb: boolean },
): Promise<T> {
  const latency = values.latency === undefined ? 0 : Number(values.latency);
  if (!Number.isFinite(latency) || latency < 0)
    throw new UsageError(`--latency must be a number of milliseconds >= 0, got "${String(values.latency)}"`);
  const env = await startLocalEnvironment({
    config,
    dataDir,
    reset: values.reset === true,
    sqlserver: choice(values.sqlserver as string | undefined, 'sqlserver'),
    salesforce: choice(values.salesforce as string | undefined, 'salesforce'),
    // 'real' starts nothing: a command that never touches DynamoDB (check) needs no dynalite.
    dynamodb: needs.dynamodb ? choice(values.dynamodb as string | undefined, 'dynamodb') : 'real',
    faults: latency > 0 ? { latencyMs: latency } : undefined,
    sizes: demoSizes(values['demo-rows']),
  });
  if (values.reset === true) lock.renew(); // --reset emptied the folder, lock file included
  try {
    return await work(env, config);
  } finally {
    await env.stop();
  }
}

async function runCommand(values: Record<string, unknown>): Promise<number> {
  const input = buildInput(values);
  const json = values.json === true;
  const quiet = values.quiet === true;
  const log = (line: string) => {
    if (!quiet) process.stderr.write(`${line}\n`);
  };
  return withEnvironment(values, async (env, config) => {
    if (values.check === true) {
      const report = await runCheck(config, selection(values, config));
      process.stderr.write(`${formatCheck(report)}\n`);
      if (!report.ok) return 1;
    }
    log(
      'sf-sync: running statemachines/sync.asl.yml locally (SQL Server emulator, Salesforce emulator, dynalite)',
    );
    // A live line per company and entity on a terminal; plain lines otherwise (stderr either way).
    const progress = createProgress(process.stderr, { quiet });
    const result = await runSync({ input, app: env.app, onTaskEvent: progress.onTaskEvent });
    progress.finish();
    if (json) process.stdout.write(`${JSON.stringify(summaryJson(result), null, 2)}\n`);
    else process.stdout.write(`\n${formatSummary(result)}\n`);
    if (!json && result.summary) {
      const failures = await env.app.store.getFailures(result.runId);
      if (failures.length > 0) {
        process.stdout.write(
          `\nRejected or failed rows (${failures.length}; first 10, all with: npm run sf-sync -- show ${result.runId}):\n`,
        );
        for (const f of failures.slice(0, 10)) {
          process.stdout.write(
            `  ${f.bucket.padEnd(8)} ${f.company} ${f.entity} ${f.key}: ${f.code} ${f.message.slice(0, 160)}\n`,
          );
        }
      }
    }
    await reportAfterRun(result, env);
    return result.status === 'SUCCEEDED' ? 0 : 1;
  });
}

/** --company and --entity for check, each a name the config knows. */
function selection(
  values: Record<string, unknown>,
  config: SyncConfig,
): { companies: string[]; entities: string[] } {
  const pick = (flag: string, known: string[]) => {
    const names = (values[flag] as string[] | undefined) ?? [];
    const unknown = names.filter((n) => !known.includes(n));
    if (unknown.length > 0)
      throw new UsageError(
        `--${flag} ${unknown.map(shown).join(', ')}: not in the config (known: ${known.join(', ')})`,
      );
    return names;
  };
  return {
    companies: pick('company', config.companies),
    entities: pick(
      'entity',
      config.entities.map((e) => e.name),
    ),
  };
}

async function checkCommand(values: Record<string, unknown>): Promise<number> {
  if (values.input !== undefined || values.mode !== undefined || values.check !== undefined)
    throw new UsageError(
      'check takes --company, --entity, --json and the service flags, not --input, --mode or --check',
    );
  return withEnvironment(
    values,
    async (_env, config) => {
      const report = await runCheck(config, selection(values, config));
      if (values.json === true) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(`${formatCheck(report)}\n`);
      return report.ok ? 0 : 1;
    },
    { dynamodb: false },
  );
}

/** Every run ends with its HTML report; the path goes to stderr so --json's stdout stays JSON. */
async function reportAfterRun(result: LocalRunResult, env: LocalEnvironment): Promise<void> {
  const { store } = env.app;
  const { dataDir } = env;
  try {
    // A run refused by Plan (bad input) opened no run record: there is nothing to report.
    if (!(await store.getRun(result.runId))) return;
    await saveApiCalls(store, result.runId, result.salesforce);
    const file = await writeReport(store, result.runId, defaultReportPath(dataDir, result.runId));
    if (file) process.stderr.write(`\nReport: ${file}\n`);
  } catch (error) {
    process.stderr.write(`sf-sync: could not write the run report: ${(error as Error).message}\n`);
  }
}

function checkReadArgs(command: string, values: Record<string, unknown>, rest: string[]): void {
  if (rest.length > (command === 'runs' || command === 'state' ? 0 : 1))
    throw new UsageError(`unexpected argument "${rest.at(-1)}"`);
  if (command === 'state') stateTarget(values);
  if (command === 'failures' && !rest[0])
    throw new UsageError('failures needs a RUN_ID (see `npm run sf-sync -- runs`)');
  if (command === 'failures' && values.csv === undefined && values.json !== true)
    throw new UsageError('failures needs --csv FILE (the error file to write) or --json');
  if (command === 'replay' && !rest[0])
    throw new UsageError('replay needs a RUN_ID (see `npm run sf-sync -- runs`)');
}

/** state's --company, --entity (one each) and --key. */
function stateTarget(values: Record<string, unknown>): { company: string; entity: string; key?: string } {
  const one = (flag: string) => {
    const given = (values[flag] as string[] | undefined) ?? [];
    if (given.length !== 1) throw new UsageError(`state needs one --${flag}`);
    return given[0] as string;
  };
  const key = values.key as string | undefined;
  return { company: one('company'), entity: one('entity'), ...(key === undefined ? {} : { key }) };
}

const AWS_ONLY = ['stage', 'table', 'state-machine-arn'];
const LOCAL_ONLY = ['reset', 'demo-rows', 'latency', 'sqlserver', 'salesforce', 'dynamodb', 'check'];
const AWS_COMMANDS = ['runs', 'show', 'report', 'failures', 'state', 'replay'];

/** --aws and its flags go with the commands that read the deployed stack, and not with the stand-ins' flags. */
function checkAwsFlags(command: string, values: Record<string, unknown>): void {
  const given = (names: string[]) => names.filter((n) => values[n] !== undefined).map((n) => `--${n}`);
  const local = given(LOCAL_ONLY);
  if (command === 'aws') {
    const refused = [...local, ...given(['table', 'aws'])];
    if (refused.length > 0)
      throw new UsageError(
        `aws start takes the run options, --stage and --state-machine-arn, not ${refused.join(', ')}`,
      );
    return;
  }
  if (values.aws !== true) {
    const stray = given(AWS_ONLY);
    if (stray.length > 0) throw new UsageError(`${stray.join(', ')} go with --aws`);
    return;
  }
  if (!AWS_COMMANDS.includes(command))
    throw new UsageError(
      `--aws goes with ${AWS_COMMANDS.join(', ')} (to run the sync in AWS: npm run sf-sync -- aws start)`,
    );
  if (local.length > 0)
    throw new UsageError(`${local.join(', ')} cannot be combined with --aws (no stand-in is started)`);
}

/** A read command or replay against the deployed stack. */
async function awsCommand(command: string, values: Record<string, unknown>, rest: string[]): Promise<number> {
  checkReadArgs(command, values, rest);
  const { runAwsCommand } = await import('./aws/commands.js');
  return runAwsCommand(
    command as 'runs',
    {
      runId: rest[0],
      json: values.json === true,
      out: values.out as string | undefined,
      csv: values.csv as string | undefined,
      ...(command === 'state' ? { state: stateTarget(values) } : {}),
      dataDir: (values['data-dir'] as string | undefined) ?? '.data',
      stage: values.stage as string | undefined,
      table: values.table as string | undefined,
      stateMachineArn: values['state-machine-arn'] as string | undefined,
    },
    processOutput,
  );
}

/** The commands that read a run from the store: show, runs, report, failures. */
async function readCommand(
  command: string,
  values: Record<string, unknown>,
  rest: string[],
): Promise<number> {
  const json = values.json === true;
  checkReadArgs(command, values, rest);
  return withEnvironment(values, async (env) => {
    const { store, config } = env.app;
    if (command === 'runs') return runsCommand(store, { json }, processOutput);
    if (command === 'state')
      return stateCommand(store, config, { ...stateTarget(values), json }, processOutput);
    if (command === 'show') return showCommand(store, { runId: rest[0], json }, processOutput);
    if (command === 'report')
      return reportCommand(
        store,
        { runId: rest[0], out: values.out as string | undefined, dataDir: env.dataDir, json },
        processOutput,
      );
    return failuresCommand(
      store,
      config,
      { runId: rest[0] as string, csv: values.csv as string | undefined, json },
      processOutput,
    );
  });
}

async function replayCommand(values: Record<string, unknown>, runId: string | undefined): Promise<number> {
  if (!runId) throw new UsageError('replay needs a RUN_ID (see `npm run sf-sync -- show`)');
  const run = await withEnvironment(values, (env) => readRunHeader(env.app.store, runId));
  if (!run) {
    process.stderr.write(`No run ${runId} in the local store.\n`);
    return 1;
  }
  const input = replayInput(run.summary);
  if (!input) {
    process.stderr.write(nothingToReplay(run));
    return 0;
  }
  // replay RUN_ID --dry-run (or --diff): what the replay would send, nothing written.
  const dry = values['dry-run'] === true || values.diff === true;
  const replay = {
    ...input,
    ...(dry ? { dryRun: true } : {}),
    ...(values.diff === true ? { diff: true } : {}),
  };
  process.stderr.write(`Replaying ${JSON.stringify(replay)}\n`);
  return runCommand({ ...values, 'dry-run': undefined, diff: undefined, input: JSON.stringify(replay) });
}

async function awsStart(values: Record<string, unknown>): Promise<number> {
  const input = buildInput(values);
  const { awsStartCommand } = await import('./aws/commands.js');
  return awsStartCommand(
    {
      stage: values.stage as string | undefined,
      stateMachineArn: values['state-machine-arn'] as string | undefined,
    },
    input,
    processOutput,
  );
}

/** A data folder held by another process: the stand-ins' own checks say so too (an emulator started alone). */
function folderInUse(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return (
    error instanceof DataFolderInUseError ||
    error.name === 'DataFolderBusyError' ||
    error.message.startsWith('Cannot open the DynamoDB folder')
  );
}

export async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    process.stderr.write(`sf-sync: ${(error as Error).message}\nRun with --help for the options.\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const [command = 'run', ...rest] = positionals;
  try {
    checkAwsFlags(command, values);
    if (values.aws === true) return await awsCommand(command, values, rest);
    switch (command) {
      case 'run':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await runCommand(values);
      case 'show':
      case 'runs':
      case 'report':
      case 'failures':
      case 'state':
        return await readCommand(command, values, rest);
      case 'replay':
        return await replayCommand(values, rest[0]);
      case 'check':
        if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}"`);
        return await checkCommand(values);
      case 'aws':
        if (rest[0] !== 'start') throw new UsageError('aws takes one subcommand: start');
        return await awsStart(values);
      default:
        throw new UsageError(
          `unknown command "${command}" (commands: run, check, show, runs, report, failures, state, replay, aws start)`,
        );
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`sf-sync: ${error.message}\nRun with --help for the options.\n`);
      return 2;
    }
    if (folderInUse(error)) {
      process.stderr.write(`sf-sync: ${(error as Error).message}\n`);
      return 1;
    }
    if (error instanceof ConfigError || error instanceof SyncError) {
      process.stderr.write(`sf-sync: ${error.name}: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      company: { type: 'string', multiple: true },
      entity: { type: 'string', multiple: true },
      mode: { type: 'string' },
      input: { type: 'string' },
      json: { type: 'boolean' },
      'data-dir': { type: 'string' },
      reset: { type: 'boolean' },
      latency: { type: 'string' },
      'demo-rows': { type: 'string' },
      sqlserver: { type: 'string' },
      salesforce: { type: 'string' },
      dynamodb: { type: 'string' },
      quiet: { type: 'boolean' },
      check: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      diff: { type: 'boolean' },
      out: { type: 'string' },
      csv: { type: 'string' },
      key: { type: 'string' },
      aws: { type: 'boolean' },
      stage: { type: 'string' },
      table: { type: 'string' },
      'state-machine-arn': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

const invokedDirectly = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // Everything is stopped by now; don't let a stray timer in a driver keep the process alive.
      setTimeout(() => process.exit(code), 2000).unref();
    },
    (error: unknown) => {
      process.stderr.write(`sf-sync: unexpected error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
