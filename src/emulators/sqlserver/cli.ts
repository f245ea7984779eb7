/** Command-line arguments of `npm run emulator:sqlserver` (parsed here, run by main.ts). */
import {
  COMPANIES,
  type Company,
  type CompanySizes,
  DEFAULT_SIZES,
  SIZE_KEYS,
  VIEWS,
  type ViewName,
} from './data/views.js';
import { FaultError, parseFaultSpec, type SqlFault } from './faults.js';
import { TLS_MODES, type TlsMode } from './tls/negotiate.js';

export const DEFAULT_CLI_PORT = 14330;

export const HELP = `SQL Server emulator for sf-sync: TDS 7.4 on 127.0.0.1, one database per company.

Usage:
  npm run emulator:sqlserver -- [options]                 serve until killed
  npm run emulator:sqlserver -- change --company C --share F [options]
                                                          change rows in the data folder

Once it accepts connections it prints one line of JSON to stdout:
  {"ready":true,"host":"127.0.0.1","port":14330,"user":"...","password":"...","databases":{...},
   "tls":{"mode":"on","caPath":"/abs/.data/sqlserver/tls/ca.pem"},"timeZone":"America/Bogota"}
Progress and problems go to stderr. Ctrl-C (SIGINT) or SIGTERM stops it.

Serve options:
  --port N                 TCP port (default ${DEFAULT_CLI_PORT}; 0 = a free port)
  --host ADDRESS           address to listen on (default 127.0.0.1)
  --data-dir DIR           data folder (default .data/sqlserver); the data persists there
  --reset                  wipe the data folder and generate (or load) the data again
  --rows VIEW=N            rows of a view in every company, e.g. --rows terceros_view=1000000
  --rows COMPANY.VIEW=N    rows of one company's view, e.g. --rows ITALCOL.acuerdos_view=50000
                           (repeatable; views: terceros_view, sucursales_view, acuerdos_view,
                           short names terceros, sucursales, acuerdos work too; up to 5000000)
  --scale F                multiply the default sizes (${sizesText()}), e.g. 0.1
  --seed N                 generator seed (default 20240601)
  --csv-dir DIR            load the companies from CSV files instead of generating them:
                           DIR/<COMPANY>/<view>.csv, header row = column names; column types from
                           'name:TYPE [NOT NULL]' header cells, a sidecar <view>.types.json
                           ({"nit": "NVARCHAR(20) NOT NULL"}), the contract's types for the three
                           known views, else NVARCHAR(4000) NULL. ',' or ';' separated, UTF-8,
                           empty field = NULL, dates YYYY-MM-DD, timestamps YYYY-MM-DD HH:MM:SS.fffffff
  --user NAME              login name (default sfsync)
  --password TEXT          login password (default SfSync-Demo-2024!)
  --tls off|on|required    PRELOGIN encryption (default on): off = no certificate, answers
                           ENCRYPT_NOT_SUP; on = TLS when the client asks (login-only for
                           ENCRYPT_OFF); required = Force Encryption, plain clients are refused.
                           The CA and server certificate live in DATA-DIR/tls (ca.pem, server.pem,
                           server.key), made on first start; clients trust ca.pem
  --certificate-name NAME  extra DNS name or IPv4 address for the server certificate (repeatable)
  --time-zone ZONE         the server's time zone, IANA (default America/Bogota): GETDATE() and
                           generated DATETIME values are its wall-clock time
  --order-seed N           seed of the order of rows an ORDER BY leaves tied (default 1; integer
                           0 to 4294967295): SQL Server promises no order among ties
  --fault SPEC             arm a fault (repeatable), fired on the next matching query or login:
                             error:N[,row=R]   SQL Server error N at row R (default 0: before any
                                               row); N = 1205 1222 8645 40613 40501 40197 10928
                                               10929 4060 18456 (class >= 20 also closes)
                             drop,bytes=B      cut the connection after B bytes of the reply
                             slow,ms=M         send nothing of the reply for M ms
                             stall,row=R,ms=M  after row R, stop sending for M ms (or ms=forever)
                             login:N           the next login fails with N (18456, 4060, 40613...)
                           each takes times=K (default 1), and query faults database=DB and
                           query=TEXT (substring of the SQL), e.g.
                           --fault error:1205,row=500,query=terceros_view,times=2
  --quiet                  print nothing but the ready line
  --help                   this text

The data is generated when the folder has none, with --reset, or when --rows/--scale/--seed are
given and differ from what the folder's data was made with; without them the folder's data is served.

Change options (works whether or not a server runs on the folder):
  --company NAME           ITALCOL, CASABLANCA or SANTA_REYES (or a CSV company)
  --share F                fraction of each view's rows to change, 0..1 (e.g. 0.01)
  --view VIEW              only this view (default: all three)
  --updated W --inserted W --deleted W
                           proportions among the changed rows (default 0.7 / 0.2 / 0.1)
  --seed N                 makes the choice of rows and values repeatable
  --data-dir DIR           data folder (default .data/sqlserver)
  --time-zone ZONE         wall-clock zone of the written timestamps (default America/Bogota)
Prints {"updated":n,"inserted":n,"deleted":n}.

Connect with any SQL Server client, e.g. FreeTDS:
  tsql -H 127.0.0.1 -p ${DEFAULT_CLI_PORT} -U sfsync -P 'SfSync-Demo-2024!' -D ERP_ITALCOL
`;

function sizesText(): string {
  return COMPANIES.map(
    (c) => `${c} ${DEFAULT_SIZES[c].terceros}/${DEFAULT_SIZES[c].sucursales}/${DEFAULT_SIZES[c].acuerdos}`,
  ).join(', ');
}

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export type CliCommand =
  | { command: 'help' }
  | {
      command: 'serve';
      host?: string;
      port: number;
      dataDir?: string;
      reset: boolean;
      sizes?: Partial<Record<Company, Partial<CompanySizes>>>;
      seed?: number;
      csvDir?: string;
      user?: string;
      password?: string;
      quiet: boolean;
      tls?: TlsMode;
      certificateNames?: string[];
      timeZone?: string;
      faults?: SqlFault[];
      orderSeed?: number;
    }
  | {
      command: 'change';
      company: string;
      share: number;
      view?: ViewName;
      kinds?: { updated?: number; inserted?: number; deleted?: number };
      seed?: number;
      dataDir?: string;
      timeZone?: string;
    };

function viewName(text: string): ViewName {
  const name = text.endsWith('_view') ? text : `${text}_view`;
  const found = VIEWS.find((v) => v === name.toLowerCase());
  if (found === undefined) throw new UsageError(`unknown view '${text}'; use one of ${VIEWS.join(', ')}`);
  return found;
}

function number(
  flag: string,
  text: string | undefined,
  check: (n: number) => boolean,
  expected: string,
): number {
  if (text === undefined || text.startsWith('--'))
    throw new UsageError(`${flag} needs a value (${expected})`);
  const n = Number(text);
  if (text.trim() === '' || !Number.isFinite(n) || !check(n))
    throw new UsageError(`${flag} must be ${expected}, got '${text}'`);
  return n;
}

export function parseCliArgs(argv: string[]): CliCommand {
  const args = [...argv];
  const isChange = args[0] === 'change';
  if (isChange) args.shift();
  const flags = new Map<string, string[]>();
  const switches = new Set<string>();
  const SWITCHES = new Set(['--reset', '--quiet', '--help', '-h']);
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (!arg.startsWith('-')) throw new UsageError(`unexpected argument '${arg}'; see --help`);
    const [flag, inline] =
      arg.includes('=') && arg.startsWith('--')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
    if (SWITCHES.has(flag)) {
      switches.add(flag);
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined) throw new UsageError(`${flag} needs a value; see --help`);
    flags.set(flag, [...(flags.get(flag) ?? []), value]);
  }
  if (switches.has('--help') || switches.has('-h')) return { command: 'help' };
  const allowed = isChange
    ? [
        '--company',
        '--share',
        '--view',
        '--updated',
        '--inserted',
        '--deleted',
        '--seed',
        '--data-dir',
        '--time-zone',
      ]
    : [
        '--port',
        '--host',
        '--data-dir',
        '--rows',
        '--scale',
        '--seed',
        '--csv-dir',
        '--user',
        '--password',
        '--tls',
        '--certificate-name',
        '--time-zone',
        '--fault',
        '--order-seed',
      ];
  for (const flag of flags.keys()) {
    if (!allowed.includes(flag))
      throw new UsageError(`unknown option ${flag}${isChange ? ' for change' : ''}; see --help`);
  }
  const one = (flag: string): string | undefined => {
    const values = flags.get(flag);
    if (values !== undefined && values.length > 1) throw new UsageError(`${flag} given more than once`);
    return values?.[0];
  };
  const seedText = one('--seed');
  const seed =
    seedText === undefined
      ? undefined
      : number(
          '--seed',
          seedText,
          (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32,
          'an integer from 0 to 4294967295',
        );
  const zoneText = one('--time-zone');
  const timeZone = zoneText === undefined ? undefined : checkTimeZone(zoneText);
  if (isChange) {
    for (const s of switches) throw new UsageError(`unknown option ${s} for change; see --help`);
    const company = one('--company');
    if (company === undefined) throw new UsageError(`change needs --company (${COMPANIES.join(', ')})`);
    const share = number(
      '--share',
      one('--share'),
      (n) => n >= 0 && n <= 1,
      'a fraction from 0 to 1, e.g. 0.01',
    );
    const viewText = one('--view');
    const kinds: { updated?: number; inserted?: number; deleted?: number } = {};
    for (const kind of ['updated', 'inserted', 'deleted'] as const) {
      const text = one(`--${kind}`);
      if (text !== undefined)
        kinds[kind] = number(`--${kind}`, text, (n) => n >= 0, 'a proportion of 0 or more');
    }
    const dataDir = one('--data-dir');
    return {
      command: 'change',
      company,
      share,
      ...(viewText === undefined ? {} : { view: viewName(viewText) }),
      ...(Object.keys(kinds).length > 0 ? { kinds } : {}),
      ...(seed === undefined ? {} : { seed }),
      ...(dataDir === undefined ? {} : { dataDir }),
      ...(timeZone === undefined ? {} : { timeZone }),
    };
  }
  const portText = one('--port');
  const port =
    portText === undefined
      ? DEFAULT_CLI_PORT
      : number(
          '--port',
          portText,
          (n) => Number.isInteger(n) && n >= 0 && n <= 65535,
          'an integer from 0 to 65535',
        );
  const sizes = sizesFrom(flags.get('--rows') ?? [], one('--scale'));
  const host = one('--host');
  const dataDir = one('--data-dir');
  const csvDir = one('--csv-dir');
  const user = one('--user');
  const password = one('--password');
  if (csvDir !== undefined && sizes !== undefined)
    throw new UsageError('--rows and --scale apply to generated data, not to --csv-dir');
  const tlsText = one('--tls');
  if (tlsText !== undefined && !(TLS_MODES as readonly string[]).includes(tlsText))
    throw new UsageError(`--tls must be one of ${TLS_MODES.join(', ')}, got '${tlsText}'`);
  const certificateNames = flags.get('--certificate-name');
  const orderSeedText = one('--order-seed');
  const orderSeed =
    orderSeedText === undefined
      ? undefined
      : number(
          '--order-seed',
          orderSeedText,
          (n) => Number.isInteger(n) && n >= 0 && n < 2 ** 32,
          'an integer from 0 to 4294967295',
        );
  const faults = (flags.get('--fault') ?? []).map((spec) => {
    try {
      return parseFaultSpec(spec);
    } catch (error) {
      if (error instanceof FaultError) throw new UsageError(`--fault '${spec}': ${error.message}`);
      throw error;
    }
  });
  return {
    command: 'serve',
    port,
    reset: switches.has('--reset'),
    quiet: switches.has('--quiet'),
    ...(host === undefined ? {} : { host }),
    ...(dataDir === undefined ? {} : { dataDir }),
    ...(sizes === undefined ? {} : { sizes }),
    ...(seed === undefined ? {} : { seed }),
    ...(csvDir === undefined ? {} : { csvDir }),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(tlsText === undefined ? {} : { tls: tlsText as TlsMode }),
    ...(certificateNames === undefined ? {} : { certificateNames }),
    ...(timeZone === undefined ? {} : { timeZone }),
    ...(faults.length === 0 ? {} : { faults }),
    ...(orderSeed === undefined ? {} : { orderSeed }),
  };
}

/** An IANA zone name the runtime knows, e.g. America/Bogota. */
export function checkTimeZone(text: string): string {
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: text }).resolvedOptions().timeZone;
  } catch {
    throw new UsageError(
      `--time-zone must be an IANA time zone such as America/Bogota or UTC, got '${text}'`,
    );
  }
}

function sizesFrom(
  rows: string[],
  scaleText: string | undefined,
): Partial<Record<Company, Partial<CompanySizes>>> | undefined {
  if (rows.length === 0 && scaleText === undefined) return undefined;
  const sizes: Partial<Record<Company, Partial<CompanySizes>>> = {};
  if (scaleText !== undefined) {
    const scale = number(
      '--scale',
      scaleText,
      (n) => n > 0 && n <= 1000,
      'a positive factor, e.g. 0.1 or 10',
    );
    for (const c of COMPANIES) {
      const d = DEFAULT_SIZES[c];
      sizes[c] = {
        terceros: Math.round(d.terceros * scale),
        sucursales: Math.round(d.sucursales * scale),
        acuerdos: Math.round(d.acuerdos * scale),
      };
    }
  }
  for (const spec of rows) {
    const m = /^(?:([A-Za-z_]+)\.)?([a-z_]+)=(\d+)$/.exec(spec);
    if (!m)
      throw new UsageError(
        `--rows expects VIEW=N or COMPANY.VIEW=N (e.g. terceros_view=1000000), got '${spec}'`,
      );
    const view = viewName(m[2] as string);
    const count = Number(m[3]);
    if (count > 5_000_000) throw new UsageError(`--rows ${spec}: at most 5000000 rows per view`);
    const companies = m[1] === undefined ? [...COMPANIES] : [m[1].toUpperCase()];
    for (const c of companies) {
      if (!(COMPANIES as readonly string[]).includes(c)) {
        throw new UsageError(`--rows ${spec}: unknown company ${c}; use ${COMPANIES.join(', ')}`);
      }
      const company = c as Company;
      sizes[company] = { ...sizes[company], [SIZE_KEYS[view]]: count };
    }
  }
  return sizes;
}
