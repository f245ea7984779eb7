import { loadConfig } from '../../src/core/config/load.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { describeJson, inputBoundsProblem, MAX_INPUT_BYTES, shown } from '../../src/core/sync/input.js';
import { planRun } from '../../src/core/sync/plan.js';

const config = loadConfig('config/sync.config.json');

function nested(levels: number): unknown {
  let value: unknown = 'ITALCOL';
  for (let i = 0; i < levels; i++) value = [value];
  return value;
}

function refusal(input: unknown): InvalidInputError {
  try {
    planRun(config, 'r1', input);
  } catch (error) {
    if (error instanceof InvalidInputError) return error;
    throw error;
  }
  throw new Error('planRun accepted the input');
}

describe('execution input that is not an object', () => {
  it.each([
    [null, 'got null.'],
    [0, 'got the number 0.'],
    [false, 'got false.'],
    [true, 'got true.'],
    ['', 'got the empty string "".'],
    ['ITALCOL', 'got the string "ITALCOL".'],
    [JSON.parse('1e400'), 'got a number too large for JSON to hold (it parses as Infinity).'],
    [[], 'got a list of 0 item(s).'],
    [[{ companies: ['ITALCOL'] }], 'got a list of 1 item(s).'],
    [undefined, 'got no input at all.'],
  ])('refuses %j, saying an object is wanted', (input, got) => {
    const error = refusal(input);
    expect(error.name).toBe('InvalidInputError');
    expect(error.message.split('\n')[0]).toBe(
      `The execution input must be a JSON object like {"companies": ["ITALCOL"]}; ${got}`,
    );
    expect(error.message).toContain('"mode": "delta"');
  });
});

describe('bounds, checked before anything walks the input', () => {
  it('refuses a 5,000-level nested list without exhausting the stack', () => {
    const error = refusal({ companies: nested(5000) });
    expect(error.message.split('\n')[0]).toBe(
      'The execution input is nested more than 32 levels deep (at most 32 accepted).',
    );
  });

  it('refuses 1,000,000 levels too (iterative measure)', () => {
    expect(inputBoundsProblem(nested(1_000_000))).toBe(
      'the execution input is nested more than 32 levels deep (at most 32 accepted)',
    );
  });

  it('accepts 32 levels and refuses 33', () => {
    expect(inputBoundsProblem(nested(32))).toBeUndefined();
    expect(inputBoundsProblem(nested(33))).toBe(
      'the execution input is nested more than 32 levels deep (at most 32 accepted)',
    );
  });

  it('refuses an input over 256 KB, naming its size', () => {
    const input = { companies: ['x'.repeat(MAX_INPUT_BYTES)] };
    const bytes = Buffer.byteLength(JSON.stringify(input));
    expect(refusal(input).message.split('\n')[0]).toBe(
      `The execution input is ${bytes} bytes (at most 262144 accepted, the Step Functions limit).`,
    );
  });

  it('counts UTF-8 bytes, not characters', () => {
    const input = ['é'.repeat(MAX_INPUT_BYTES / 2)]; // 2 bytes each + 4 for ["..."]
    expect(inputBoundsProblem(input)).toBe(
      'the execution input is 262148 bytes (at most 262144 accepted, the Step Functions limit)',
    );
  });
});

describe('names shown in messages', () => {
  it.each([
    ['ITALCOL\u200B', '"ITALCOL\\u200B"'],
    ['\u202EITALCOL', '"\\u202EITALCOL"'],
    ['ITAL\u0000COL\n', '"ITAL\\u0000COL\\u000A"'],
    ['ITALCOL\u00A0', '"ITALCOL\\u00A0"'],
    ['ITALCOL\uFEFF', '"ITALCOL\\uFEFF"'],
    ['E\u0301', '"E\\u0301"'],
    ['\uD800x', '"\\uD800x"'],
    ['say "hi" \\', '"say \\"hi\\" \\\\"'],
    ['CASA BLANCA', '"CASA BLANCA"'],
    ['Bogotá 🏢', '"Bogotá 🏢"'],
    ['\u{E0001}', '"\\u{E0001}"'],
  ])('shows %j as %s', (name, expected) => {
    expect(shown(name)).toBe(expected);
  });

  it('cuts a long name at 80 characters', () => {
    expect(shown('A'.repeat(500))).toBe(`"${'A'.repeat(80)}…"`);
  });

  it('escapes an unknown company in the refusal', () => {
    expect(refusal({ companies: ['ITALCOL\u200B'] }).message.split('\n')[0]).toBe(
      'Unknown company "ITALCOL\\u200B".',
    );
  });

  it('escapes unknown field names and lists at most five names', () => {
    expect(refusal({ 'company\u200E': 'ITALCOL' }).message.split('\n')[0]).toBe(
      'Invalid execution input: unknown field(s) "company\\u200E".',
    );
    const many = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
    expect(refusal({ entities: many }).message.split('\n')[0]).toBe(
      'Unknown entity "A", "B", "C", "D", "E" and 2 more.',
    );
  });

  it('describes non-object values', () => {
    expect(describeJson('\u0007')).toBe('the string "\\u0007"');
  });
});

describe('many problems at once', () => {
  it('lists the first five and counts the rest, so the message stays short', () => {
    const message = refusal({ companies: Array.from({ length: 20_000 }, (_, i) => i) }).message.split(
      '\n',
    )[0];
    expect(message).toBe(
      'Invalid execution input: companies[0]: Invalid input: expected string, received number; ' +
        'companies[1]: Invalid input: expected string, received number; ' +
        'companies[2]: Invalid input: expected string, received number; ' +
        'companies[3]: Invalid input: expected string, received number; ' +
        'companies[4]: Invalid input: expected string, received number; and 19995 more problem(s).',
    );
  });
});
