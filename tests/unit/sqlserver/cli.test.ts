import { DEFAULT_CLI_PORT, HELP, parseCliArgs, UsageError } from '../../../src/emulators/sqlserver/cli.js';

describe('emulator:sqlserver arguments', () => {
  it('serves on port 14330 by default', () => {
    expect(parseCliArgs([])).toEqual({
      command: 'serve',
      port: DEFAULT_CLI_PORT,
      reset: false,
      quiet: false,
    });
  });

  it('reads the port, data folder, reset and sizes per view or per company view', () => {
    const command = parseCliArgs([
      '--port',
      '0',
      '--data-dir=/tmp/x',
      '--reset',
      '--rows',
      'terceros_view=1000000',
      '--rows',
      'ITALCOL.acuerdos=5000',
    ]);

    expect(command).toEqual({
      command: 'serve',
      port: 0,
      reset: true,
      quiet: false,
      dataDir: '/tmp/x',
      sizes: {
        ITALCOL: { terceros: 1_000_000, acuerdos: 5000 },
        CASABLANCA: { terceros: 1_000_000 },
        SANTA_REYES: { terceros: 1_000_000 },
      },
    });
  });

  it('scales the default sizes', () => {
    const command = parseCliArgs(['--scale', '0.1']);

    expect(command.command === 'serve' && command.sizes?.ITALCOL).toEqual({
      terceros: 200,
      sucursales: 300,
      acuerdos: 100,
    });
  });

  it('reads the change command', () => {
    expect(
      parseCliArgs([
        'change',
        '--company',
        'ITALCOL',
        '--share',
        '0.01',
        '--view',
        'acuerdos',
        '--updated',
        '1',
        '--seed',
        '9',
      ]),
    ).toEqual({
      command: 'change',
      company: 'ITALCOL',
      share: 0.01,
      view: 'acuerdos_view',
      kinds: { updated: 1 },
      seed: 9,
    });
  });

  it.each([
    [['--port', 'abc'], "--port must be an integer from 0 to 65535, got 'abc'"],
    [['--rows', 'clientes=5'], "unknown view 'clientes'"],
    [['--rows', 'ACME.terceros=5'], 'unknown company ACME'],
    [['--rows', 'terceros'], '--rows expects VIEW=N or COMPANY.VIEW=N'],
    [['--frobnicate', '1'], 'unknown option --frobnicate'],
    [['change', '--share', '0.1'], 'change needs --company'],
    [['change', '--company', 'ITALCOL', '--share', '2'], '--share must be a fraction from 0 to 1'],
    [['--csv-dir', 'x', '--scale', '2'], '--rows and --scale apply to generated data'],
  ])('%j is refused: %s', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });

  it('documents every flag in --help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ command: 'help' });
    for (const flag of [
      '--port',
      '--data-dir',
      '--reset',
      '--rows',
      '--scale',
      '--csv-dir',
      '--user',
      '--password',
      '--company',
      '--share',
      '--view',
    ]) {
      expect(HELP).toContain(flag);
    }
  });
});
