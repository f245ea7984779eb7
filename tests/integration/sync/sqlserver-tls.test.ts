import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { databaseSettings, loadConfig, parseConfig } from '../../../src/core/config/load.js';
import { SourceLoginError, SourceUnavailableError } from '../../../src/core/errors.js';
import { SqlPools } from '../../../src/core/source/sqlserver.js';
import { type SqlServerEmulator, startSqlServerEmulator } from '../../../src/emulators/sqlserver/index.js';
import { startLocalEnvironment } from '../../../src/local/environment.js';
import { runSync } from '../../../src/local/run.js';
import type { TaskEvent } from '../../../src/local/stepfunctions.js';
import { failure } from './helpers.js';

const SIZES = { ITALCOL: { terceros: 5, sucursales: 5, acuerdos: 2 } };

/** A TCP relay that records the TDS packet types the client sends (0x10 is LOGIN7). */
async function relay(
  port: number,
): Promise<{ port: number; types: number[]; sent: () => Buffer; close(): Promise<void> }> {
  const types: number[] = [];
  const sent: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    let pending = Buffer.alloc(0);
    client.on('data', (chunk) => {
      sent.push(chunk);
      pending = Buffer.concat([pending, chunk]);
      // Plain TDS packets: type(1) status(1) length(2, BE). After TLS starts they are opaque.
      while (pending.length >= 4) {
        const length = pending.readUInt16BE(2);
        if (length < 8 || pending.length < length) break;
        types.push(pending[0] ?? -1);
        pending = pending.subarray(length);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    types,
    sent: () => Buffer.concat(sent),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function settingsFor(emulator: SqlServerEmulator, database: Record<string, unknown>, port = emulator.port) {
  const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
  raw.companies = {
    ITALCOL: {
      database: {
        host: emulator.host,
        port,
        database: emulator.databases.ITALCOL,
        user: emulator.user,
        password: emulator.password,
        connectTimeoutMs: 5000,
        ...database,
      },
    },
  };
  return databaseSettings(parseConfig(raw), 'ITALCOL', () => undefined);
}

describe('the sync connects to SQL Server over TLS and never in plain text after asking for encryption', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-sync-sqltls-'));
  const pools = new SqlPools();
  let on: SqlServerEmulator;
  let off: SqlServerEmulator;
  let other: SqlServerEmulator;

  beforeAll(async () => {
    on = await startSqlServerEmulator({ dataDir: path.join(dir, 'on'), tls: 'on', sizes: SIZES });
    off = await startSqlServerEmulator({ dataDir: path.join(dir, 'off'), tls: 'off', sizes: SIZES });
    other = await startSqlServerEmulator({ dataDir: path.join(dir, 'other'), tls: 'on', sizes: SIZES });
  }, 60000);

  afterEach(async () => {
    await pools.closeAll();
  });

  afterAll(async () => {
    await Promise.all([on?.stop(), off?.stop(), other?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('works with the CA that signed the server certificate, and nothing readable crosses the wire after PRELOGIN', async () => {
    const wire = await relay(on.port);
    try {
      const pool = await pools.get('ITALCOL', settingsFor(on, { ca: on.tls.ca }, wire.port));
      const r = await pool.request().query('SELECT COUNT(*) AS n FROM terceros_view');
      expect(r.recordset[0]).toEqual({ n: 5 });
      // PRELOGIN (0x12) in the clear, then TLS (inside PRELOGIN packets, then TLS records 0x17);
      // never a plain LOGIN7 (0x10), and the login name never crosses the wire readable.
      expect(wire.types[0]).toBe(0x12);
      expect(wire.types).not.toContain(0x10);
      expect(wire.sent().includes(Buffer.from(on.user, 'utf16le'))).toBe(false);
    } finally {
      await wire.close();
    }
  });

  it('speaks TDS 8 (encrypt "strict": TLS before PRELOGIN) with the CA', async () => {
    const pool = await pools.get('ITALCOL', settingsFor(on, { encrypt: 'strict', ca: on.tls.ca }));
    const r = await pool.request().query('SELECT COUNT(*) AS n FROM acuerdos_view');
    expect(r.recordset[0]).toEqual({ n: 2 });
  });

  it('fails permanently, saying what to set, when the certificate is signed by an unknown CA', async () => {
    const error = await failure(pools.get('ITALCOL', settingsFor(on, { ca: other.tls.ca })));
    expect(error).toBeInstanceOf(SourceLoginError);
    expect(error.message).toMatch(
      /the server's certificate (chain ends in|is signed by) a CA the sync does not know/,
    );
    expect(error.message).toContain('set "ca" to the PEM of the CA that signed it');
    const none = await failure(pools.get('ITALCOL', settingsFor(on, {})));
    expect(none).toBeInstanceOf(SourceLoginError);
  });

  it('fails permanently when the certificate does not name the host connected to', async () => {
    const error = await failure(
      pools.get('ITALCOL', settingsFor(on, { ca: on.tls.ca, serverName: 'erp.example' })),
    );
    expect(error).toBeInstanceOf(SourceLoginError);
    expect(error.message).toContain("the server's certificate does not carry the host name connected to");
  });

  it('refuses a server that does not support encryption, before any login is sent', async () => {
    const wire = await relay(off.port);
    try {
      const error = await failure(pools.get('ITALCOL', settingsFor(off, { ca: on.tls.ca }, wire.port)));
      expect(error).toBeInstanceOf(SourceLoginError);
      expect(error.message).toContain(
        'does not support encryption (its PRELOGIN answer offered no TLS) although "encrypt" asks for it; the sync refuses to log in in plain text',
      );
      expect(wire.types).toEqual([0x12]);
      expect(wire.sent().includes(Buffer.from(off.user, 'utf16le'))).toBe(false);
    } finally {
      await wire.close();
    }
  });

  it('logs in to that server only when the company says encrypt: false (and then the login is readable)', async () => {
    const wire = await relay(off.port);
    try {
      const pool = await pools.get('ITALCOL', settingsFor(off, { encrypt: false }, wire.port));
      const r = await pool.request().query('SELECT COUNT(*) AS n FROM sucursales_view');
      expect(r.recordset[0]).toEqual({ n: 5 });
      expect(wire.types.slice(0, 2)).toEqual([0x12, 0x10]);
      expect(wire.sent().includes(Buffer.from(off.user, 'utf16le'))).toBe(true);
    } finally {
      await wire.close();
    }
  });

  it('when a named instance cannot be looked up in time (no SQL Server Browser answers), suggests a fixed port', async () => {
    const raw = JSON.parse(JSON.stringify(loadConfig('config/sync.config.json').raw));
    raw.companies = {
      ITALCOL: {
        database: {
          host: '127.0.0.1',
          instanceName: 'ERP',
          database: 'erp',
          user: 'u',
          password: 'p',
          connectTimeoutMs: 3000,
        },
      },
    };
    const s = databaseSettings(parseConfig(raw), 'ITALCOL', () => undefined);
    expect(s.port).toBeUndefined();
    const error = await failure(pools.get('ITALCOL', s));
    // No answer may be an outage of the Browser service: transient, with the hint. (An answer
    // without the instance is EINSTLOOKUP: permanent, see tests/unit/source/errors.test.ts.)
    expect(error).toBeInstanceOf(SourceUnavailableError);
    expect(error.message).toContain(`cannot connect to ITALCOL's SQL Server at 127.0.0.1\\ERP`);
    expect(error.message).toContain('give the instance\'s fixed TCP "port" instead of "instanceName"');
  });

  it('does not retry a certificate failure in the workflow: one extract attempt per entity, the company fails', async () => {
    const env = await startLocalEnvironment({
      config: loadConfig('config/sync.config.json'),
      dataDir: path.join(dir, 'world'),
      sizes: SIZES,
    });
    try {
      process.env.DB_CA_ITALCOL = other.tls.ca;
      const events: TaskEvent[] = [];
      const result = await runSync({
        input: { companies: ['ITALCOL'], entities: ['terceros'] },
        retryIntervalScale: 0.001,
        onTaskEvent: (e) => events.push(e),
      });
      const extracts = events.filter((e) => e.functionName === 'extract' && e.type !== 'TaskStarted');
      expect(extracts.map((e) => [e.type, e.attempt, e.error?.name])).toEqual([
        ['TaskFailed', 1, 'SourceLoginError'],
      ]);
      expect(result.status).not.toBe('SUCCEEDED');
    } finally {
      await env.stop();
    }
  }, 120000);
});
