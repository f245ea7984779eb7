import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { jest } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { main } from '../../../src/cli/main.js';
import { loadConfig } from '../../../src/core/config/load.js';
import { terceroRow } from '../../../src/emulators/sqlserver/index.js';
import { type LocalEnvironment, startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';

const SIZES = {
  ITALCOL: { terceros: 6, sucursales: 6, acuerdos: 4 },
  CASABLANCA: { terceros: 4, sucursales: 4, acuerdos: 2 },
  SANTA_REYES: { terceros: 8, sucursales: 6, acuerdos: 4 },
};
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:sf-sync-qa';
const sfn = mockClient(SFNClient);

/** main() in this process, its stdout and stderr kept. */
async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const keep = (into: string[]) => (chunk: string | Uint8Array) => {
    into.push(String(chunk));
    return true;
  };
  const o = jest.spyOn(process.stdout, 'write').mockImplementation(keep(out));
  const e = jest.spyOn(process.stderr, 'write').mockImplementation(keep(err));
  try {
    const code = await main(args);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

/**
 * The --aws commands read the table a real local run wrote, through the AWS SDK's own endpoint
 * variable (AWS_ENDPOINT_URL_DYNAMODB), with the local runner's DYNAMODB_ENDPOINT pointing nowhere
 * and no TABLE_NAME: the table is found by --stage, as serverless.yml names it.
 */
describe('sf-sync --aws against dynalite and a mocked Step Functions client', () => {
  let dir: string;
  let env: LocalEnvironment | undefined;
  let runId: string;
  const aws: Record<string, { code: number; stdout: string; stderr: string }> = {};
  const saved: Record<string, string | undefined> = {};

  async function awsCli(args: string[]) {
    const names = ['AWS_ENDPOINT_URL_DYNAMODB', 'DYNAMODB_ENDPOINT', 'TABLE_NAME', 'STATE_MACHINE_ARN'];
    for (const n of names) saved[n] = process.env[n];
    if (env?.dynamo) process.env.AWS_ENDPOINT_URL_DYNAMODB = env.dynamo.endpoint;
    process.env.DYNAMODB_ENDPOINT = 'http://127.0.0.1:9';
    delete process.env.TABLE_NAME;
    delete process.env.STATE_MACHINE_ARN;
    try {
      return await cli(args);
    } finally {
      for (const n of names) {
        if (saved[n] === undefined) delete process.env[n];
        else process.env[n] = saved[n];
      }
    }
  }

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-aws-'));
    env = await startLocalEnvironment({
      config: loadConfig(),
      dataDir: dir,
      sizes: SIZES,
      tableName: 'sf-sync-qa',
      dynamoInProcess: true,
    });
    // One record Salesforce answers 500 for every time: the run ends with a failed row to replay.
    const poisoned = terceroRow('SANTA_REYES', 0).nit;
    env.salesforce?.setFaults({ unknownExceptionMatch: [`"SANTA_REYES-${poisoned}"`] });
    const run = await runSync({ input: { mode: 'full' }, retryIntervalScale: 0.001 });
    expect(run.summary?.companies.SANTA_REYES?.entities.terceros?.failed).toBe(1);
    runId = run.runId;

    sfn.on(ListStateMachinesCommand).resolves({
      stateMachines: [
        {
          name: 'sf-sync-dev',
          stateMachineArn: ARN.replace('-qa', '-dev'),
          type: 'STANDARD',
          creationDate: new Date(),
        },
        { name: 'sf-sync-qa', stateMachineArn: ARN, type: 'STANDARD', creationDate: new Date() },
      ],
    });
    sfn.on(ListExecutionsCommand).resolves({
      executions: [
        {
          executionArn: `${ARN}:later`,
          stateMachineArn: ARN,
          name: 'later',
          status: 'RUNNING',
          startDate: new Date('2026-11-30T06:00:00.000Z'),
        },
        {
          executionArn: `${ARN}:${runId}`,
          stateMachineArn: ARN,
          name: runId,
          status: 'FAILED',
          startDate: new Date('2026-11-29T06:00:00.000Z'),
          stopDate: new Date('2026-11-29T06:01:30.000Z'),
        },
      ],
    });
    sfn.on(StartExecutionCommand).resolves({
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:sf-sync-qa:replayed`,
      startDate: new Date('2026-11-30T07:00:00.000Z'),
    });

    const nowhere = path.join(dir, 'not-started');
    const at = ['--aws', '--stage', 'qa', '--data-dir', nowhere];
    aws.runs = await awsCli(['runs', ...at]);
    aws.runsJson = await awsCli(['runs', '--json', ...at]);
    aws.show = await awsCli(['show', runId, ...at]);
    aws.showJson = await awsCli(['show', '--json', ...at]);
    aws.report = await awsCli(['report', runId, '--out', path.join(dir, 'aws.html'), ...at]);
    aws.failures = await awsCli(['failures', runId, '--csv', path.join(dir, 'aws.csv'), ...at]);
    aws.replay = await awsCli(['replay', runId, '--json', ...at]);
    aws.state = await awsCli(['state', '--company', 'SANTA_REYES', '--entity', 'terceros', '--json', ...at]);
    aws.stateKey = await awsCli([
      'state',
      '--company',
      'SANTA_REYES',
      '--entity',
      'terceros',
      '--key',
      poisoned,
      ...at,
    ]);
    aws.missing = await awsCli(['runs', '--aws', '--stage', 'nope']);
    aws.noMachine = await awsCli(['runs', '--aws', '--table', 'sf-sync-qa', '--stage', 'prod']);
    aws.badArn = await awsCli(['replay', runId, '--aws', '--state-machine-arn', 'sf-sync-qa']);
    aws.badStage = await awsCli(['runs', '--aws', '--stage', 'a_b']);
    expect(existsSync(nowhere)).toBe(false); // no stand-in was started for --aws
    await env.stop();
    env = undefined;
  }, 240000);

  afterAll(async () => {
    await env?.stop();
    sfn.restore();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The same command run locally: it starts dynalite again over the folder, on the run's table. */
  async function local(args: string[]) {
    const previous = process.env.TABLE_NAME;
    process.env.TABLE_NAME = 'sf-sync-qa';
    try {
      return await cli([...args, '--data-dir', dir]);
    } finally {
      if (previous === undefined) delete process.env.TABLE_NAME;
      else process.env.TABLE_NAME = previous;
    }
  }

  it('runs --aws prints the local table, then the executions with their status; --json nests both', async () => {
    const table = await local(['runs']);
    expect(table.code).toBe(0);
    expect(aws.runs?.code).toBe(0);
    expect(aws.runs?.stdout).toBe(
      [
        table.stdout.trimEnd(),
        '',
        'Step Functions executions of sf-sync-qa:',
        `execution${' '.repeat(runId.length - 9)}  status   started                   stopped                   run record`,
        `${'-'.repeat(runId.length)}  -------  ------------------------  ------------------------  ----------`,
        `later${' '.repeat(runId.length - 5)}  RUNNING  2026-11-30T06:00:00.000Z                            no`,
        `${runId}  FAILED   2026-11-29T06:00:00.000Z  2026-11-29T06:01:30.000Z  yes`,
        '',
      ].join('\n'),
    );
    const json = await local(['runs', '--json']);
    expect(JSON.parse(aws.runsJson?.stdout ?? '')).toEqual({
      runs: JSON.parse(json.stdout),
      executions: [
        { name: 'later', status: 'RUNNING', startDate: '2026-11-30T06:00:00.000Z', stopDate: null },
        {
          name: runId,
          status: 'FAILED',
          startDate: '2026-11-29T06:00:00.000Z',
          stopDate: '2026-11-29T06:01:30.000Z',
        },
      ],
    });
    // The ARN was looked up by the stage's name, and the executions listed for it.
    expect(sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: ARN, maxResults: 20 },
      { stateMachineArn: ARN, maxResults: 20 },
    ]);
  });

  it('show, report and failures --aws print and write what the local commands do', async () => {
    const show = await local(['show', runId]);
    expect(show.code).toBe(0);
    expect(aws.show).toEqual(show);
    const showJson = await local(['show', '--json']);
    expect(aws.showJson).toEqual(showJson);
    const codes = (JSON.parse(showJson.stdout).failures as Array<{ code: string }>).map((f) => f.code);
    expect(codes).toContain('UNKNOWN_EXCEPTION');

    const report = await local(['report', runId, '--out', path.join(dir, 'local.html')]);
    expect(aws.report).toEqual({ code: 0, stdout: `${path.join(dir, 'aws.html')}\n`, stderr: '' });
    expect(report.stdout).toBe(`${path.join(dir, 'local.html')}\n`);
    const html = (file: string) =>
      readFileSync(path.join(dir, file), 'utf8').replace(
        /Generated [^ <]+ by sf-sync/,
        'Generated T by sf-sync',
      );
    expect(html('aws.html')).toBe(html('local.html'));

    const failures = await local(['failures', runId, '--csv', path.join(dir, 'local.csv')]);
    expect(failures.code).toBe(0);
    expect(aws.failures?.code).toBe(0);
    expect(aws.failures?.stderr).toBe(failures.stderr.replace('local.csv', 'aws.csv'));
    const csv = readFileSync(path.join(dir, 'aws.csv'), 'utf8');
    expect(csv).toBe(readFileSync(path.join(dir, 'local.csv'), 'utf8'));
    expect(csv).toContain('UNKNOWN_EXCEPTION');
  });

  it('state --aws shows what the sync believes Salesforce holds, as state does locally', async () => {
    const state = await local(['state', '--company', 'SANTA_REYES', '--entity', 'terceros', '--json']);
    expect(state.code).toBe(0);
    expect(aws.state).toEqual(state);
    const records = JSON.parse(state.stdout).records as Array<{ key: string; status: string; sfId: string }>;
    const poisoned = terceroRow('SANTA_REYES', 0).nit;
    // the record Salesforce answered 500 for is held as failed, without a Salesforce Id; the others synced
    expect(records.find((r) => r.key === poisoned)).toMatchObject({ status: 'failed', sfId: '' });
    expect(records.filter((r) => r.status === 'synced').every((r) => /^001/.test(r.sfId))).toBe(true);
    // the rest synced, but the rows rejected before sending (dirty rows, duplicate keys)
    expect(records.filter((r) => r.status === 'synced').length).toBe(
      records.filter((r) => r.status !== 'rejected').length - 1,
    );
    expect(aws.stateKey?.code).toBe(0);
    expect(aws.stateKey?.stdout).toContain(`SANTA_REYES-${poisoned}`);
  });

  it('replay --aws starts an execution with the failed company and entity, in delta mode', () => {
    const input = { companies: ['SANTA_REYES'], entities: ['terceros'], mode: 'delta' };
    expect(aws.replay?.code).toBe(0);
    expect(JSON.parse(aws.replay?.stdout ?? '')).toEqual({
      executionArn: 'arn:aws:states:us-east-1:123456789012:execution:sf-sync-qa:replayed',
      startDate: '2026-11-30T07:00:00.000Z',
      input,
    });
    expect(aws.replay?.stderr).toBe(`Replaying ${JSON.stringify(input)} on ${ARN}\n`);
    expect(sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input)).toEqual([
      { stateMachineArn: ARN, input: JSON.stringify(input) },
    ]);
  });

  it('aws start finds the state machine by --stage and starts it with the run options as input', async () => {
    const start = await awsCli(['aws', 'start', '--stage', 'qa', '--company', 'ITALCOL', '--mode', 'full']);
    expect(start).toEqual({
      code: 0,
      stdout:
        '{"executionArn":"arn:aws:states:us-east-1:123456789012:execution:sf-sync-qa:replayed","startDate":"2026-11-30T07:00:00.000Z"}\n',
      stderr: '',
    });
    expect(sfn.commandCalls(StartExecutionCommand).at(-1)?.args[0].input).toEqual({
      stateMachineArn: ARN,
      input: '{"companies":["ITALCOL"],"mode":"full"}',
    });
  });

  it('replay locally runs the same input on the stand-ins: the failed row is sent again', async () => {
    const replay = await local(['replay', runId, '--json', '--quiet']);
    expect(replay.stderr).toContain(
      'Replaying {"companies":["SANTA_REYES"],"entities":["terceros"],"mode":"delta"}\n',
    );
    expect(replay.code).toBe(0);
    const totals = JSON.parse(replay.stdout).totals;
    expect({ sent: totals.created + totals.updated, failed: totals.failed }).toEqual({ sent: 1, failed: 0 });
  });

  it('names what to set when the table or the state machine is not found, and refuses flags that do not go together', async () => {
    const missing = aws.missing ?? { code: 0, stdout: '', stderr: '' };
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(
      /^sf-sync: ConfigError: the table "sf-sync-nope" was not found \(StoreStateError: DynamoDB Query failed: ResourceNotFoundException: .*\)\. Set --table or TABLE_NAME, or --stage, and AWS_REGION\n$/,
    );
    expect(aws.noMachine).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'sf-sync: ConfigError: no state machine named sf-sync-prod in this account and region: set --state-machine-arn or STATE_MACHINE_ARN (serverless info), or --stage and AWS_REGION\n',
    });
    expect(aws.badArn?.code).toBe(1);
    expect(aws.badArn?.stderr).toBe(
      'sf-sync: ConfigError: --state-machine-arn "sf-sync-qa" is not accepted (not a state machine ARN); e.g. arn:aws:states:us-east-1:123456789012:stateMachine:sf-sync-dev\n',
    );
    expect(aws.badStage?.stderr).toBe(
      'sf-sync: ConfigError: --stage "a_b" is not accepted (letters, digits and hyphens only, at most 32 characters); e.g. dev or prod\n',
    );

    const usage = async (args: string[], message: string) => {
      const out = await cli(args);
      expect(out).toEqual({
        code: 2,
        stdout: '',
        stderr: `sf-sync: ${message}\nRun with --help for the options.\n`,
      });
    };
    await usage(['runs', '--stage', 'prod'], '--stage go with --aws');
    await usage(
      ['show', '--aws', '--reset'],
      '--reset cannot be combined with --aws (no stand-in is started)',
    );
    await usage(
      ['run', '--aws'],
      '--aws goes with runs, show, report, failures, state, replay (to run the sync in AWS: npm run sf-sync -- aws start)',
    );
    await usage(
      ['aws', 'start', '--reset', '--table', 't'],
      'aws start takes the run options, --stage and --state-machine-arn, not --reset, --table',
    );
    await usage(['replay', '--aws'], 'replay needs a RUN_ID (see `npm run sf-sync -- runs`)');
  });
});
