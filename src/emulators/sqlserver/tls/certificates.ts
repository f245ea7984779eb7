/**
 * The emulator's TLS identity, as an on-premises SQL Server with a certificate from the company's
 * own CA: on first start a CA (`<dataDir>/tls/ca.pem`, its key `ca.key`) and a server certificate
 * signed by it (`server.pem`, `server.key`; SAN: DNS localhost, IP 127.0.0.1 and any extra names),
 * reused on later starts. Clients trust the emulator by trusting ca.pem.
 */
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { issueCertificate, splitNames } from '../../x509.js';

export const DEFAULT_CERTIFICATE_NAMES = ['localhost', '127.0.0.1'];
const CA_NAME = 'sf-sync SQL Server emulator CA';

export interface TlsFiles {
  /** Path of the CA certificate clients must trust (empty when a certificate override is used). */
  caPath: string;
  /** The CA certificate, PEM. */
  ca: string;
  cert: string;
  key: string;
}

/** A certificate the caller brings instead (tests: an unknown CA, a self-signed one). */
export interface CertificateOverride {
  cert: string;
  key: string;
  /** The CA that signed it, if any (exposed as `tls.ca`). */
  ca?: string;
}

function newKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function writeKey(file: string, key: KeyObject): void {
  writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
}

/** True when the certificate names every one of `names` in its subjectAltName. */
function coversNames(certificate: string, names: string[]): boolean {
  const san = new X509Certificate(certificate).subjectAltName ?? '';
  const entries = new Set(san.split(', '));
  const { dnsNames, ipAddresses } = splitNames(names);
  return (
    dnsNames.every((n) => entries.has(`DNS:${n}`)) &&
    ipAddresses.every((ip) => entries.has(`IP Address:${ip}`))
  );
}

function loadOrCreateCa(dir: string): { privateKey: KeyObject; publicKey: KeyObject; pem: string } {
  const caPath = path.join(dir, 'ca.pem');
  const caKeyPath = path.join(dir, 'ca.key');
  if (existsSync(caPath) && existsSync(caKeyPath)) {
    const privateKey = createPrivateKey(readFileSync(caKeyPath));
    return { privateKey, publicKey: createPublicKey(privateKey), pem: readFileSync(caPath, 'utf8') };
  }
  const pair = newKeyPair();
  const pem = issueCertificate({
    subject: CA_NAME,
    subjectKey: pair.publicKey,
    subjectPrivateKey: pair.privateKey,
    ca: true,
  });
  writeKey(caKeyPath, pair.privateKey);
  writeFileSync(caPath, pem);
  return { ...pair, pem };
}

/**
 * Loads `<dataDir>/tls`, creating what is missing; the server certificate is issued again when it
 * lacks one of the names asked for.
 */
export function loadTlsFiles(dataDir: string, extraNames: string[] = []): TlsFiles {
  const dir = path.join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true });
  const ca = loadOrCreateCa(dir);
  const certPath = path.join(dir, 'server.pem');
  const keyPath = path.join(dir, 'server.key');
  const names = [...new Set([...DEFAULT_CERTIFICATE_NAMES, ...extraNames])];
  const usable =
    existsSync(certPath) &&
    existsSync(keyPath) &&
    coversNames(readFileSync(certPath, 'utf8'), names) &&
    new X509Certificate(readFileSync(certPath)).checkIssued(new X509Certificate(ca.pem));
  if (!usable) {
    const pair = newKeyPair();
    const cert = issueCertificate({
      subject: names[0] ?? 'localhost',
      subjectKey: pair.publicKey,
      issuer: { name: CA_NAME, privateKey: ca.privateKey, publicKey: ca.publicKey },
      ...splitNames(names),
    });
    writeKey(keyPath, pair.privateKey);
    writeFileSync(certPath, cert);
  }
  return {
    caPath: path.join(dir, 'ca.pem'),
    ca: ca.pem,
    cert: readFileSync(certPath, 'utf8'),
    key: readFileSync(keyPath, 'utf8'),
  };
}
