import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  bindTaskResources,
  functionKeyOf,
  LocalDefinitionError,
  loadDefinition,
  localFunctionArn,
  MAX_TIMER_SECONDS,
  type MachineDefinition,
  prepareForRun,
  readFunctionTimeouts,
  validateDefinition,
} from '../../../src/local/definition.js';

const fixture = (name: string) => path.join('tests/fixtures/local', name);

/** A machine with Tasks at the top, in a Map ItemProcessor, a legacy Map Iterator and Parallel branches. */
function nestedMachine(): MachineDefinition {
  return {
    StartAt: 'Top',
    States: {
      Top: { Type: 'Task', Resource: { 'Fn::GetAtt': ['plan', 'Arn'] }, Next: 'Fan' },
      Fan: {
        Type: 'Map',
        ItemProcessor: {
          StartAt: 'InMap',
          States: { InMap: { Type: 'Task', Resource: { 'Fn::GetAtt': 'extract.Arn' }, End: true } },
        },
        Next: 'Legacy',
      },
      Legacy: {
        Type: 'Map',
        Iterator: {
          StartAt: 'InIterator',
          States: {
            InIterator: {
              Type: 'Task',
              Resource: 'arn:aws:lambda:eu-west-1:123456789012:function:transform:live',
              End: true,
            },
          },
        },
        Next: 'Both',
      },
      Both: {
        Type: 'Parallel',
        Branches: [
          {
            StartAt: 'Left',
            States: { Left: { Type: 'Task', Resource: localFunctionArn('upsert'), End: true } },
          },
          { StartAt: 'Right', States: { Right: { Type: 'Pass', End: true } } },
        ],
        End: true,
      },
    },
  };
}

describe('functionKeyOf', () => {
  it('reads Fn::GetAtt in its list and dotted forms and Lambda ARNs', () => {
    expect(functionKeyOf('S', { 'Fn::GetAtt': ['plan', 'Arn'] })).toEqual({ key: 'plan' });
    expect(functionKeyOf('S', { 'Fn::GetAtt': 'report.Arn' })).toEqual({ key: 'report' });
    expect(functionKeyOf('S', 'arn:aws:lambda:us-east-1:1:function:extract')).toEqual({ key: 'extract' });
    expect(functionKeyOf('S', localFunctionArn('upsert'))).toEqual({ key: 'upsert' });
  });

  it('explains what is accepted otherwise', () => {
    expect(functionKeyOf('Call', 'arn:aws:states:::lambda:invoke').problem).toMatch(
      /^State "Call": Resource "arn:aws:states:::lambda:invoke" cannot run locally .* Fn::GetAtt: \[plan, Arn\]/,
    );
    expect(functionKeyOf('Odd', { 'Fn::GetAtt': ['plan', 'Name'] }).problem).toContain(
      'State "Odd": Fn::GetAtt ["plan","Name"] is not supported',
    );
    expect(functionKeyOf('None', undefined).problem).toContain('State "None"');
  });
});

describe('bindTaskResources', () => {
  it('binds Tasks at every level to fake ARNs by state name', () => {
    const machine = nestedMachine();

    const { bindings, problems } = bindTaskResources(machine);

    expect(problems).toEqual([]);
    expect(Object.fromEntries(bindings)).toEqual({
      Top: 'plan',
      InMap: 'extract',
      InIterator: 'transform',
      Left: 'upsert',
    });
    const fan = machine.States?.Fan as { ItemProcessor: MachineDefinition };
    expect(fan.ItemProcessor.States?.InMap?.Resource).toBe(
      'arn:aws:lambda:us-east-1:000000000000:function:sf-sync-local-extract',
    );
  });
});

describe('prepareForRun', () => {
  it("scales Retry intervals and caps, and gives Tasks AWS's unlimited timeout within what a timer can hold", () => {
    const machine: MachineDefinition = {
      StartAt: 'A',
      TimeoutSeconds: 99_999_999,
      States: {
        A: {
          Type: 'Task',
          Resource: localFunctionArn('a'),
          Retry: [
            {
              ErrorEquals: ['X'],
              IntervalSeconds: 2,
              MaxDelaySeconds: 10,
              BackoffRate: 3,
              JitterStrategy: 'FULL',
            },
            { ErrorEquals: ['Y'] },
          ],
          Next: 'B',
        },
        B: { Type: 'Task', Resource: localFunctionArn('b'), TimeoutSeconds: 30, End: true },
      },
    };

    prepareForRun(machine, 0.01);

    expect(machine.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(machine.States?.A?.TimeoutSeconds).toBe(MAX_TIMER_SECONDS);
    expect(machine.States?.B?.TimeoutSeconds).toBe(30);
    expect(machine.States?.A?.Retry).toEqual([
      {
        ErrorEquals: ['X'],
        IntervalSeconds: 0.02,
        MaxDelaySeconds: 0.1,
        BackoffRate: 3,
        JitterStrategy: 'FULL',
      },
      { ErrorEquals: ['Y'], IntervalSeconds: 0.01 },
    ]);
  });

  it('leaves Retry as written at scale 1', () => {
    const machine = loadDefinition(fixture('retry-catch.asl.yml'));
    const before = structuredClone(machine.States?.Flaky?.Retry);

    prepareForRun(machine, 1);

    expect(machine.States?.Flaky?.Retry).toEqual(before);
  });
});

describe('prepareForRun: a Pass state with a falsy Result', () => {
  it('returns false, 0, "" and null as Step Functions does (the engine passed the input on)', () => {
    const machine: MachineDefinition = {
      StartAt: 'F',
      States: {
        F: { Type: 'Pass', Result: false, Next: 'Z' },
        Z: { Type: 'Pass', Result: 0, ResultPath: '$', Next: 'Kept' },
        Kept: { Type: 'Pass', Result: false, ResultPath: '$.flag', End: true },
      },
    };
    prepareForRun(machine, 1);
    expect(machine.States?.F).toEqual({
      Type: 'Pass',
      Parameters: { value: false },
      OutputPath: '$.value',
      Next: 'Z',
    });
    expect(machine.States?.Z).toEqual({
      Type: 'Pass',
      Parameters: { value: 0 },
      OutputPath: '$.value',
      Next: 'Kept',
    });
    // With a ResultPath into the state there is no such rewrite: validateDefinition refuses it.
    expect(machine.States?.Kept).toEqual({ Type: 'Pass', Result: false, ResultPath: '$.flag', End: true });
    expect(validateDefinition({ StartAt: 'Kept', States: { Kept: machine.States?.Kept } })).toEqual([
      'State "Kept": a Pass Result of false with a ResultPath or OutputPath runs wrongly on aws-local-stepfunctions (it keeps the input); give the Result without them, or a truthy one',
    ]);
  });
});

describe('loadDefinition and validateDefinition', () => {
  it('copies an object definition instead of changing it', () => {
    const original = nestedMachine();
    const copy = loadDefinition(original);
    bindTaskResources(copy);

    expect(original).toEqual(nestedMachine());
  });

  it('resolves YAML anchors, aliases and merge keys', () => {
    const machine = loadDefinition(fixture('anchors.asl.yml'));

    expect(machine.States?.First?.Retry).toEqual(machine.States?.Second?.Retry);
    expect(machine.States?.Second?.Retry).toEqual([
      {
        ErrorEquals: ['Lambda.ServiceException'],
        IntervalSeconds: 1,
        MaxAttempts: 3,
        BackoffRate: 2,
        JitterStrategy: 'FULL',
      },
    ]);
    expect(machine.States?.Second?.TimeoutSeconds).toBe(30);
    expect(validateDefinition(fixture('anchors.asl.yml'))).toEqual([]);
  });

  it('lists features the local runner cannot run', () => {
    const problems = validateDefinition({
      StartAt: 'A',
      States: {
        A: { Type: 'Pass', Assign: { x: 1 }, Next: 'B' },
        B: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem', End: true },
      },
    });

    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('State "B": Resource "arn:aws:states:::dynamodb:putItem" cannot run locally'),
        'State "A": variables (Assign) are not supported by aws-local-stepfunctions',
      ]),
    );
  });

  it('accepts a STANDARD Distributed Map with its tolerated failures and label, and refuses what it cannot run', () => {
    const map = (config: Record<string, unknown>, fields: Record<string, unknown> = {}) => ({
      Type: 'Map',
      ...fields,
      ItemProcessor: { ProcessorConfig: config, StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
      End: true,
    });
    const standard = { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' };
    const distributed = {
      ToleratedFailurePercentage: 100,
      ToleratedFailureCount: 2,
      Label: 'pages',
      MaxConcurrency: 4,
    };
    expect(validateDefinition({ StartAt: 'M', States: { M: map(standard, distributed) } })).toEqual([]);
    expect(
      validateDefinition({
        StartAt: 'M',
        States: { M: map({ Mode: 'DISTRIBUTED', ExecutionType: 'EXPRESS' }) },
      }),
    ).toContain('State "M": a Distributed Map runs locally with ExecutionType STANDARD only (got "EXPRESS")');
    expect(
      validateDefinition({
        StartAt: 'M',
        States: { M: map({ Mode: 'INLINE' }, { ToleratedFailureCount: 1 }) },
      }),
    ).toContain(
      'State "M": ToleratedFailureCount applies to a Distributed Map only (ItemProcessor.ProcessorConfig: {Mode: DISTRIBUTED, ExecutionType: STANDARD})',
    );
    expect(
      validateDefinition({
        StartAt: 'M',
        States: { M: map(standard, { ToleratedFailurePercentagePath: '$.p' }) },
      }),
    ).toContain(
      'State "M": Distributed Map ToleratedFailurePercentagePath is not supported locally; use ToleratedFailurePercentage',
    );
  });

  it('reports unreadable files as problems', () => {
    expect(validateDefinition(fixture('missing.asl.yml'))).toEqual([
      `State machine definition file not found: ${fixture('missing.asl.yml')}`,
    ]);
    expect(validateDefinition({ States: {} })).toEqual([
      'The definition needs StartAt (a state name) and States (an object of states)',
    ]);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-asl-'));
    try {
      const broken = path.join(dir, 'broken.asl.yml');
      writeFileSync(broken, 'StartAt: [unclosed\nStates: {\n');
      expect(() => loadDefinition(broken)).toThrow(LocalDefinitionError);
      expect(() => loadDefinition(broken)).toThrow(`Cannot parse the state machine definition ${broken}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readFunctionTimeouts', () => {
  it("reads each function's timeout, the provider default, or Serverless's 6 seconds, past CloudFormation tags", () => {
    expect(readFunctionTimeouts(fixture('serverless.yml'))).toEqual({ plan: 55, extract: 900, report: 20 });
  });
});
