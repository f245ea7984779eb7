/**
 * X.509 certificates written by hand in DER (no OpenSSL needed): a CA that signs server certificates
 * with subjectAltName, the shape TLS clients (OpenSSL in node, GnuTLS in FreeTDS) verify. The
 * Salesforce emulator's keys.ts builds its self-signed JWT certificate from the same DER writer.
 */
import { createHash, createSign, type KeyObject, randomBytes } from 'node:crypto';
import { isIPv4 } from 'node:net';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export const tlv = (tag: number, content: Buffer): Buffer =>
  Buffer.concat([Buffer.from([tag]), length(content.length), content]);
export const sequence = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (content: Buffer): Buffer => tlv(0x04, content);
const TRUE = Buffer.from([0x01, 0x01, 0xff]);

/** DER INTEGER of a non-negative big-endian number: minimal, a leading zero only when the high bit needs one. */
export function integer(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
  const minimal = bytes.subarray(start);
  const first = minimal[0] ?? 0;
  return tlv(0x02, first & 0x80 ? Buffer.concat([Buffer.from([0]), minimal]) : minimal);
}

export function oid(text: string): Buffer {
  const parts = text.split('.').map(Number);
  const out = [40 * (parts[0] ?? 0) + (parts[1] ?? 0)];
  for (const part of parts.slice(2)) {
    const chunk: number[] = [part & 0x7f];
    for (let v = Math.floor(part / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

export function utcTime(date: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${p(date.getUTCFullYear() % 100)}${p(date.getUTCMonth() + 1)}${p(date.getUTCDate())}${p(
    date.getUTCHours(),
  )}${p(date.getUTCMinutes())}${p(date.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(text, 'ascii'));
}

export const commonName = (cn: string): Buffer =>
  sequence(set(sequence(oid('2.5.4.3'), tlv(0x0c, Buffer.from(cn, 'utf8')))));

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? sequence(oid(id), TRUE, octets(value)) : sequence(oid(id), octets(value));
}

function subjectAltName(dnsNames: string[], ipAddresses: string[]): Buffer {
  const names = [
    ...dnsNames.map((n) => tlv(0x82, Buffer.from(n, 'ascii'))),
    ...ipAddresses.map((ip) => tlv(0x87, Buffer.from(ip.split('.').map(Number)))),
  ];
  return sequence(...names);
}

/** The key identifier of RFC 5280 4.2.1.2 method 1: SHA-1 of the public key bits. */
function keyId(publicKey: KeyObject): Buffer {
  return createHash('sha1')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest();
}

export interface CertificateRequest {
  subject: string;
  subjectKey: KeyObject;
  /** The issuer's common name and private key; omitted: self-signed with subjectPrivateKey. */
  issuer?: { name: string; privateKey: KeyObject; publicKey: KeyObject };
  subjectPrivateKey?: KeyObject;
  /** A CA certificate (basicConstraints CA:TRUE, keyCertSign) rather than a TLS server's. */
  ca?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
  /** Validity in days from now (default 3650). */
  days?: number;
}

/** Names that are IPv4 addresses go to iPAddress entries, the others to dNSName entries. */
export function splitNames(names: string[]): { dnsNames: string[]; ipAddresses: string[] } {
  return { dnsNames: names.filter((n) => !isIPv4(n)), ipAddresses: names.filter((n) => isIPv4(n)) };
}

/** Issues an ECDSA P-256 / SHA-256 certificate (EC keys: generating them is fast). Returns PEM. */
export function issueCertificate(request: CertificateRequest): string {
  const signer = request.issuer?.privateKey ?? request.subjectPrivateKey;
  if (signer === undefined)
    throw new Error('issueCertificate: an issuer or the subject private key is needed');
  const issuerPublic = request.issuer?.publicKey ?? request.subjectKey;
  const algorithm = sequence(oid('1.2.840.10045.4.3.2'));
  const now = new Date(Date.now() - 60_000);
  const notAfter = new Date(now.getTime() + (request.days ?? 3650) * 24 * 3600 * 1000);
  const serial = randomBytes(16);
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const extensions = request.ca
    ? [
        extension('2.5.29.19', true, sequence(TRUE)),
        extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x01, 0x06])), // keyCertSign, cRLSign
      ]
    : [
        extension('2.5.29.19', true, sequence()),
        extension('2.5.29.15', true, Buffer.from([0x03, 0x02, 0x07, 0x80])), // digitalSignature
        extension('2.5.29.37', false, sequence(oid('1.3.6.1.5.5.7.3.1'))), // serverAuth
        extension('2.5.29.17', false, subjectAltName(request.dnsNames ?? [], request.ipAddresses ?? [])),
      ];
  extensions.push(extension('2.5.29.14', false, octets(keyId(request.subjectKey))));
  extensions.push(extension('2.5.29.35', false, sequence(tlv(0x80, keyId(issuerPublic)))));
  const tbs = sequence(
    tlv(0xa0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    commonName(request.issuer?.name ?? request.subject),
    sequence(utcTime(now), utcTime(notAfter)),
    commonName(request.subject),
    request.subjectKey.export({ type: 'spki', format: 'der' }),
    tlv(0xa3, sequence(...extensions)),
  );
  const signature = createSign('sha256').update(tbs).sign(signer);
  const der = sequence(tbs, algorithm, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  return certificatePem(der);
}

/** A DER certificate as PEM, 64 characters a line. */
export function certificatePem(der: Buffer): string {
  const base64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${base64.trimEnd()}\n-----END CERTIFICATE-----\n`;
}
