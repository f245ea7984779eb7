import { execFile } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parse } from 'yaml';
import {
  allowedActions,
  deployedResources,
  isObject,
  type Json,
  type JsonObject,
  type Resource,
  roleStatements,
  type Template,
} from './cloudformation.js';
import { readZip } from './zip.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const serverlessBin = path.join(root, 'node_modules', '.bin', 'serverless');
const blockNetwork = path.join(root, 'tests', 'fixtures', 'serverless', 'block-network.cjs');
const packageDir = path.join(root, '.serverless');

/** What each function should get: its Lambda settings and the DynamoDB actions its code path calls. */
const FUNCTIONS = {
  plan: { timeout: 55, memory: 256, dynamodb: ['PutItem'], secrets: false },
  authenticate: { timeout: 55, memory: 256, dynamodb: ['GetItem', 'PutItem'], secrets: true },
  extract: { timeout: 900, memory: 1024, dynamodb: ['BatchWriteItem', 'Query', 'UpdateItem'], secrets: true },
  transform: {
    timeout: 120,
    memory: 1024,
    dynamodb: ['BatchGetItem', 'BatchWriteItem', 'Query', 'UpdateItem'],
    secrets: false,
  },
  upsert: {
    timeout: 300,
    memory: 1024,
    dynamodb: ['BatchWriteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem'],
    secrets: true,
  },
  report: {
    timeout: 60,
    memory: 256,
    dynamodb: ['GetItem', 'PutItem', 'Query', 'UpdateItem'],
    secrets: false,
  },
} as const;
type FunctionName = keyof typeof FUNCTIONS;
const NAMES = Object.keys(FUNCTIONS) as FunctionName[];
const logicalId = (name: FunctionName): string => `${name[0]?.toUpperCase()}${name.slice(1)}`;

const SECRET_ARNS = [
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-sync/dev-salesforce-AbCdEf',
  'arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-sync/dev-databases-GhIjKl',
];
const PARAMS = {
  secretsArns: SECRET_ARNS.join(','),
  extractSubnetIds: 'subnet-0aaa1111,subnet-0bbb2222',
  extractSecurityGroupIds: 'sg-0ccc3333',
  alarmEmail: 'ops@example.com',
  logRetentionDays: '14',
};

interface Packaged {
  template: Template;
  resources: Record<string, Resource>;
  output: string;
}

let work: string;
let networkLog: string;
let defaults: Packaged;
let withParams: Packaged;
/** The files of each function's zip from the default package. */
const zips = new Map<FunctionName, Map<string, Buffer>>();

function run(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout: number },
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(
          new Error(
            `${path.basename(file)} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`,
          ),
        );
      } else {
        resolve({ stdout, stderr });
      }
    });
  });
}

/**
 * `serverless package` as CI runs it, with dummy credentials, HOME and TMPDIR in a scratch folder
 * (osls caches its schema validator under ~/.serverless; serverless-esbuild stages zips under the
 * temp dir) and every network connection refused and logged.
 */
async function packageService(params: Record<string, string>): Promise<Packaged> {
  const args = ['package', ...Object.entries(params).map(([k, v]) => `--param=${k}=${v}`)];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: path.join(work, 'home'),
    TMPDIR: path.join(work, 'tmp'),
    AWS_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE',
    AWS_SECRET_ACCESS_KEY: 'not-a-secret',
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    NODE_OPTIONS: `--require ${JSON.stringify(blockNetwork)}`,
    SF_SYNC_NETWORK_LOG: networkLog,
    FORCE_COLOR: '0',
  };
  const { stdout, stderr } = await run(process.execPath, [serverlessBin, ...args], {
    cwd: root,
    env,
    timeout: 120_000,
  });
  const template = JSON.parse(
    readFileSync(path.join(packageDir, 'cloudformation-template-update-stack.json'), 'utf8'),
  ) as Template;
  return { template, resources: deployedResources(template), output: `${stdout}\n${stderr}` };
}

function resource(p: Packaged, id: string, type: string): Resource {
  const r = p.resources[id];
  if (!r) throw new Error(`The template has no resource ${id} (has: ${Object.keys(p.resources).join(', ')})`);
  expect(r.Type).toBe(type);
  return r;
}

const fn = (p: Packaged, name: FunctionName) =>
  resource(p, `${logicalId(name)}LambdaFunction`, 'AWS::Lambda::Function');
const props = (r: Resource): JsonObject => r.Properties ?? {};
const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });

function ofType(p: Packaged, type: string): Array<[string, Resource]> {
  return Object.entries(p.resources).filter(([, r]) => r.Type === type);
}

/** Replaces each ${placeholder} string of an Fn::Sub definition by the value it stands for. */
function substitute(value: Json, params: JsonObject): Json {
  if (typeof value === 'string') {
    const m = /^\$\{([^}]+)\}$/.exec(value);
    const key = m?.[1];
    return key !== undefined && key in params ? (params[key] as Json) : value;
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, params));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, params)]));
  return value;
}

/** The ASL as the file says, with `Fn::GetAtt: [plan, Arn]` named the way the template names functions. */
function aslWithLogicalIds(value: Json): Json {
  if (Array.isArray(value)) return value.map(aslWithLogicalIds);
  if (!isObject(value)) return value;
  const att = value['Fn::GetAtt'];
  if (Array.isArray(att) && typeof att[0] === 'string' && att[0] in FUNCTIONS) {
    return getAtt(`${logicalId(att[0] as FunctionName)}LambdaFunction`, String(att[1]));
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, aslWithLogicalIds(v)]));
}

/** asl-validator (inside serverless-step-functions) fills in the default QueryLanguage of each state. */
function withoutDefaultQueryLanguage(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutDefaultQueryLanguage);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([k, v]) => !(k === 'QueryLanguage' && v === 'JSONPath'))
      .map(([k, v]) => [k, withoutDefaultQueryLanguage(v)]),
  );
}

/** Every state of a definition, nested Map processors included, by name. */
function allStates(definition: Json, out = new Map<string, JsonObject>()): Map<string, JsonObject> {
  if (!isObject(definition) || !isObject(definition.States)) return out;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isObject(state)) continue;
    out.set(name, state);
    allStates(state.ItemProcessor ?? null, out);
    allStates(state.Iterator ?? null, out);
  }
  return out;
}

function stateMachineDefinition(p: Packaged): Json {
  const sm = resource(p, 'SyncStateMachine', 'AWS::StepFunctions::StateMachine');
  const sub = props(sm).DefinitionString;
  if (!isObject(sub) || !Array.isArray(sub['Fn::Sub'])) {
    throw new Error(`DefinitionString is not an Fn::Sub: ${JSON.stringify(sub).slice(0, 200)}`);
  }
  const [text, params] = sub['Fn::Sub'];
  if (typeof text !== 'string' || !isObject(params)) throw new Error('Fn::Sub is not [text, params]');
  return substitute(JSON.parse(text) as Json, params);
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-package-'));
  mkdirSync(path.join(work, 'home'));
  mkdirSync(path.join(work, 'tmp'));
  networkLog = path.join(work, 'network.log');
  // The parameterised package first, the default one last: `.serverless/` ends as `npm run package` leaves it.
  withParams = await packageService(PARAMS);
  defaults = await packageService({});
  for (const name of NAMES) zips.set(name, readZip(path.join(packageDir, `${name}.zip`)));
}, 180_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('serverless package (osls + serverless-step-functions + serverless-esbuild)', () => {
  it('runs osls, validates the state machine and touches no network', () => {
    expect(realpathSync(serverlessBin)).toBe(
      realpathSync(path.join(root, 'node_modules', 'osls', 'bin', 'serverless.js')),
    );
    for (const p of [defaults, withParams]) {
      expect(p.output).toContain('State machine "sync" definition is valid');
      expect(p.output).toContain('Service packaged');
    }
    expect(existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '').toBe('');
  });

  it('declares the six functions on nodejs22.x with their handlers, timeouts, memory and table', () => {
    expect(
      ofType(defaults, 'AWS::Lambda::Function')
        .map(([id]) => id)
        .sort(),
    ).toEqual(NAMES.map((n) => `${logicalId(n)}LambdaFunction`).sort());
    for (const name of NAMES) {
      const p = props(fn(defaults, name));
      expect({
        name,
        runtime: p.Runtime,
        handler: p.Handler,
        timeout: p.Timeout,
        memory: p.MemorySize,
      }).toEqual({
        name,
        runtime: 'nodejs22.x',
        handler: `functions/${name}.handler`,
        timeout: FUNCTIONS[name].timeout,
        memory: FUNCTIONS[name].memory,
      });
      const env = (props(fn(defaults, name)).Environment as JsonObject).Variables as JsonObject;
      expect(env.TABLE_NAME).toEqual({ Ref: 'SyncTable' });
      expect(env.LOG_LEVEL).toBe('info');
    }
  });

  it('keeps each Lambda timeout below the TimeoutSeconds of every Task that calls it', () => {
    const tasks = [...allStates(stateMachineDefinition(defaults)).entries()].filter(
      ([, s]) => s.Type === 'Task',
    );
    expect(tasks.length).toBeGreaterThanOrEqual(6);
    for (const [state, task] of tasks) {
      const att = isObject(task.Resource) ? task.Resource['Fn::GetAtt'] : undefined;
      const target = NAMES.find((n) => Array.isArray(att) && att[0] === `${logicalId(n)}LambdaFunction`);
      if (!target)
        throw new Error(
          `Task ${state} does not call one of the six functions: ${JSON.stringify(task.Resource)}`,
        );
      expect({
        state,
        above: Number(task.TimeoutSeconds) > Number(props(fn(defaults, target)).Timeout),
      }).toEqual({
        state,
        above: true,
      });
    }
  });

  it('loads the state machine from statemachines/sync.asl.yml as written, anchors expanded and ARNs resolved', () => {
    const asl = parse(readFileSync(path.join(root, 'statemachines', 'sync.asl.yml'), 'utf8')) as Json;
    const deployed = stateMachineDefinition(defaults);
    expect(withoutDefaultQueryLanguage(deployed)).toEqual(aslWithLogicalIds(asl));

    const states = allStates(deployed);
    for (const s of ['Plan', 'Authenticate', 'SyncCompanies', 'Extract', 'Transform', 'Upsert', 'Report']) {
      expect(states.has(s)).toBe(true);
    }
    expect(states.get('Plan')?.Resource).toEqual(getAtt('PlanLambdaFunction'));
    // The `*lambdaServiceRetry` alias reaches the Tasks deep inside the nested Maps.
    const upsertRetry = states.get('Upsert')?.Retry;
    expect(
      Array.isArray(upsertRetry) && isObject(upsertRetry[0]) ? upsertRetry[0].ErrorEquals : null,
    ).toContain('Lambda.TooManyRequestsException');

    const sm = props(resource(defaults, 'SyncStateMachine', 'AWS::StepFunctions::StateMachine'));
    expect(sm.StateMachineName).toBe('sf-sync-dev');
    expect(sm.LoggingConfiguration).toEqual({
      Level: 'ERROR',
      IncludeExecutionData: false,
      Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: getAtt('StateMachineLogGroup') } }],
    });
    // The state machine's role may invoke the six functions and nothing else.
    const invoke = roleStatements(resource(defaults, 'SyncStateMachineRole', 'AWS::IAM::Role')).find((s) =>
      s.Action.includes('lambda:InvokeFunction'),
    );
    expect(invoke?.Action).toEqual(['lambda:InvokeFunction']);
    const invoked = (invoke?.Resource ?? []).filter((r) => isObject(r) && 'Fn::GetAtt' in r);
    const byId = (a: Json, b: Json) => JSON.stringify(a).localeCompare(JSON.stringify(b));
    expect(invoked.sort(byId)).toEqual(NAMES.map((n) => getAtt(`${logicalId(n)}LambdaFunction`)).sort(byId));
  });

  it('runs SyncPages as a Distributed Map and lets the state machine start, watch, stop and redrive its own children', () => {
    const pages = allStates(stateMachineDefinition(defaults)).get('SyncPages');
    expect({
      processor: isObject(pages?.ItemProcessor) ? pages.ItemProcessor.ProcessorConfig : undefined,
      maxConcurrency: pages?.MaxConcurrency,
      tolerated: pages?.ToleratedFailurePercentage,
      label: pages?.Label,
    }).toEqual({
      processor: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' },
      maxConcurrency: 4,
      tolerated: 0,
      label: 'SyncPages',
    });
    const statements = roleStatements(resource(defaults, 'SyncStateMachineRole', 'AWS::IAM::Role'));
    const on = (action: string) =>
      statements.filter((s) => s.Effect === 'Allow' && s.Action.includes(action)).flatMap((s) => s.Resource);
    const arn = (kind: string, name: string) => ({
      'Fn::Join': [
        ':',
        [
          'arn',
          { Ref: 'AWS::Partition' },
          'states',
          { Ref: 'AWS::Region' },
          { Ref: 'AWS::AccountId' },
          kind,
          name,
        ],
      ],
    });
    // StartExecution on the state machine itself (serverless-step-functions adds it for a Distributed Map).
    expect(on('states:StartExecution')).toEqual([
      {
        'Fn::Sub': [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub placeholders
          'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:sf-sync-dev',
          {},
        ],
      },
    ]);
    // Its child executions are execution:sf-sync-dev/<label>:<id>.
    const children = arn('execution', 'sf-sync-dev/*');
    for (const action of ['states:DescribeExecution', 'states:StopExecution', 'states:RedriveExecution']) {
      expect({
        action,
        granted: on(action).some((r) => JSON.stringify(r) === JSON.stringify(children)),
      }).toEqual({
        action,
        granted: true,
      });
    }
    expect(on('states:RedriveExecution')).toEqual([children]);
  });

  it('starts the state machine every day at 05:00 UTC with input {}', () => {
    const rules = ofType(defaults, 'AWS::Events::Rule').filter(([, r]) => props(r).ScheduleExpression);
    expect(rules).toHaveLength(1);
    const rule = props(rules[0]?.[1] as Resource);
    expect(rule.ScheduleExpression).toBe('cron(0 5 * * ? *)');
    expect(rule.State).toBe('ENABLED');
    const targets = rule.Targets as JsonObject[];
    expect(targets).toHaveLength(1);
    expect(targets[0]?.Arn).toEqual({ Ref: 'SyncStateMachine' });
    expect(JSON.parse(String(targets[0]?.Input))).toEqual({});
  });

  it('creates the table: pk/sk, on demand, TTL on ttl, point-in-time recovery, encrypted, retained', () => {
    const table = resource(defaults, 'SyncTable', 'AWS::DynamoDB::Table');
    const p = props(table);
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    expect(p.AttributeDefinitions).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ]);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    expect(p.SSESpecification).toEqual({ SSEEnabled: true });
    expect(table.DeletionPolicy).toBe('Retain');
    expect(ofType(defaults, 'AWS::DynamoDB::Table')).toHaveLength(1);
  });

  it('gives each function its own role: its own log group and only the DynamoDB actions its code calls', () => {
    // No shared execution role from the framework.
    expect(defaults.resources.IamRoleLambdaExecution).toBeUndefined();
    const roles = new Set<string>();
    for (const name of NAMES) {
      const roleRef = props(fn(defaults, name)).Role;
      expect(roleRef).toEqual(getAtt(`${logicalId(name)}Role`));
      roles.add(JSON.stringify(roleRef));
      const role = resource(defaults, `${logicalId(name)}Role`, 'AWS::IAM::Role');
      const principal = (props(role).AssumeRolePolicyDocument as { Statement: JsonObject[] }).Statement[0]
        ?.Principal;
      expect(principal).toEqual({ Service: 'lambda.amazonaws.com' });
      expect(props(role).ManagedPolicyArns).toBeUndefined();

      const statements = roleStatements(role);
      const logs = statements.filter((s) => s.Action.some((a) => a.startsWith('logs:')));
      expect(logs).toEqual([
        {
          Effect: 'Allow',
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [getAtt(`${logicalId(name)}LogGroup`)],
        },
      ]);
      const dynamo = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
      expect(dynamo).toHaveLength(1);
      expect(dynamo[0]?.Resource).toEqual([getAtt('SyncTable')]);
      expect({ name, actions: [...(dynamo[0]?.Action ?? [])].sort() }).toEqual({
        name,
        actions: FUNCTIONS[name].dynamodb.map((a) => `dynamodb:${a}`),
      });
      for (const action of allowedActions(role)) expect(action).not.toContain('*');
      // X-Ray for the Powertools Tracer: the two write actions, which take no narrower resource.
      expect(statements.filter((s) => s.Action.some((a) => a.startsWith('xray:')))).toEqual([
        { Effect: 'Allow', Action: ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], Resource: ['*'] },
      ]);
    }
    expect(roles.size).toBe(6);
  });

  it('lets only authenticate, extract and upsert read the given secrets, and no function any secret by default', () => {
    for (const name of NAMES) {
      const env = (props(fn(withParams, name)).Environment as JsonObject).Variables as JsonObject;
      const role = resource(withParams, `${logicalId(name)}Role`, 'AWS::IAM::Role');
      const secrets = roleStatements(role).filter((s) =>
        s.Action.some((a) => a.startsWith('secretsmanager:')),
      );
      if (FUNCTIONS[name].secrets) {
        expect(env.SECRETS_ARN).toBe(PARAMS.secretsArns);
        expect(secrets).toEqual([
          { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: SECRET_ARNS },
        ]);
      } else {
        expect({ name, env: env.SECRETS_ARN, secrets }).toEqual({ name, env: undefined, secrets: [] });
      }
      const byDefault = resource(defaults, `${logicalId(name)}Role`, 'AWS::IAM::Role');
      expect(allowedActions(byDefault).filter((a) => a.startsWith('secretsmanager:'))).toEqual([]);
    }
    // Nothing secret is written into the template: the environment names secrets, never values.
    const text = JSON.stringify(withParams.template);
    expect(text).not.toMatch(/"(DB_PASSWORD|SF_PRIVATE_KEY|SF_CLIENT_SECRET|SF_PASSWORD)[A-Z_]*"\s*:/);
  });

  it('puts extract, and only extract, in the VPC when subnets and security groups are given', () => {
    expect(props(fn(withParams, 'extract')).VpcConfig).toEqual({
      SubnetIds: ['subnet-0aaa1111', 'subnet-0bbb2222'],
      SecurityGroupIds: ['sg-0ccc3333'],
    });
    const eni = allowedActions(resource(withParams, 'ExtractRole', 'AWS::IAM::Role')).filter((a) =>
      a.startsWith('ec2:'),
    );
    expect(eni).toEqual(
      [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ].sort(),
    );
    for (const name of NAMES.filter((n) => n !== 'extract')) {
      expect({ name, vpc: props(fn(withParams, name)).VpcConfig }).toEqual({ name, vpc: undefined });
      const role = resource(withParams, `${logicalId(name)}Role`, 'AWS::IAM::Role');
      expect(allowedActions(role).filter((a) => a.startsWith('ec2:'))).toEqual([]);
    }
    // Without the parameters no function is in a VPC, and extract may not create network interfaces.
    for (const name of NAMES)
      expect({ name, vpc: props(fn(defaults, name)).VpcConfig }).toEqual({ name, vpc: undefined });
    expect(
      allowedActions(resource(defaults, 'ExtractRole', 'AWS::IAM::Role')).filter((a) => a.startsWith('ec2:')),
    ).toEqual([]);
  });

  it('keeps every log group 30 days by default, and as long as the parameter says', () => {
    for (const [p, days] of [
      [defaults, 30],
      [withParams, 14],
    ] as const) {
      const groups = ofType(p, 'AWS::Logs::LogGroup');
      expect(groups.map(([id]) => id).sort()).toEqual(
        [...NAMES.map((n) => `${logicalId(n)}LogGroup`), 'StateMachineLogGroup'].sort(),
      );
      for (const [id, group] of groups) {
        expect({ id, days: Number(props(group).RetentionInDays) }).toEqual({ id, days });
      }
    }
  });

  it('alarms through one topic on failed, timed-out and aborted executions', () => {
    const alarms = ofType(defaults, 'AWS::CloudWatch::Alarm').map(([, a]) => props(a));
    const onStates = alarms.filter(
      (a) => a.Namespace === 'AWS/States' && a.MetricName !== 'ExecutionsSucceeded',
    );
    expect(onStates.map((a) => a.MetricName).sort()).toEqual([
      'ExecutionsAborted',
      'ExecutionsFailed',
      'ExecutionsTimedOut',
    ]);
    for (const a of onStates) {
      expect(a.Dimensions).toEqual([{ Name: 'StateMachineArn', Value: { Ref: 'SyncStateMachine' } }]);
      expect(a.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
      expect(a.Threshold).toBe(1);
      expect(a.ComparisonOperator).toBe('GreaterThanOrEqualToThreshold');
    }
    resource(defaults, 'AlarmTopic', 'AWS::SNS::Topic');
  });

  it("alarms on any failed record, reading the Powertools metric the report Lambda's bundle emits", () => {
    const alarm = props(resource(defaults, 'RecordsFailedAlarm', 'AWS::CloudWatch::Alarm'));
    expect(alarm).toMatchObject({
      Namespace: 'SfSync',
      MetricName: 'RecordsFailed',
      Dimensions: [
        { Name: 'service', Value: 'sf-sync' },
        { Name: 'stage', Value: 'dev' },
      ],
      Statistic: 'Sum',
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
    const report = zips.get('report')?.get('functions/report.mjs')?.toString('utf8') ?? '';
    expect(report).toMatch(/NAMESPACE = "SfSync"/);
    expect(report).toMatch(/failed: "RecordsFailed"/);
    expect(report).toMatch(/"RunsWithFailures"/);
  });

  it('alarms when no execution succeeded in the last 26 hours (26 hourly periods, no data breaching)', () => {
    expect(props(resource(defaults, 'NoSuccessfulRunAlarm', 'AWS::CloudWatch::Alarm'))).toEqual({
      AlarmName: 'sf-sync-dev-NoSuccessfulRun',
      AlarmDescription:
        'sf-sync dev: no execution succeeded in the last 26 hours (schedule not running, or every run failing)',
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsSucceeded',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: 'SyncStateMachine' } }],
      Statistic: 'Sum',
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [{ Ref: 'AlarmTopic' }],
    });
  });

  it('sends a short text to the run-failures topic when a run ends with failures or the execution ends badly', () => {
    expect(props(resource(defaults, 'RunFailuresTopic', 'AWS::SNS::Topic'))).toEqual({
      TopicName: 'sf-sync-dev-run-failures',
    });
    const alarm = props(resource(defaults, 'RunWithFailuresAlarm', 'AWS::CloudWatch::Alarm'));
    expect(alarm).toMatchObject({
      AlarmName: 'sf-sync-dev-RunWithFailures',
      Namespace: 'SfSync',
      MetricName: 'RunsWithFailures',
      Dimensions: [
        { Name: 'service', Value: 'sf-sync' },
        { Name: 'stage', Value: 'dev' },
      ],
      Statistic: 'Sum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'RunFailuresTopic' }],
    });
    expect(String(alarm.AlarmDescription)).toContain('failures RUN_ID --aws --stage dev --csv');

    const rule = props(resource(defaults, 'RunEndedBadlyRule', 'AWS::Events::Rule'));
    expect(rule.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [{ Ref: 'SyncStateMachine' }] },
    });
    const [target] = rule.Targets as JsonObject[];
    expect(target?.Arn).toEqual({ Ref: 'RunFailuresTopic' });
    const transformer = target?.InputTransformer as JsonObject;
    expect(transformer.InputPathsMap).toEqual({
      name: '$.detail.name',
      status: '$.detail.status',
      time: '$.time',
    });
    // A JSON string: SNS then delivers plain text, with the placeholders filled in.
    const text = JSON.parse(String(transformer.InputTemplate)) as string;
    expect(text).toBe(
      'sf-sync dev: execution <name> ended <status> at <time>. See it with: npm run sf-sync -- show --aws --stage dev; fix the data or config, then replay.',
    );

    // Only that rule and that alarm may publish to the topic.
    const policy = props(resource(defaults, 'RunFailuresTopicPolicy', 'AWS::SNS::TopicPolicy'));
    expect(policy.Topics).toEqual([{ Ref: 'RunFailuresTopic' }]);
    const statements = (policy.PolicyDocument as { Statement: JsonObject[] }).Statement;
    expect(statements.map((s) => [s.Principal, s.Action, s.Resource])).toEqual([
      [{ Service: 'events.amazonaws.com' }, 'sns:Publish', { Ref: 'RunFailuresTopic' }],
      [{ Service: 'cloudwatch.amazonaws.com' }, 'sns:Publish', { Ref: 'RunFailuresTopic' }],
    ]);
    expect(statements[0]?.Condition).toEqual({ ArnEquals: { 'aws:SourceArn': getAtt('RunEndedBadlyRule') } });
    expect(statements[1]?.Condition).toEqual({
      ArnEquals: {
        'aws:SourceArn': {
          'Fn::Join': [
            ':',
            [
              'arn',
              { Ref: 'AWS::Partition' },
              'cloudwatch',
              { Ref: 'AWS::Region' },
              { Ref: 'AWS::AccountId' },
              'alarm',
              'sf-sync-dev-RunWithFailures',
            ],
          ],
        },
      },
    });
  });

  it('draws one dashboard: executions, records by bucket, duration, API calls and the alarms', () => {
    const body = props(resource(defaults, 'SyncDashboard', 'AWS::CloudWatch::Dashboard'))
      .DashboardBody as JsonObject;
    const [, parts] = body['Fn::Join'] as [string, Json[]];
    const refs = parts.filter((p) => typeof p !== 'string');
    expect(refs).toEqual([
      ...Array(4).fill({ Ref: 'SyncStateMachine' }),
      getAtt('NoSuccessfulRunAlarm'),
      getAtt('RunWithFailuresAlarm'),
      getAtt('RecordsFailedAlarm'),
    ]);
    const dashboard = JSON.parse(parts.map((p) => (typeof p === 'string' ? p : 'REF')).join('')) as {
      widgets: Array<{
        type: string;
        properties: { title: string; metrics?: string[][]; alarms?: string[] };
      }>;
    };
    expect(dashboard.widgets.map((w) => [w.type, w.properties.title])).toEqual([
      ['metric', 'Executions'],
      ['metric', 'Records by bucket'],
      ['metric', 'Run duration (ms)'],
      ['metric', 'Salesforce API calls'],
      ['alarm', 'Alarms'],
    ]);
    const metrics = dashboard.widgets.flatMap((w) => w.properties.metrics ?? []);
    expect(metrics.map((m) => `${m[0]}/${m[1]}`)).toEqual([
      'AWS/States/ExecutionsSucceeded',
      'AWS/States/ExecutionsFailed',
      'AWS/States/ExecutionsTimedOut',
      'AWS/States/ExecutionsAborted',
      'SfSync/RecordsCreated',
      'SfSync/RecordsUpdated',
      'SfSync/RecordsUnchanged',
      'SfSync/RecordsRejected',
      'SfSync/RecordsFailed',
      'SfSync/RecordsSkipped',
      'SfSync/RunDuration',
      'SfSync/SalesforceApiCalls',
    ]);
    for (const m of metrics.filter((x) => x[0] === 'SfSync'))
      expect(m.slice(2)).toEqual(['service', 'sf-sync', 'stage', 'dev']);
  });

  it('turns on X-Ray and the Powertools settings for every function', () => {
    for (const name of NAMES) {
      const p = props(fn(defaults, name));
      expect({ name, tracing: p.TracingConfig }).toEqual({ name, tracing: { Mode: 'Active' } });
      const env = (p.Environment as JsonObject).Variables as JsonObject;
      expect({
        name,
        env: [env.POWERTOOLS_SERVICE_NAME, env.POWERTOOLS_METRICS_NAMESPACE, env.STAGE],
      }).toEqual({
        name,
        env: ['sf-sync', 'SfSync', 'dev'],
      });
    }
  });

  it('subscribes the alarm email, to both topics, only when one is given', () => {
    expect(ofType(defaults, 'AWS::SNS::Subscription')).toEqual([]);
    expect(props(resource(withParams, 'AlarmEmailSubscription', 'AWS::SNS::Subscription'))).toEqual({
      TopicArn: { Ref: 'AlarmTopic' },
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
    expect(props(resource(withParams, 'RunFailuresEmailSubscription', 'AWS::SNS::Subscription'))).toEqual({
      TopicArn: { Ref: 'RunFailuresTopic' },
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('zips each handler alone with config/sync.config.json, and it loads in a bare node outside the repo', async () => {
    const config = readFileSync(path.join(root, 'config', 'sync.config.json'));
    const script = [
      'const m = await import(process.env.HANDLER_URL);',
      'process.stdout.write(JSON.stringify({ exports: Object.keys(m), handler: typeof m.handler }));',
    ].join('\n');
    await Promise.all(
      NAMES.map(async (name) => {
        const files = zips.get(name);
        if (!files) throw new Error(`No zip for ${name}`);
        expect([...files.keys()].sort()).toEqual(
          ['config/sync.config.json', `functions/${name}.mjs`, `functions/${name}.mjs.map`].sort(),
        );
        expect(files.get('config/sync.config.json')?.equals(config)).toBe(true);

        // Unpacked under the OS temp dir: no node_modules above it, so an import left out of the
        // bundle would fail here just as it would in Lambda.
        const taskRoot = path.join(work, 'lambda', name);
        for (const [file, data] of files) {
          mkdirSync(path.dirname(path.join(taskRoot, file)), { recursive: true });
          writeFileSync(path.join(taskRoot, file), data);
        }
        const { stdout } = await run(
          process.execPath,
          ['--enable-source-maps', '--input-type=module', '-e', script],
          {
            cwd: taskRoot,
            env: {
              PATH: process.env.PATH,
              LAMBDA_TASK_ROOT: taskRoot,
              HANDLER_URL: pathToFileURL(path.join(taskRoot, 'functions', `${name}.mjs`)).href,
              NODE_OPTIONS: `--require ${JSON.stringify(blockNetwork)}`,
              SF_SYNC_NETWORK_LOG: networkLog,
            },
            timeout: 30_000,
          },
        );
        // Each handler file exports Lambda's entry and the factory the local runner binds to its app.
        const exports = ['handler', `${name}Handler`].sort();
        expect({ name, ...JSON.parse(stdout) }).toEqual({ name, exports, handler: 'function' });
      }),
    );
    expect(existsSync(networkLog) ? readFileSync(networkLog, 'utf8') : '').toBe('');
  });
});
