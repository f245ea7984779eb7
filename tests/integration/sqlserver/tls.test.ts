import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import path from 'node:path';
import sql from 'mssql';
import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { parsePrelogin } from '../../../src/emulators/sqlserver/tds/login.js';
import { issueCertificate } from '../../../src/emulators/x509.js';
import { tempDir, trustEmulator } from './helpers.js';

const SIZES = {
  ITALCOL: { terceros: 20, sucursales: 10, acuerdos: 10 },
  CASABLANCA: { terceros: 5, sucursales: 5, acuerdos: 5 },
  SANTA_REYES: { terceros: 5, sucursales: 5, acuerdos: 5 },
};

/** A TCP proxy in front of the emulator that keeps every byte the client sent. */
async function snoopingProxy(
  target: number,
): Promise<{ port: number; sent: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(target, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => {
      chunks.push(d);
      upstream.write(d);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    port: address.port,
    sent: () => Buffer.concat(chunks),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** One raw PRELOGIN exchange: the server's ENCRYPTION answer, and whether it then closed the socket. */
function rawPrelogin(port: number, encryption: number): Promise<{ encryption?: number; closed: boolean }> {
  const options = Buffer.from([0x00, 0x00, 0x0b, 0x00, 0x06, 0x01, 0x00, 0x11, 0x00, 0x01, 0xff]);
  const payload = Buffer.concat([options, Buffer.from([16, 0, 0, 0, 0, 0, encryption])]);
  const header = Buffer.from([0x12, 0x01, 0, 0, 0, 0, 1, 0]);
  header.writeUInt16BE(payload.length + 8, 2);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect(port, '127.0.0.1', () => socket.write(Buffer.concat([header, payload])));
    let reply = Buffer.alloc(0);
    let answer: number | undefined;
    socket.on('data', (d: Buffer) => {
      reply = Buffer.concat([reply, d]);
      if (reply.length >= 8 && reply.length >= reply.readUInt16BE(2)) {
        answer = parsePrelogin(reply.subarray(8, reply.readUInt16BE(2))).encryption;
        // Give a server that means to close the connection the time to do so.
        setTimeout(() => {
          resolve({ encryption: answer, closed: socket.readableEnded || socket.destroyed });
          socket.destroy();
        }, 200);
      }
    });
    socket.on('end', () => undefined);
    socket.on('error', reject);
  });
}

const ENCRYPT = { OFF: 0, ON: 1, NOT_SUP: 2, REQ: 3 };

function pool(emulator: SqlServerEmulator, options: Record<string, unknown>, port = emulator.port) {
  return new sql.ConnectionPool({
    server: emulator.host,
    port,
    user: emulator.user,
    password: emulator.password,
    database: DATABASE_NAMES.ITALCOL,
    options,
  });
}

async function countTerceros(p: sql.ConnectionPool): Promise<number> {
  await p.connect();
  try {
    const result = await p.request().query('SELECT COUNT(*) AS n FROM terceros_view');
    return result.recordset[0]?.n as number;
  } finally {
    await p.close();
  }
}

const USER_ON_THE_WIRE = Buffer.from('sfsync', 'utf16le');
const QUERY_ON_THE_WIRE = Buffer.from('FROM terceros_view', 'utf16le');

describe('SQL Server emulator TLS, default mode on', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES });
  });

  afterAll(async () => {
    await emulator.stop();
    folder.remove();
  });

  it('makes a CA and a server certificate in <dataDir>/tls and exposes the CA', () => {
    expect(emulator.tls).toEqual({
      mode: 'on',
      caPath: path.join(folder.dir, 'tls', 'ca.pem'),
      ca: expect.stringMatching(/^-----BEGIN CERTIFICATE-----\n/),
    });
  });

  it('serves mssql with its defaults plus the CA, and nothing readable crosses the wire', async () => {
    const proxy = await snoopingProxy(emulator.port);
    try {
      expect(await countTerceros(pool(emulator, trustEmulator(emulator), proxy.port))).toBe(20);
      const wire = proxy.sent();
      expect(wire[0]).toBe(0x12); // PRELOGIN in the clear, as always
      expect(wire.includes(USER_ON_THE_WIRE)).toBe(false);
      expect(wire.includes(QUERY_ON_THE_WIRE)).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('sends the login and queries in the clear to a client that cannot encrypt (encrypt: false)', async () => {
    const proxy = await snoopingProxy(emulator.port);
    try {
      expect(await countTerceros(pool(emulator, { encrypt: false }, proxy.port))).toBe(20);
      expect(proxy.sent().includes(USER_ON_THE_WIRE)).toBe(true);
      expect(proxy.sent().includes(QUERY_ON_THE_WIRE)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('is refused by a client that does not trust its CA', async () => {
    await expect(countTerceros(pool(emulator, {}))).rejects.toMatchObject({
      code: 'ESOCKET',
      message: expect.stringContaining('unable to verify the first certificate'),
    });
  });

  it('answers PRELOGIN as SQL Server with a certificate: ON->ON, OFF->OFF (login only), NOT_SUP->NOT_SUP', async () => {
    expect(await rawPrelogin(emulator.port, ENCRYPT.ON)).toEqual({ encryption: ENCRYPT.ON, closed: false });
    expect(await rawPrelogin(emulator.port, ENCRYPT.OFF)).toEqual({ encryption: ENCRYPT.OFF, closed: false });
    expect(await rawPrelogin(emulator.port, ENCRYPT.NOT_SUP)).toEqual({
      encryption: ENCRYPT.NOT_SUP,
      closed: false,
    });
  });

  it("verifies by name too: 'localhost' is in the certificate, another name is not", async () => {
    const byName = new sql.ConnectionPool({
      server: 'localhost',
      port: emulator.port,
      user: emulator.user,
      password: emulator.password,
      database: DATABASE_NAMES.ITALCOL,
      options: trustEmulator(emulator),
    });
    expect(await countTerceros(byName)).toBe(20);
    await expect(
      countTerceros(pool(emulator, { ...trustEmulator(emulator), serverName: 'erp.example.co' })),
    ).rejects.toMatchObject({
      message: expect.stringContaining("Host: erp.example.co. is not in the cert's altnames"),
    });
  });

  it("speaks TDS 8 (encrypt: 'strict': TLS first, ALPN tds/8.0)", async () => {
    const proxy = await snoopingProxy(emulator.port);
    try {
      expect(
        await countTerceros(pool(emulator, { ...trustEmulator(emulator), encrypt: 'strict' }, proxy.port)),
      ).toBe(20);
      expect(proxy.sent()[0]).toBe(0x16); // a TLS handshake record, not a PRELOGIN packet
      expect(proxy.sent().includes(USER_ON_THE_WIRE)).toBe(false);
    } finally {
      await proxy.close();
    }
  });

  it('reuses the CA and certificate on the next start of the same folder', async () => {
    const again = await startSqlServerEmulator({ dataDir: folder.dir });
    try {
      expect(again.tls.ca).toBe(emulator.tls.ca);
      expect(await countTerceros(pool(again, trustEmulator(emulator)))).toBe(20);
    } finally {
      await again.stop();
    }
  });

  async function tsql(conf: string, script: string): Promise<string> {
    const file = path.join(folder.dir, 'freetds.conf');
    writeFileSync(file, conf);
    return new Promise((resolve, reject) => {
      const child = spawn('tsql', ['-S', 'emulator', '-U', emulator.user, '-P', emulator.password], {
        env: { ...process.env, FREETDSCONF: file, LANG: 'C.UTF-8' },
      });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', () => resolve(out));
      child.stdin.end(`${script}\nexit\n`);
    });
  }

  const freetdsConf = (extra: string) =>
    `[emulator]\n\thost = 127.0.0.1\n\tport = ${emulator.port}\n\ttds version = 7.4\n${extra}`;

  it('serves FreeTDS tsql over TLS with the CA (encryption = require, ca file)', async () => {
    const out = await tsql(
      freetdsConf(`\tencryption = require\n\tca file = ${emulator.tls.caPath}\n`),
      `USE ${DATABASE_NAMES.ITALCOL}\ngo\nSELECT COUNT(*) AS n FROM terceros_view\ngo`,
    );
    expect(out).toContain('20\n(1 row affected)');
  });

  it('serves FreeTDS with its default (encryption = request: the login only goes through TLS)', async () => {
    const out = await tsql(freetdsConf(''), 'SELECT 7 AS n\ngo');
    expect(out).toContain('7\n(1 row affected)');
  });

  it('is refused by FreeTDS given another CA', async () => {
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const otherCa = path.join(folder.dir, 'other-ca.pem');
    writeFileSync(
      otherCa,
      issueCertificate({
        subject: 'Some other CA',
        subjectKey: other.publicKey,
        subjectPrivateKey: other.privateKey,
        ca: true,
      }),
    );
    const out = await tsql(
      freetdsConf(`\tencryption = require\n\tca file = ${otherCa}\n`),
      'SELECT 7 AS n\ngo',
    );
    expect(out).toContain('There was a problem connecting to the server');
    expect(out).not.toContain('(1 row affected)');
  });
});

describe('SQL Server emulator TLS, other certificates and modes', () => {
  const folder = tempDir();
  const started: SqlServerEmulator[] = [];

  async function start(options: Parameters<typeof startSqlServerEmulator>[0]): Promise<SqlServerEmulator> {
    const emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES, ...options });
    started.push(emulator);
    return emulator;
  }

  afterAll(async () => {
    for (const e of started) await e.stop();
    folder.remove();
  });

  it('with a self-signed certificate, a client trusting another CA gets a certificate error', async () => {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cert = issueCertificate({
      subject: 'localhost',
      subjectKey: pair.publicKey,
      subjectPrivateKey: pair.privateKey,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1'],
    });
    const key = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const emulator = await start({ certificate: { cert, key } });
    const reference = await start({ dataDir: path.join(folder.dir, 'reference') });

    expect(emulator.tls).toEqual({ mode: 'on', caPath: '', ca: '' });
    await expect(countTerceros(pool(emulator, trustEmulator(reference)))).rejects.toMatchObject({
      message: expect.stringContaining('self-signed certificate'),
    });
    // Trusting the certificate itself works, as with an on-premises server's own certificate.
    expect(await countTerceros(pool(emulator, { cryptoCredentialsDetails: { ca: cert } }))).toBe(20);
  });

  it('--tls off answers ENCRYPT_NOT_SUP even to ENCRYPT_ON, and tedious then logs in in plain text', async () => {
    const emulator = await start({ tls: 'off', dataDir: path.join(folder.dir, 'off') });
    expect(emulator.tls).toEqual({ mode: 'off', caPath: '', ca: '' });
    expect(await rawPrelogin(emulator.port, ENCRYPT.ON)).toEqual({
      encryption: ENCRYPT.NOT_SUP,
      closed: false,
    });

    const proxy = await snoopingProxy(emulator.port);
    try {
      // mssql asked for encryption (its default) and still proceeds: the product has to refuse itself.
      expect(await countTerceros(pool(emulator, { encrypt: true }, proxy.port))).toBe(20);
      expect(proxy.sent().includes(USER_ON_THE_WIRE)).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('--tls required refuses a client that cannot encrypt and encrypts the others', async () => {
    const emulator = await start({ tls: 'required', dataDir: path.join(folder.dir, 'required') });

    await expect(countTerceros(pool(emulator, { encrypt: false }))).rejects.toMatchObject({
      code: 'EENCRYPT',
      message: "Server requires encryption, set 'encrypt' config option to true.",
    });
    expect(await rawPrelogin(emulator.port, ENCRYPT.NOT_SUP)).toEqual({
      encryption: ENCRYPT.REQ,
      closed: true,
    });
    expect(await rawPrelogin(emulator.port, ENCRYPT.OFF)).toEqual({ encryption: ENCRYPT.REQ, closed: false });
    expect(await rawPrelogin(emulator.port, ENCRYPT.ON)).toEqual({ encryption: ENCRYPT.ON, closed: false });
    expect(await countTerceros(pool(emulator, trustEmulator(emulator)))).toBe(20);
  });

  it('adds extra names to the server certificate', async () => {
    const emulator = await start({
      dataDir: path.join(folder.dir, 'names'),
      certificateNames: ['erp.example.co'],
    });
    expect(
      await countTerceros(pool(emulator, { ...trustEmulator(emulator), serverName: 'erp.example.co' })),
    ).toBe(20);
  });

  it('refuses a mode it does not know, naming the accepted ones', async () => {
    await expect(start({ tls: 'maybe' as 'on' })).rejects.toThrow(
      'tls must be one of off, on, required, got maybe',
    );
  });
});
