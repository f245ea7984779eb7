import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig } from '../../core/config/load.js';
import { ConfigError } from '../../core/errors.js';
import type { SyncStore } from '../../core/store/sync-store.js';
import { readRunHeader, recentRuns } from '../../report/data.js';
import { failuresCommand } from '../commands/failures.js';
import { noRun, type Output } from '../commands/output.js';
import { nothingToReplay, replayInput } from '../commands/replay.js';
import { reportCommand } from '../commands/report.js';
import { showCommand } from '../commands/runs.js';
import { stateCommand } from '../commands/state.js';
import { formatRunList, runListJson } from '../format.js';
import {
  type AwsTarget,
  awsProblem,
  awsStore,
  awsTarget,
  type ExecutionRow,
  recentExecutions,
  startExecution,
  stateMachineArn,
} from './target.js';

/** The deployed stack's clients: the table's store and a Step Functions client (tests pass mocks). */
export interface AwsClients {
  store: SyncStore;
  sfn: () => SFNClient;
}

export interface AwsReadOptions {
  runId?: string;
  json: boolean;
  out?: string;
  csv?: string;
  dataDir: string;
  /** For state: the company, entity and (optionally) key to look up. */
  state?: { company: string; entity: string; key?: string };
}

/** show, report, failures and state: the local commands over the deployed table. */
export async function awsReadCommand(
  command: 'show' | 'report' | 'failures' | 'state',
  clients: AwsClients,
  options: AwsReadOptions,
  io: Output,
): Promise<number> {
  const { store } = clients;
  const { runId, json } = options;
  if (command === 'show') return showCommand(store, { runId, json }, io);
  if (command === 'state') {
    if (!options.state) throw new Error('state needs --company and --entity');
    return stateCommand(store, loadConfig(), { ...options.state, json }, io);
  }
  if (command === 'report')
    return reportCommand(store, { runId, out: options.out, dataDir: options.dataDir, json }, io);
  return failuresCommand(store, loadConfig(), { runId: runId as string, csv: options.csv, json }, io);
}

function formatExecutions(name: string, rows: readonly ExecutionRow[], recorded: Set<string>): string {
  if (rows.length === 0) return `No executions of ${name}.`;
  const header = ['execution', 'status', 'started', 'stopped', 'run record'];
  const cells = rows.map((e) => [
    e.name,
    e.status,
    e.startDate ?? '',
    e.stopDate ?? '',
    recorded.has(e.name) ? 'yes' : 'no',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [
    `Step Functions executions of ${name}:`,
    fmt(header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...cells.map(fmt),
  ].join('\n');
}

/**
 * `runs --aws`: the run records of the deployed table (as `runs` prints them), then the state
 * machine's latest executions with their status; an execution's name is its run ID.
 * --json: { runs: <as `runs --json`>, executions: [{ name, status, startDate, stopDate }] }.
 */
export async function awsRunsCommand(
  clients: AwsClients,
  target: AwsTarget,
  options: { json: boolean; limit?: number },
  io: Output,
): Promise<number> {
  const limit = options.limit ?? 20;
  const runs = await recentRuns(clients.store, limit);
  const sfn = clients.sfn();
  const executions = await recentExecutions(sfn, await stateMachineArn(sfn, target), limit);
  if (options.json) {
    io.stdout(`${JSON.stringify({ runs: runListJson(runs), executions }, null, 2)}\n`);
    return 0;
  }
  const recorded = new Set(runs.map((r) => r.runId));
  io.stdout(`${formatRunList(runs)}\n\n${formatExecutions(target.stateMachineName, executions, recorded)}\n`);
  return 0;
}

/** `replay RUN_ID --aws`: starts an execution of the deployed state machine with the replay input. */
export async function awsReplayCommand(
  clients: AwsClients,
  target: AwsTarget,
  options: { runId: string; json: boolean },
  io: Output,
): Promise<number> {
  const run = await readRunHeader(clients.store, options.runId);
  if (!run) {
    io.stderr(noRun(options.runId));
    return 1;
  }
  const input = replayInput(run.summary);
  if (!input) {
    io.stderr(nothingToReplay(run));
    return 0;
  }
  const sfn = clients.sfn();
  const arn = await stateMachineArn(sfn, target);
  io.stderr(`Replaying ${JSON.stringify(input)} on ${arn}\n`);
  const started = await startExecution(sfn, arn, input);
  io.stdout(options.json ? `${JSON.stringify({ ...started, input })}\n` : `${started.executionArn}\n`);
  return 0;
}

export type AwsCommandName = 'runs' | 'show' | 'report' | 'failures' | 'state' | 'replay';

export interface AwsCommandArgs extends AwsReadOptions {
  stage?: string;
  table?: string;
  stateMachineArn?: string;
}

/**
 * A read command or replay against the deployed stack, no stand-in started. An AWS failure is a
 * message and exit 1; a missing table, state machine, region or credentials names what to set.
 */
export async function runAwsCommand(
  command: AwsCommandName,
  args: AwsCommandArgs,
  io: Output,
  make: (target: AwsTarget) => AwsClients = defaultClients,
): Promise<number> {
  const target = awsTarget(args);
  const clients = make(target);
  try {
    if (command === 'runs') return await awsRunsCommand(clients, target, { json: args.json }, io);
    if (command === 'replay')
      return await awsReplayCommand(clients, target, { runId: args.runId as string, json: args.json }, io);
    return await awsReadCommand(command, clients, args, io);
  } catch (error) {
    const problem = awsProblem(error, target);
    if (problem instanceof ConfigError) throw problem;
    io.stderr(`sf-sync: ${command} --aws failed: ${problem.name}: ${problem.message}\n`);
    return 1;
  }
}

function defaultClients(target: AwsTarget): AwsClients {
  return { store: awsStore(target), sfn: () => new SFNClient({ maxAttempts: 3 }) };
}

/** `aws start`: an execution of the deployed state machine with this input (Plan checks it there). */
export async function awsStartCommand(
  args: { stage?: string; stateMachineArn?: string },
  input: unknown,
  io: Output,
  sfn: SFNClient = new SFNClient({ maxAttempts: 3 }),
): Promise<number> {
  const target = awsTarget(args);
  try {
    const started = await startExecution(sfn, await stateMachineArn(sfn, target), input);
    io.stdout(`${JSON.stringify(started)}\n`);
    return 0;
  } catch (error) {
    const problem = awsProblem(error, target);
    if (problem instanceof ConfigError) throw problem;
    io.stderr(`sf-sync: aws start failed: ${problem.name}: ${problem.message}\n`);
    return 1;
  }
}
