/**
 * Standalone start: `npm run emulator:salesforce -- --port 8443 --instance-port 8444`. Serves
 * until killed; once ready prints exactly one line of JSON to stdout (URLs and credentials).
 * `--help` lists flags.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type SalesforceEmulatorOptions, startSalesforceEmulator } from './index.js';
import { loadOrgSettings, relax } from './settings.js';

const HELP = `Salesforce emulator: OAuth 2.0, REST, sObject Collections, SOQL, Bulk API 2.0 on 127.0.0.1,
on two hosts as a real org: a login host (token endpoint only) and a My Domain host (REST API).

Usage: npm run emulator:salesforce -- [flags]

Flags:
  --port N                         login host port (login.salesforce.com's role; default 0 = a free port)
  --instance-port N                My Domain host port, where the REST API lives (default 0 = a free port)
  --host HOST                      address to bind (default 127.0.0.1)
  --data-dir DIR                   state folder: records, jobs, tokens, usage, credentials, JWT keys
                                   (default .data/salesforce)
  --reset                          start with no records, jobs, tokens or usage (credentials and keys kept)
  --schema FILE                    org schema JSON (default src/emulators/salesforce/org-schema.json)
  --api-version X.0                newest API version served (default 62.0)
  --daily-limit N                  daily API request limit (default 100000); past it: 403 REQUEST_LIMIT_EXCEEDED
  --token-lifetime SECONDS         access token lifetime (default 7200); after it: 401 INVALID_SESSION_ID
  --sandbox                        a sandbox: JWT aud must be https://test.salesforce.com (default: production,
                                   https://login.salesforce.com); the My Domain URL is accepted either way
  --allow-password-flow            allow the OAuth username-password flow (default off, as in new orgs:
                                   400 invalid_grant "authentication failure")
Parent row locks and limits:
  --lock-wait-ms N                 wait for a parent row lock held by another request (default 200; real ~10000);
                                   then the records fail UNABLE_TO_LOCK_ROW
  --lock-hold-ms N                 processing time of every write request, locks held (default 5)
  --record-cost-ms N               processing time added per written record (default 0.05)
  --concurrent-long-requests N     long-running requests allowed at once (default 25); then 403
                                   REQUEST_LIMIT_EXCEEDED "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
  --long-request-ms N              when a running request counts as long (default 20000)
Org rules (strict by default, as a new org; see README.md "Org rules"):
  --org-settings FILE              org settings JSON (default src/emulators/salesforce/org-settings.json)
  --relax LIST                     turn behaviours off, comma-separated: duplicateRules, stateCountryPicklists,
                                   restrictedPicklists, fieldLevelSecurity, validationRules
Faults (deterministic for a given seed; can be changed while running, see below):
  --seed N                         PRNG seed (default 1)
  --unavailable-share X            share 0..1 of REST requests answered 503 SERVER_UNAVAILABLE
  --lock-row-share X               share 0..1 of written records failing UNABLE_TO_LOCK_ROW
  --expire-session-after-calls N   tokens become invalid after N REST calls (0 = off)
  --latency-ms N                   latency added to every request
  --unknown-exception-next N       the next N REST requests answer 500 UNKNOWN_EXCEPTION
  --unknown-exception-share X      share 0..1 of distinct payloads answering 500 UNKNOWN_EXCEPTION, every time
  --unknown-exception-match TEXT   requests whose body contains TEXT answer 500 UNKNOWN_EXCEPTION (repeatable)
  --lost-response-next N           the next N REST requests are carried out, then their connection is cut unanswered
  --lost-response-share X          share 0..1 of REST requests carried out and then left unanswered
  --help                           this text

Once listening it prints one line of JSON to stdout:
  {"ready":true,"loginUrl":...,"instanceUrl":...,"sandbox":false,"apiVersion":...,"clientId":...,
   "clientSecret":...,"username":...,"password":...,"privateKeyPath":...}

Admin endpoints (not Salesforce; not counted as API usage):
  GET  /__emulator/counters         {"apiUsage": N, "byEndpoint": {"composite.sobjects.upsert": N, ...},
                                     "lockConflicts": N, "concurrentRequestRefusals": N}
  POST /__emulator/counters/reset   clears the counters and the daily usage
  GET  /__emulator/faults           the current faults
  POST /__emulator/faults           JSON body {"seed","unavailableShare","lockRowShare","expireSessionAfterCalls",
                                    "latencyMs","unknownExceptionNext","unknownExceptionShare","unknownExceptionMatch",
                                    "lostResponseNext","lostResponseShare"}
                                    replaces the faults (omitted keys are off)
  GET  /__emulator/locks            the row-lock timing {"lockWaitMs","lockHoldMs","recordCostMs"}
  POST /__emulator/locks            JSON body with some of those keys: changes them while running
`;

function fail(message: string): never {
  process.stderr.write(`emulator:salesforce: ${message}\nRun with --help for the flags.\n`);
  process.exit(2);
}

function number(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value)) fail(`--${name} takes a number, got '${text}'`);
  return value;
}

async function main(): Promise<void> {
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        port: { type: 'string' },
        'instance-port': { type: 'string' },
        host: { type: 'string' },
        'data-dir': { type: 'string' },
        reset: { type: 'boolean' },
        schema: { type: 'string' },
        'api-version': { type: 'string' },
        'daily-limit': { type: 'string' },
        'token-lifetime': { type: 'string' },
        'org-settings': { type: 'string' },
        relax: { type: 'string' },
        sandbox: { type: 'boolean' },
        'allow-password-flow': { type: 'boolean' },
        'lock-wait-ms': { type: 'string' },
        'lock-hold-ms': { type: 'string' },
        'record-cost-ms': { type: 'string' },
        'concurrent-long-requests': { type: 'string' },
        'long-request-ms': { type: 'string' },
        seed: { type: 'string' },
        'unavailable-share': { type: 'string' },
        'lock-row-share': { type: 'string' },
        'expire-session-after-calls': { type: 'string' },
        'latency-ms': { type: 'string' },
        'unknown-exception-next': { type: 'string' },
        'unknown-exception-share': { type: 'string' },
        'unknown-exception-match': { type: 'string', multiple: true },
        'lost-response-next': { type: 'string' },
        'lost-response-share': { type: 'string' },
        help: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const str = (name: string) => values[name] as string | undefined;
  const faults = Object.fromEntries(
    Object.entries({
      seed: number('seed', str('seed')),
      unavailableShare: number('unavailable-share', str('unavailable-share')),
      lockRowShare: number('lock-row-share', str('lock-row-share')),
      expireSessionAfterCalls: number('expire-session-after-calls', str('expire-session-after-calls')),
      latencyMs: number('latency-ms', str('latency-ms')),
      unknownExceptionNext: number('unknown-exception-next', str('unknown-exception-next')),
      unknownExceptionShare: number('unknown-exception-share', str('unknown-exception-share')),
      unknownExceptionMatch: values['unknown-exception-match'] as string[] | undefined,
      lostResponseNext: number('lost-response-next', str('lost-response-next')),
      lostResponseShare: number('lost-response-share', str('lost-response-share')),
    }).filter(([, v]) => v !== undefined),
  );
  const options: SalesforceEmulatorOptions = {
    port: number('port', str('port')) ?? 0,
    host: str('host') ?? '127.0.0.1',
    dataDir: resolve(str('data-dir') ?? '.data/salesforce'),
    reset: values.reset === true,
    sandbox: values.sandbox === true,
    allowPasswordFlow: values['allow-password-flow'] === true,
    faults,
  };
  const numbers = {
    instancePort: number('instance-port', str('instance-port')),
    lockWaitMs: number('lock-wait-ms', str('lock-wait-ms')),
    lockHoldMs: number('lock-hold-ms', str('lock-hold-ms')),
    recordCostMs: number('record-cost-ms', str('record-cost-ms')),
    concurrentLongRequests: number('concurrent-long-requests', str('concurrent-long-requests')),
    longRequestMs: number('long-request-ms', str('long-request-ms')),
  };
  for (const [key, value] of Object.entries(numbers)) {
    if (value !== undefined) Object.assign(options, { [key]: value });
  }
  const schema = str('schema');
  if (schema) options.schemaPath = resolve(schema);
  const apiVersion = str('api-version');
  if (apiVersion) options.apiVersion = apiVersion;
  const dailyApiLimit = number('daily-limit', str('daily-limit'));
  if (dailyApiLimit !== undefined) options.dailyApiLimit = dailyApiLimit;
  const lifetime = number('token-lifetime', str('token-lifetime'));
  if (lifetime !== undefined) options.tokenLifetimeSeconds = lifetime;

  let emulator: Awaited<ReturnType<typeof startSalesforceEmulator>>;
  try {
    const settingsPath = str('org-settings');
    const settings = loadOrgSettings(settingsPath ? resolve(settingsPath) : undefined);
    const relaxed = (str('relax') ?? '').split(',').map((n) => n.trim());
    options.orgSettings = relax(settings, relaxed.filter(Boolean));
    emulator = await startSalesforceEmulator(options);
  } catch (error) {
    fail((error as Error).message);
  }
  const { loginUrl, instanceUrl, sandbox, apiVersion: version, credentials } = emulator;
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      loginUrl,
      instanceUrl,
      sandbox,
      apiVersion: version,
      clientId: credentials.clientId,
      clientSecret: credentials.clientSecret,
      username: credentials.username,
      password: credentials.password,
      privateKeyPath: credentials.privateKeyPath,
    })}\n`,
  );
  const shutdown = () => {
    emulator.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}

void main();
