/**
 * The connected app's identity: credentials and the JWT key pair, generated on first start into
 * the data folder and kept across restarts (and across `--reset`, which clears data only).
 *
 * The JWT flow checks signatures against `jwt-certificate.pem`, a self-signed X.509
 * certificate, as Salesforce checks them against the certificate uploaded to the connected app.
 * To use your own key pair, replace `jwt-private-key.pem` and `jwt-certificate.pem`.
 */
import {
  createPrivateKey,
  createSign,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  X509Certificate,
} from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  certificatePem,
  commonName as commonNameDer,
  integer,
  oid,
  sequence,
  tlv,
  utcTime,
} from '../x509.js';
import { randomId } from './ids.js';

export interface Credentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  orgId: string;
  userId: string;
}

export interface Identity {
  credentials: Credentials;
  privateKeyPath: string;
  certificatePath: string;
  /** The public key of the certificate: what JWT signatures are checked with. */
  publicKey: KeyObject;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

function randomText(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += ALPHANUMERIC.charAt(b % ALPHANUMERIC.length);
  return out;
}

const secureRandom = (): number => randomBytes(4).readUInt32BE() / 4294967296;

/** A self-signed RSA/SHA-256 certificate for the key pair, valid ten years. */
export function selfSignedCertificate(
  privateKey: KeyObject,
  publicKey: KeyObject,
  commonName: string,
): string {
  const sha256WithRsa = sequence(oid('1.2.840.113549.1.1.11'), Buffer.from([0x05, 0x00]));
  const name = commonNameDer(commonName);
  const now = new Date();
  const notAfter = new Date(now.getTime() + 10 * 365 * 24 * 3600 * 1000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    sha256WithRsa,
    name,
    sequence(utcTime(now), utcTime(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = createSign('sha256').update(tbs).sign(privateKey);
  return certificatePem(
    sequence(tbs, sha256WithRsa, tlv(0x03, Buffer.concat([Buffer.from([0]), signature]))),
  );
}

/** Loads the identity from the data folder, creating what is missing. */
export function loadIdentity(dataDir: string): Identity {
  const credentialsPath = join(dataDir, 'credentials.json');
  const privateKeyPath = join(dataDir, 'jwt-private-key.pem');
  const certificatePath = join(dataDir, 'jwt-certificate.pem');
  let credentials: Credentials;
  if (existsSync(credentialsPath)) {
    credentials = JSON.parse(readFileSync(credentialsPath, 'utf8')) as Credentials;
  } else {
    credentials = {
      clientId: `3MVG9${randomText(80)}`,
      clientSecret: randomBytes(32).toString('hex').toUpperCase(),
      username: 'integration@sf-sync.emulator',
      password: randomText(20),
      orgId: randomId('00D', secureRandom),
      userId: randomId('005', secureRandom),
    };
    writeFileSync(credentialsPath, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  }
  if (!existsSync(privateKeyPath) || !existsSync(certificatePath)) {
    const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(privateKeyPath, pair.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(
      certificatePath,
      selfSignedCertificate(pair.privateKey, pair.publicKey, 'sf-sync Salesforce emulator'),
    );
  }
  // Fail early if the files were replaced by something unusable.
  createPrivateKey(readFileSync(privateKeyPath));
  const certificate = new X509Certificate(readFileSync(certificatePath));
  return { credentials, privateKeyPath, certificatePath, publicKey: certificate.publicKey };
}
