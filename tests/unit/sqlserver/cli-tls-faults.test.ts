import { HELP, parseCliArgs, UsageError } from '../../../src/emulators/sqlserver/cli.js';

describe('emulator:sqlserver TLS, fault and time zone flags', () => {
  it('reads --tls, --certificate-name, --time-zone and repeated --fault', () => {
    expect(
      parseCliArgs([
        '--tls',
        'required',
        '--certificate-name',
        'erp.example.co',
        '--certificate-name=10.0.0.5',
        '--time-zone',
        'America/Bogota',
        '--fault',
        'error:1205,row=500,query=terceros_view,times=2',
        '--fault=login:18456',
      ]),
    ).toMatchObject({
      command: 'serve',
      tls: 'required',
      certificateNames: ['erp.example.co', '10.0.0.5'],
      timeZone: 'America/Bogota',
      faults: [
        { kind: 'error', number: 1205, row: 500, query: 'terceros_view', times: 2 },
        { kind: 'login', number: 18456 },
      ],
    });
  });

  it('reads --order-seed (and leaves it out when not given)', () => {
    expect(parseCliArgs(['--order-seed', '7'])).toMatchObject({ command: 'serve', orderSeed: 7 });
    expect(parseCliArgs(['--order-seed=4294967295'])).toMatchObject({ orderSeed: 4294967295 });
    expect(parseCliArgs([])).not.toHaveProperty('orderSeed');
    expect(HELP).toContain('--order-seed N');
  });

  it('passes --time-zone to change', () => {
    expect(
      parseCliArgs(['change', '--company', 'ITALCOL', '--share', '0.1', '--time-zone', 'UTC']),
    ).toMatchObject({ command: 'change', timeZone: 'UTC' });
  });

  it.each([
    [['--tls', 'maybe'], "--tls must be one of off, on, required, got 'maybe'"],
    [
      ['--time-zone', 'Mars/Olympus'],
      "--time-zone must be an IANA time zone such as America/Bogota or UTC, got 'Mars/Olympus'",
    ],
    [['--fault', 'error:1234'], "--fault 'error:1234': invalid faults: 0.number: one of 1205, 1222, 4060"],
    [['--order-seed', '-1'], "--order-seed must be an integer from 0 to 4294967295, got '-1'"],
    [['--order-seed', '1.5'], "--order-seed must be an integer from 0 to 4294967295, got '1.5'"],
    [
      ['--order-seed', '4294967296'],
      "--order-seed must be an integer from 0 to 4294967295, got '4294967296'",
    ],
    [
      ['change', '--company', 'ITALCOL', '--share', '0.1', '--order-seed', '2'],
      'unknown option --order-seed for change',
    ],
    [['--fault', 'stall,row=3'], "--fault 'stall,row=3': invalid faults: 0.ms:"],
  ])('refuses %j naming what is accepted', (argv, message) => {
    expect(() => parseCliArgs(argv)).toThrow(UsageError);
    expect(() => parseCliArgs(argv)).toThrow(message);
  });
});
