import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse } from 'yaml';

/** Step Functions' quota for a state's input, output and the execution input (UTF-8 bytes). */
export const PAYLOAD_LIMIT_BYTES = 262_144;
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_FUNCTION_PREFIX = 'sf-sync-local-';
/** Longest timer Node can arm (setTimeout overflows above 2^31-1 ms and fires at once). */
export const MAX_TIMER_SECONDS = Math.floor(2_147_483_647 / 1000);

export type StateDefinition = Record<string, unknown>;
export interface MachineDefinition {
  StartAt?: unknown;
  States?: Record<string, StateDefinition>;
  TimeoutSeconds?: unknown;
  [key: string]: unknown;
}

/** The fake Lambda ARN a function key is bound to locally. */
export function localFunctionArn(functionKey: string): string {
  return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${LOCAL_FUNCTION_PREFIX}${functionKey}`;
}

export class LocalDefinitionError extends Error {
  readonly problems: string[];
  constructor(message: string, problems: string[]) {
    super(problems.length > 0 ? `${message}\n  - ${problems.join('\n  - ')}` : message);
    this.name = 'LocalDefinitionError';
    this.problems = problems;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads a definition: a parsed ASL object (deep-copied, never modified) or a path to a .json,
 * .yml or .yaml file. YAML anchors, aliases and `<<` merge keys work as in serverless.yml.
 */
export function loadDefinition(definition: object | string): MachineDefinition {
  let value: unknown;
  if (typeof definition === 'string') {
    if (!existsSync(definition)) {
      throw new LocalDefinitionError(`State machine definition file not found: ${definition}`, []);
    }
    const text = readFileSync(definition, 'utf8');
    try {
      value = definition.endsWith('.json') ? JSON.parse(text) : parse(text, { merge: true });
    } catch (error) {
      throw new LocalDefinitionError(`Cannot parse the state machine definition ${definition}`, [
        error instanceof Error ? error.message : String(error),
      ]);
    }
  } else {
    value = structuredClone(definition);
  }
  if (!isObject(value)) {
    throw new LocalDefinitionError(
      'A state machine definition must be an object with StartAt and States (or a path to a .yml/.json file holding one)',
      [],
    );
  }
  return value as MachineDefinition;
}

export function definitionName(definition: object | string): string {
  if (typeof definition !== 'string') return 'local-state-machine';
  return path.basename(definition).replace(/\.(asl\.)?(ya?ml|json)$/, '') || 'local-state-machine';
}

/** Every state of the machine, nested ones (Map ItemProcessor/Iterator, Parallel Branches) included. */
export function forEachState(
  machine: MachineDefinition,
  visit: (name: string, state: StateDefinition) => void,
): void {
  const states = machine.States;
  if (!isObject(states)) return;
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) continue;
    visit(name, state);
    for (const key of ['ItemProcessor', 'Iterator']) {
      const nested = state[key];
      if (isObject(nested)) forEachState(nested as MachineDefinition, visit);
    }
    if (Array.isArray(state.Branches)) {
      for (const branch of state.Branches) {
        if (isObject(branch)) forEachState(branch as MachineDefinition, visit);
      }
    }
  }
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]*:function:([A-Za-z0-9_-]+)(?::[A-Za-z0-9$_-]+)?$/;

/** The function key a Task's Resource names, or a problem explaining what is accepted. */
export function functionKeyOf(stateName: string, resource: unknown): { key?: string; problem?: string } {
  const accepted =
    'use {"Fn::GetAtt": ["<functionKey>", "Arn"]} (YAML: Fn::GetAtt: [plan, Arn]) or a Lambda function ARN ending in function:<name>';
  if (isObject(resource) && 'Fn::GetAtt' in resource) {
    const target = resource['Fn::GetAtt'];
    if (
      Array.isArray(target) &&
      target.length === 2 &&
      typeof target[0] === 'string' &&
      target[1] === 'Arn'
    ) {
      return { key: target[0] };
    }
    if (typeof target === 'string' && /^[^.]+\.Arn$/.test(target)) return { key: target.slice(0, -4) };
    return {
      problem: `State "${stateName}": Fn::GetAtt ${JSON.stringify(target)} is not supported; ${accepted}`,
    };
  }
  if (typeof resource === 'string') {
    const match = LAMBDA_ARN.exec(resource);
    if (match?.[1]) {
      const name = match[1];
      return {
        key: name.startsWith(LOCAL_FUNCTION_PREFIX) ? name.slice(LOCAL_FUNCTION_PREFIX.length) : name,
      };
    }
    return {
      problem: `State "${stateName}": Resource "${resource}" cannot run locally (only Lambda functions invoked directly can); ${accepted}`,
    };
  }
  return {
    problem: `State "${stateName}": Resource ${JSON.stringify(resource)} is not supported; ${accepted}`,
  };
}

/**
 * Replaces every Task Resource by the fake ARN of its function key (in place) and returns the
 * function key of each Task state by state name.
 */
export function bindTaskResources(machine: MachineDefinition): {
  bindings: Map<string, string>;
  problems: string[];
} {
  const bindings = new Map<string, string>();
  const problems: string[] = [];
  forEachState(machine, (name, state) => {
    if (state.Type !== 'Task') return;
    const { key, problem } = functionKeyOf(name, state.Resource);
    if (problem || key === undefined) {
      problems.push(problem ?? `State "${name}": no Resource`);
      return;
    }
    bindings.set(name, key);
    state.Resource = localFunctionArn(key);
  });
  return { bindings, problems };
}

const UNSUPPORTED_FIELDS: Record<string, string> = {
  Assign: 'variables (Assign) are not supported by aws-local-stepfunctions',
  Arguments: 'JSONata Arguments are not supported by aws-local-stepfunctions',
  Output: 'JSONata Output is not supported by aws-local-stepfunctions',
  ItemReader: 'Distributed Map ItemReader is not supported locally',
  ItemBatcher: 'Distributed Map ItemBatcher is not supported locally',
  ResultWriter: 'Distributed Map ResultWriter is not supported locally',
  ToleratedFailureCountPath:
    'Distributed Map ToleratedFailureCountPath is not supported locally; use ToleratedFailureCount',
  ToleratedFailurePercentagePath:
    'Distributed Map ToleratedFailurePercentagePath is not supported locally; use ToleratedFailurePercentage',
  MaxConcurrencyPath: 'MaxConcurrencyPath is not supported locally; use MaxConcurrency',
  Credentials: 'cross-account Task Credentials are not supported locally',
};

function unsupportedFeatures(machine: MachineDefinition): string[] {
  const problems: string[] = [];
  if (machine.QueryLanguage === 'JSONata') {
    problems.push('QueryLanguage JSONata is not supported by aws-local-stepfunctions; use JSONPath');
  }
  forEachState(machine, (name, state) => {
    if (state.QueryLanguage === 'JSONata') {
      problems.push(
        `State "${name}": QueryLanguage JSONata is not supported by aws-local-stepfunctions; use JSONPath`,
      );
    }
    for (const [field, why] of Object.entries(UNSUPPORTED_FIELDS)) {
      if (field in state) problems.push(`State "${name}": ${why}`);
    }
    problems.push(...mapModeProblems(name, state));
    if (state.Type === 'Pass' && 'Result' in state && !state.Result && !wholeState(state)) {
      problems.push(
        `State "${name}": a Pass Result of ${JSON.stringify(state.Result)} with a ResultPath or OutputPath runs wrongly on aws-local-stepfunctions (it keeps the input); give the Result without them, or a truthy one`,
      );
    }
  });
  return problems;
}

const DISTRIBUTED_ONLY = ['ToleratedFailureCount', 'ToleratedFailurePercentage', 'Label'];

/**
 * A Distributed Map runs locally with STANDARD child executions only (EXPRESS children have
 * other semantics: no history, at-least-once); its fields are refused on an inline Map.
 */
function mapModeProblems(name: string, state: StateDefinition): string[] {
  if (state.Type !== 'Map') return [];
  const processor = isObject(state.ItemProcessor) ? state.ItemProcessor : {};
  const config = isObject(processor.ProcessorConfig) ? processor.ProcessorConfig : {};
  if (config.Mode === 'DISTRIBUTED') {
    return config.ExecutionType === 'STANDARD'
      ? []
      : [
          `State "${name}": a Distributed Map runs locally with ExecutionType STANDARD only (got ${JSON.stringify(config.ExecutionType)})`,
        ];
  }
  return DISTRIBUTED_ONLY.filter((field) => field in state).map(
    (field) =>
      `State "${name}": ${field} applies to a Distributed Map only (ItemProcessor.ProcessorConfig: {Mode: DISTRIBUTED, ExecutionType: STANDARD})`,
  );
}

interface AslValidatorResult {
  isValid: boolean;
  errors: Array<Record<string, unknown>>;
}
type AslValidator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => AslValidatorResult;

let aslValidator: AslValidator | undefined;
function validator(): AslValidator {
  aslValidator ??= createRequire(import.meta.url)('asl-validator') as AslValidator;
  return aslValidator;
}

function formatValidatorError(error: Record<string, unknown>): string {
  const code = error['Error code'];
  const message = error.Message;
  if (typeof message === 'string') return typeof code === 'string' ? `${code}: ${message}` : message;
  const where = typeof error.instancePath === 'string' && error.instancePath ? `${error.instancePath} ` : '';
  return `${where}${typeof error.message === 'string' ? error.message : JSON.stringify(error)}`;
}

/**
 * Problems with an already loaded definition whose Resources are bound (see bindTaskResources):
 * asl-validator's findings (schema, paths, ARNs, transitions, duplicate names) and features the
 * local runner cannot run. Empty when the definition is runnable.
 */
const checked = new Map<string, string[]>();

export function problemsOf(machine: MachineDefinition): string[] {
  if (!isObject(machine.States) || typeof machine.StartAt !== 'string') {
    return ['The definition needs StartAt (a state name) and States (an object of states)'];
  }
  // Validation costs a few hundred ms; a definition is validated once per content per process.
  const key = JSON.stringify(machine);
  const known = checked.get(key);
  if (known) return [...known];
  const found = validateMachine(machine);
  checked.set(key, found);
  return [...found];
}

function validateMachine(machine: MachineDefinition): string[] {
  // asl-validator writes QueryLanguage into the states it checks: give it a copy.
  const result = validator()(structuredClone(machine), { checkArn: true, checkPaths: true });
  const problems = result.isValid ? [] : result.errors.map(formatValidatorError);
  return [...problems, ...unsupportedFeatures(machine)];
}

/** Every problem that stops the definition from running locally (empty when it can run). */
export function validateDefinition(definition: object | string): string[] {
  let machine: MachineDefinition;
  try {
    machine = loadDefinition(definition);
  } catch (error) {
    if (error instanceof LocalDefinitionError)
      return error.problems.length > 0 ? error.problems : [error.message];
    throw error;
  }
  const { problems } = bindTaskResources(machine);
  return [...problems, ...problemsOf(machine)];
}

/**
 * Prepares a bound definition for aws-local-stepfunctions (in place):
 * - Retry IntervalSeconds and MaxDelaySeconds are multiplied by `retryIntervalScale`, so
 *   BackoffRate and JitterStrategy keep working at a smaller scale;
 * - a Task without TimeoutSeconds/TimeoutSecondsPath gets the longest timer Node can arm
 *   (AWS has no Task timeout by default; the library would otherwise apply 60 s), and any
 *   TimeoutSeconds above that is capped (a longer timer would fire at once);
 * - a Pass state whose Result is false, 0, "" or null returns that value (see passFalsyResult).
 */
export function prepareForRun(machine: MachineDefinition, retryIntervalScale: number): void {
  const cap = (value: unknown) =>
    typeof value === 'number' && value > MAX_TIMER_SECONDS ? MAX_TIMER_SECONDS : value;
  if (machine.TimeoutSeconds !== undefined) machine.TimeoutSeconds = cap(machine.TimeoutSeconds);
  forEachState(machine, (_name, state) => {
    passFalsyResult(state);
    if (state.Type === 'Task') {
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = MAX_TIMER_SECONDS;
      } else if (state.TimeoutSeconds !== undefined) {
        state.TimeoutSeconds = cap(state.TimeoutSeconds);
      }
    }
    if (retryIntervalScale !== 1 && Array.isArray(state.Retry)) {
      for (const retrier of state.Retry as Array<Record<string, unknown>>) {
        const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
        retrier.IntervalSeconds = interval * retryIntervalScale;
        if (typeof retrier.MaxDelaySeconds === 'number') {
          // The library skips a MaxDelaySeconds of 0; keep a tiny positive cap instead.
          retrier.MaxDelaySeconds = Math.max(retrier.MaxDelaySeconds * retryIntervalScale, 1e-6);
        }
      }
    }
  });
}

/**
 * aws-local-stepfunctions 3.0 returns a Pass state's Result only when it is truthy
 * (`if (this.stateDefinition.Result)`), so `Result: false` passed the state's input on; Step
 * Functions returns the Result as given. Where the Result replaces the whole state (no ResultPath
 * or `$`, no OutputPath or `$`), the same value is produced as `Parameters: {value: <Result>}`
 * selected by `OutputPath: $.value`.
 */
function wholeState(state: StateDefinition): boolean {
  const whole = (path: unknown) => path === undefined || path === '$';
  return whole(state.ResultPath) && whole(state.OutputPath);
}

function passFalsyResult(state: StateDefinition): void {
  if (state.Type !== 'Pass' || !('Result' in state) || state.Result || !wholeState(state)) return;
  state.Parameters = { value: state.Result };
  state.OutputPath = '$.value';
  delete state.Result;
  delete state.ResultPath;
}

/** Error names each Retrier and Catcher of a state lists explicitly, in order. */
export function errorMatchersOf(state: StateDefinition): { retry: string[][]; catch: string[][] } {
  const names = (list: unknown) =>
    Array.isArray(list)
      ? list.map((entry) =>
          isObject(entry) && Array.isArray(entry.ErrorEquals)
            ? entry.ErrorEquals.filter((n): n is string => typeof n === 'string')
            : [],
        )
      : [];
  return { retry: names(state.Retry), catch: names(state.Catch) };
}

/**
 * Lambda timeouts (seconds) by function key from a serverless.yml-style file: each
 * `functions.<key>.timeout`, else `provider.timeout`, else Serverless' default of 6 seconds.
 */
export function readFunctionTimeouts(file: string): Record<string, number> {
  const text = readFileSync(file, 'utf8');
  // Unknown tags such as !Ref or !GetAtt only warn (silenced) and keep their plain value.
  const doc = parse(text, { merge: true, logLevel: 'silent' }) as unknown;
  if (!isObject(doc)) throw new Error(`${file} is not a YAML mapping`);
  const provider = isObject(doc.provider) ? doc.provider : {};
  const fallback = typeof provider.timeout === 'number' ? provider.timeout : 6;
  const timeouts: Record<string, number> = {};
  for (const [key, fn] of Object.entries(isObject(doc.functions) ? doc.functions : {})) {
    timeouts[key] = isObject(fn) && typeof fn.timeout === 'number' ? fn.timeout : fallback;
  }
  return timeouts;
}
