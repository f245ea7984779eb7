import { ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { awsProblem, awsTarget, stateMachineArn } from '../../../src/cli/aws/target.js';
import { replayInput } from '../../../src/cli/commands/replay.js';
import { ConfigError, StoreStateError } from '../../../src/core/errors.js';
import { type RunSummary, zeroCounts } from '../../../src/core/sync/report.js';

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:sf-sync-prod';

describe('awsTarget: the deployed stack from flags, then env, then serverless.yml naming', () => {
  it('defaults to stage dev and the names serverless.yml gives it', () => {
    expect(awsTarget({}, {})).toEqual({
      stage: 'dev',
      tableName: 'sf-sync-dev',
      stateMachineName: 'sf-sync-dev',
    });
  });

  it('takes TABLE_NAME and STATE_MACHINE_ARN from the environment, flags over both', () => {
    const env = { TABLE_NAME: 'from-env', STATE_MACHINE_ARN: ARN };
    expect(awsTarget({ stage: 'prod' }, env)).toEqual({
      stage: 'prod',
      tableName: 'from-env',
      stateMachineArn: ARN,
      stateMachineName: 'sf-sync-prod',
    });
    const other = ARN.replace('prod', 'other');
    expect(awsTarget({ stage: 'prod', table: 'flag-table', stateMachineArn: other }, env)).toMatchObject({
      tableName: 'flag-table',
      stateMachineArn: other,
    });
    // An empty variable is unset, not a name.
    expect(awsTarget({}, { TABLE_NAME: '', STATE_MACHINE_ARN: '' })).toEqual(awsTarget({}, {}));
  });

  it('refuses a stage, table or ARN that cannot be one, naming where it came from and what is accepted', () => {
    expect(() => awsTarget({ stage: 'dev stage' }, {})).toThrow(
      new ConfigError(
        '--stage "dev stage" is not accepted (letters, digits and hyphens only, at most 32 characters); e.g. dev or prod',
      ),
    );
    expect(() => awsTarget({}, { TABLE_NAME: 'a b' })).toThrow(
      new ConfigError(
        'TABLE_NAME "a b" is not accepted (letters, digits, _ . - only, 3 to 255 characters); e.g. sf-sync-dev',
      ),
    );
    expect(() => awsTarget({}, { STATE_MACHINE_ARN: 'arn:aws:lambda:us-east-1:1:function:x' })).toThrow(
      /^STATE_MACHINE_ARN "arn:aws:lambda:us-east-1:1:function:x" is not accepted \(not a state machine ARN\)/,
    );
  });
});

describe('stateMachineArn: the given ARN, or sf-sync-<stage> looked up page by page', () => {
  const sfn = mockClient(SFNClient);
  afterEach(() => sfn.reset());
  afterAll(() => sfn.restore());

  it('uses the ARN it was given without a call', async () => {
    expect(
      await stateMachineArn(new SFNClient({ region: 'eu-west-1' }), awsTarget({ stateMachineArn: ARN }, {})),
    ).toBe(ARN);
    expect(sfn.calls()).toHaveLength(0);
  });

  it('follows nextToken until the name is found; says what to set when it is not', async () => {
    sfn
      .on(ListStateMachinesCommand, { nextToken: undefined })
      .resolves({ stateMachines: [], nextToken: 'p2' })
      .on(ListStateMachinesCommand, { nextToken: 'p2' })
      .resolves({
        stateMachines: [
          { name: 'sf-sync-prod', stateMachineArn: ARN, type: 'STANDARD', creationDate: new Date() },
        ],
      });
    const client = new SFNClient({ region: 'eu-west-1' });
    expect(await stateMachineArn(client, awsTarget({ stage: 'prod' }, {}))).toBe(ARN);
    expect(sfn.commandCalls(ListStateMachinesCommand).map((c) => c.args[0].input.nextToken)).toEqual([
      undefined,
      'p2',
    ]);
    await expect(stateMachineArn(client, awsTarget({ stage: 'qa' }, {}))).rejects.toThrow(
      'no state machine named sf-sync-qa in this account and region: set --state-machine-arn or STATE_MACHINE_ARN',
    );
  });
});

describe('awsProblem and replayInput', () => {
  it('turns a missing table, region or credentials into a ConfigError naming what to set', () => {
    const target = awsTarget({}, {});
    const table = awsProblem(
      new StoreStateError('DynamoDB Query failed: ResourceNotFoundException: gone'),
      target,
    );
    expect(table).toBeInstanceOf(ConfigError);
    expect(table.message).toContain('the table "sf-sync-dev" was not found');
    expect(awsProblem(new Error('Region is missing'), target).message).toContain('set AWS_REGION');
    const denied = new Error('User is not authorized');
    expect(awsProblem(denied, target)).toBe(denied);
  });

  it('replays the companies and entities with failed rows or not completed, in delta mode', () => {
    const zero = { ...zeroCounts(), extracted: 1, created: 1 };
    const summary: RunSummary = {
      runId: 'r',
      status: 'COMPLETED_WITH_FAILURES',
      totals: zero,
      companies: {
        A: { status: 'completed', entities: { terceros: { ...zero, status: 'completed' } } },
        B: { status: 'completed', entities: { sucursales: { ...zero, failed: 1, status: 'completed' } } },
        C: { status: 'failed', entities: { acuerdos: { ...zero, status: 'failed' } } },
      },
    };
    expect(replayInput(summary)).toEqual({
      companies: ['B', 'C'],
      entities: ['sucursales', 'acuerdos'],
      mode: 'delta',
    });
    expect(replayInput({ ...summary, companies: { A: summary.companies.A } } as RunSummary)).toBeUndefined();
    expect(replayInput(undefined)).toBeUndefined();
  });
});
