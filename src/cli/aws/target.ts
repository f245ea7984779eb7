import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type ExecutionListItem,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  type SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { z } from 'zod';
import { loadConfig } from '../../core/config/load.js';
import { ConfigError } from '../../core/errors.js';
import { SyncStore } from '../../core/store/sync-store.js';
import { Table } from '../../core/store/table.js';

/** What --aws reads: the deployed stack of one stage (serverless.yml names both after it). */
export interface AwsTarget {
  stage: string;
  /** --table, TABLE_NAME, or the stack's table: sf-sync-<stage>. */
  tableName: string;
  /** --state-machine-arn or STATE_MACHINE_ARN; otherwise looked up by name when needed. */
  stateMachineArn?: string;
  /** The state machine's name in the stack: sf-sync-<stage>. */
  stateMachineName: string;
}

const StageSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,32}$/, 'letters, digits and hyphens only, at most 32 characters');
const ArnSchema = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/,
    'not a state machine ARN',
  );
const TableSchema = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{3,255}$/, 'letters, digits, _ . - only, 3 to 255 characters');

function checked(schema: z.ZodString, value: string, what: string, example: string): string {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const why = result.error.issues[0]?.message ?? 'invalid';
  throw new ConfigError(`${what} "${value}" is not accepted (${why}); e.g. ${example}`);
}

/** The deployed stack's names from the flags, then the environment, then serverless.yml's naming. */
export function awsTarget(
  flags: { stage?: string; table?: string; stateMachineArn?: string },
  env: NodeJS.ProcessEnv = process.env,
): AwsTarget {
  const stage = checked(StageSchema, flags.stage ?? 'dev', '--stage', 'dev or prod');
  const table = flags.table ?? (env.TABLE_NAME || undefined) ?? `sf-sync-${stage}`;
  const arn = flags.stateMachineArn ?? (env.STATE_MACHINE_ARN || undefined);
  const arnFrom = flags.stateMachineArn !== undefined ? '--state-machine-arn' : 'STATE_MACHINE_ARN';
  const tableFrom = flags.table !== undefined ? '--table' : 'TABLE_NAME';
  return {
    stage,
    tableName: checked(TableSchema, table, tableFrom, `sf-sync-${stage}`),
    ...(arn
      ? {
          stateMachineArn: checked(
            ArnSchema,
            arn,
            arnFrom,
            `arn:aws:states:us-east-1:123456789012:stateMachine:sf-sync-${stage}`,
          ),
        }
      : {}),
    stateMachineName: `sf-sync-${stage}`,
  };
}

/** The deployed table, read through the AWS SDK's own endpoint, region and credential chain. */
export function awsStore(
  target: AwsTarget,
  client = new DynamoDBClient({ maxAttempts: 3 }),
  config = loadConfig(),
): SyncStore {
  return new SyncStore(new Table(client, target.tableName), config.stagingTtlHours);
}

/** Names what to set when a deployed resource cannot be found or the SDK has no region or credentials. */
export function awsProblem(error: unknown, target: AwsTarget): Error {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  if (/ResourceNotFoundException/.test(text) && /DynamoDB/.test(text))
    return new ConfigError(
      `the table "${target.tableName}" was not found (${text}). Set --table or TABLE_NAME, or --stage, and AWS_REGION`,
    );
  if (/Region is missing/i.test(text))
    return new ConfigError(`no AWS region: set AWS_REGION (or a profile with a region) (${text})`);
  if (/Could not load credentials|CredentialsProviderError/i.test(text))
    return new ConfigError(
      `no AWS credentials: set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (${text})`,
    );
  return error instanceof Error ? error : new Error(text);
}

/** The state machine's ARN: as given, or the one named sf-sync-<stage> in the account and region. */
export async function stateMachineArn(sfn: SFNClient, target: AwsTarget): Promise<string> {
  if (target.stateMachineArn) return target.stateMachineArn;
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new ListStateMachinesCommand({ nextToken, maxResults: 100 }));
    const found = page.stateMachines?.find((m) => m.name === target.stateMachineName);
    if (found?.stateMachineArn) return found.stateMachineArn;
    nextToken = page.nextToken;
  } while (nextToken);
  throw new ConfigError(
    `no state machine named ${target.stateMachineName} in this account and region: ` +
      'set --state-machine-arn or STATE_MACHINE_ARN (serverless info), or --stage and AWS_REGION',
  );
}

/** One execution of the state machine, as `runs --aws` shows it beside the run records. */
export interface ExecutionRow {
  name: string;
  status: string;
  startDate: string | null;
  stopDate: string | null;
}

function row(e: ExecutionListItem): ExecutionRow {
  return {
    name: e.name ?? '',
    status: e.status ?? 'UNKNOWN',
    startDate: e.startDate ? e.startDate.toISOString() : null,
    stopDate: e.stopDate ? e.stopDate.toISOString() : null,
  };
}

/** The latest executions, newest first (one page of ListExecutions). */
export async function recentExecutions(sfn: SFNClient, arn: string, limit: number): Promise<ExecutionRow[]> {
  const out = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, maxResults: limit }));
  return (out.executions ?? []).map(row);
}

/** Starts an execution with this input; the run ID is the execution's name. */
export async function startExecution(
  sfn: SFNClient,
  arn: string,
  input: unknown,
): Promise<{ executionArn: string; startDate: string | null }> {
  const out = await sfn.send(
    new StartExecutionCommand({ stateMachineArn: arn, input: JSON.stringify(input) }),
  );
  return {
    executionArn: out.executionArn ?? '',
    startDate: out.startDate ? out.startDate.toISOString() : null,
  };
}
