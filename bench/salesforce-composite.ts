/**
 * Sustained sObject Collections upserts against the Salesforce emulator.
 *
 *   npx tsx bench/salesforce-composite.ts [--seconds 10] [--concurrency 4,8] [--records 200]
 *       [--keys 100000] [--url INSTANCE_URL [--login-url URL] --client-id ID --username U --private-key FILE]
 *
 * By default it starts the emulator as its own process (as the sync would meet it) on a fresh
 * data folder, then for each concurrency keeps that many PATCH /composite/sobjects/Account/
 * ti_external_id__c requests of `--records` records in flight for `--seconds`, cycling over
 * `--keys` external IDs (the first pass creates, later passes update). It prints records/second,
 * request latency percentiles and the emulator's own counters (lock conflicts included), then
 * restarts the emulator on the same data to time a startup with everything stored.
 *
 * The emulator is a strict new org, so this authenticates as the sync does (JWT bearer, the
 * sync's `requestToken`; the password flow is off) and its records are terceros rows mapped by the
 * shipped config (`mapRow`: Type through the config's lookup to a value of the restricted
 * picklist, departments to `BillingStateCode` with `BillingCountryCode: CO`), sent with the
 * sync's write headers (`Sforce-Duplicate-Rule-Header`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/core/config/load.js';
import { externalId, mapRow } from '../src/core/mapping.js';
import { requestToken, writeHeaders } from '../src/core/salesforce/client.js';

interface Ready {
  loginUrl: string;
  instanceUrl: string;
  clientId: string;
  username: string;
  privateKeyPath: string;
}

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    concurrency: { type: 'string', default: '4,8' },
    records: { type: 'string', default: '200' },
    keys: { type: 'string', default: '100000' },
    url: { type: 'string' },
    'login-url': { type: 'string' },
    'client-id': { type: 'string' },
    username: { type: 'string' },
    'private-key': { type: 'string' },
  },
});

const seconds = Number(values.seconds);
const concurrencies = String(values.concurrency).split(',').map(Number);
const perRequest = Number(values.records);
const keySpace = Number(values.keys);
if (
  !(seconds > 0) ||
  concurrencies.some((c) => !(c > 0)) ||
  !(perRequest > 0 && perRequest <= 200) ||
  !(keySpace > 0) ||
  (values.url !== undefined && !(values['client-id'] && values.username && values['private-key']))
) {
  process.stderr.write(
    'bad arguments: --seconds > 0, --concurrency list of integers > 0, --records 1..200, --keys > 0; --url needs --client-id, --username and --private-key (the JWT signing key file)\n',
  );
  process.exit(2);
}

const config = loadConfig();
const terceros = config.entity('terceros');
const duplicateHeaders = writeHeaders(terceros.duplicateRules);
/** Where the generated terceros live: the department names the source systems write. */
const PLACES = [
  { ciudad: 'Bogotá', departamento: 'Bogotá D.C.' },
  { ciudad: 'Medellín', departamento: 'Antioquia' },
  { ciudad: 'Cali', departamento: 'Valle del Cauca' },
  { ciudad: 'Barranquilla', departamento: 'Atlántico' },
] as const;
const TIPOS = ['CLIENTE', 'DISTRIBUIDOR', 'PROVEEDOR'] as const;

const root = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');

function startEmulator(dataDir: string): Promise<{ child: ChildProcess; ready: Ready; startupMs: number }> {
  const started = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'src/emulators/salesforce/main.ts'), '--port', '0', '--data-dir', dataDir],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const newline = out.indexOf('\n');
      if (newline >= 0)
        resolve({
          child,
          ready: JSON.parse(out.slice(0, newline)) as Ready,
          startupMs: performance.now() - started,
        });
    });
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
}

async function stopEmulator(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** The sync's auth: a JWT bearer token from the login host, REST on the instance it names. */
async function login(r: Ready): Promise<{ token: string; instanceUrl: string }> {
  const token = await requestToken({
    flow: 'jwt',
    loginUrl: r.loginUrl,
    clientId: r.clientId,
    username: r.username,
    privateKey: readFileSync(r.privateKeyPath, 'utf8'),
  });
  return { token: token.accessToken, instanceUrl: token.instanceUrl };
}

/** A terceros_view row mapped as the sync maps it, with its external ID. */
function accountRecord(n: number, pass: number): Record<string, unknown> {
  const nit = `${900000000 + n}-${n % 10}`;
  const place = PLACES[n % PLACES.length] ?? PLACES[0];
  const row = {
    nit,
    razon_social: `Distribuidora ${n} S.A.S.`,
    tipo_tercero: TIPOS[n % TIPOS.length],
    nombre_comercial: `Distribuidora ${n}`,
    direccion: `Calle ${n % 200} # ${n % 97}-${n % 53}`,
    ciudad: place.ciudad,
    departamento: place.departamento,
    telefono: `+57 1 ${String(n).padStart(7, '0')}`,
    email: `cliente${n}@example.co`,
    cupo_credito: (n % 1000) * 1000 + pass,
    activo: n % 7 !== 0,
    fecha_modificacion: new Date(Date.UTC(2024, 0, 1) + pass * 1000),
  };
  const mapped = mapRow(row, terceros, 'ITALCOL', () => 'ti_external_id__c');
  if (!mapped.ok) throw new Error(`generated row ${nit} does not map: ${JSON.stringify(mapped.reasons)}`);
  return {
    attributes: { type: 'Account' },
    ...mapped.payload,
    [terceros.externalIdField ?? 'ti_external_id__c']: externalId('ITALCOL', mapped.key),
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

interface RunResult {
  concurrency: number;
  seconds: number;
  requests: number;
  records: number;
  recordsPerSecond: number;
  created: number;
  updated: number;
  failedRecords: number;
  failedRequests: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

let nextKey = 0;
let pass = 0;

async function run(url: string, token: string, concurrency: number): Promise<RunResult> {
  const endpoint = `${url}/services/data/v62.0/composite/sobjects/Account/ti_external_id__c`;
  const latencies: number[] = [];
  let records = 0;
  let created = 0;
  let updated = 0;
  let failedRecords = 0;
  let failedRequests = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const batch = [];
      for (let i = 0; i < perRequest; i++) {
        batch.push(accountRecord(nextKey, pass));
        nextKey += 1;
        if (nextKey >= keySpace) {
          nextKey = 0;
          pass += 1;
        }
      }
      const t0 = performance.now();
      const response = await fetch(endpoint, {
        method: 'PATCH',
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          ...duplicateHeaders,
        },
        body: JSON.stringify({ allOrNone: false, records: batch }),
      });
      const body = (await response.json()) as Array<{ success: boolean; created?: boolean }>;
      latencies.push(performance.now() - t0);
      if (response.status !== 200) {
        failedRequests += 1;
        continue;
      }
      records += body.length;
      for (const r of body) {
        if (!r.success) failedRecords += 1;
        else if (r.created) created += 1;
        else updated += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    concurrency,
    seconds: Number(elapsed.toFixed(2)),
    requests: latencies.length,
    records,
    recordsPerSecond: Math.round(records / elapsed),
    created,
    updated,
    failedRecords,
    failedRequests,
    p50Ms: Number(percentile(latencies, 50).toFixed(1)),
    p95Ms: Number(percentile(latencies, 95).toFixed(1)),
    p99Ms: Number(percentile(latencies, 99).toFixed(1)),
  };
}

async function main(): Promise<void> {
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;
  let ready: Ready;
  if (values.url) {
    ready = {
      loginUrl: values['login-url'] ?? values.url,
      instanceUrl: values.url,
      clientId: values['client-id'] ?? '',
      username: values.username ?? '',
      privateKeyPath: values['private-key'] ?? '',
    };
  } else {
    dataDir = mkdtempSync(join(tmpdir(), 'sf-bench-'));
    const started = await startEmulator(dataDir);
    child = started.child;
    ready = started.ready;
  }
  try {
    const { token, instanceUrl } = await login(ready);
    await fetch(`${ready.instanceUrl}/__emulator/counters/reset`, { method: 'POST' });
    process.stdout.write(
      `Salesforce emulator: composite upserts of ${perRequest} Account records, ${seconds}s per concurrency, ${keySpace} keys\n`,
    );
    const results: RunResult[] = [];
    for (const concurrency of concurrencies) {
      const result = await run(instanceUrl, token, concurrency);
      results.push(result);
      process.stdout.write(
        `  concurrency ${concurrency}: ${result.recordsPerSecond} records/s (${result.requests} requests, ${result.records} records: ${result.created} created, ${result.updated} updated, ${result.failedRecords} failed; request latency p50 ${result.p50Ms} ms, p95 ${result.p95Ms} ms, p99 ${result.p99Ms} ms)\n`,
      );
    }
    const counters = (await (await fetch(`${ready.instanceUrl}/__emulator/counters`)).json()) as unknown;
    process.stdout.write(`  emulator counters: ${JSON.stringify(counters)}\n`);
    let restart: { storedAccounts: number; startupMs: number } | undefined;
    if (child && dataDir) {
      const count = await fetch(
        `${instanceUrl}/services/data/v62.0/query?q=${encodeURIComponent('SELECT COUNT() FROM Account')}`,
        { headers: { authorization: `Bearer ${token}` } },
      );
      const storedAccounts = ((await count.json()) as { totalSize: number }).totalSize;
      await stopEmulator(child);
      const again = await startEmulator(dataDir);
      child = again.child;
      restart = { storedAccounts, startupMs: Math.round(again.startupMs) };
      process.stdout.write(
        `  restart with ${storedAccounts} stored records: ready in ${restart.startupMs} ms (process start, tsx, load and listen)\n`,
      );
    }
    process.stdout.write(`${JSON.stringify({ perRequest, keySpace, results, restart })}\n`);
  } finally {
    if (child) await stopEmulator(child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
