import { startWorld, type TestWorld } from './helpers.js';

/**
 * statemachines/sync.asl.yml on the local Step Functions engine: whatever JSON value starts an
 * execution, Plan receives it and refuses it by name (InvalidInputError), not States.Runtime.
 */
describe('execution input through the state machine', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
  }, 120000);
  afterAll(async () => {
    await world?.stop();
  });

  function nested(levels: number): unknown {
    let value: unknown = 'ITALCOL';
    for (let i = 0; i < levels; i++) value = [value];
    return value;
  }

  it.each([
    [null, 'got null.'],
    [0, 'got the number 0.'],
    [false, 'got false.'],
    ['', 'got the empty string "".'],
    // JSON.parse('1e400') is Infinity, which JSON (Lambda's event encoding) writes as null.
    [JSON.parse('1e400'), 'got null.'],
    [[], 'got a list of 0 item(s).'],
    ['ITALCOL', 'got the string "ITALCOL".'],
  ])('refuses %j in Plan with InvalidInputError', async (input, got) => {
    const result = await world.run(input);
    expect(result.status).toBe('FAILED');
    expect(result.execution.error).toBe('InvalidInputError');
    const failed = result.events.filter((e) => e.type === 'TaskFailed').map((e) => e.stateName);
    expect(failed).toEqual(['Plan']);
    expect(result.error).toContain(
      `The execution input must be a JSON object like {"companies": ["ITALCOL"]}; ${got}`,
    );
    expect(result.salesforce.apiCalls).toBe(0);
  });

  // 1,000 levels: the local engine's own JSON round trip of the execution input (src/local) still
  // recurses; 5,000 levels are refused before it, by the CLI (tests/integration/cli/input.test.ts).
  it('refuses a 1,000-level nested input by its depth', async () => {
    const result = await world.run({ companies: nested(1000) });
    expect(result.execution.error).toBe('InvalidInputError');
    expect(result.error).toContain(
      'The execution input is nested more than 32 levels deep (at most 32 accepted).',
    );
  });

  it('shows an invisible character in an unknown company escaped', async () => {
    const result = await world.run({ companies: ['ITALCOL\u200B'] });
    expect(result.execution.error).toBe('InvalidInputError');
    expect(result.error).toContain('Unknown company "ITALCOL\\u200B".');
  });

  it('still runs a valid input', async () => {
    const result = await world.run({ companies: ['SANTA_REYES'], entities: ['terceros'] });
    expect(result.status).toBe('SUCCEEDED');
    expect(Object.keys(result.summary?.companies ?? {})).toEqual(['SANTA_REYES']);
  });
});
