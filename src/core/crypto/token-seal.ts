import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';

/**
 * The token cache's encryption: AES-256-GCM under a key derived (HKDF-SHA256) from the Salesforce
 * credentials the sync already holds (client secret, private key, password). Reading the table
 * yields nothing usable; whoever could decrypt it could mint a token with those credentials
 * anyway. A rotated credential derives another key: the old entry no longer opens and a new token
 * is fetched. No key to create, store or grant, and no KMS call on the hot path.
 */
export interface TokenKey {
  readonly key: Buffer;
  /** Binds a sealed value to its cache entry, so an entry cannot be swapped for another's. */
  readonly context: string;
}

const VERSION = 'v1';
const SALT = 'sf-sync token cache v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Derives the key from the credentials; `context` names the cache entry (the token reference). */
export function deriveTokenKey(secrets: Array<string | undefined>, context: string): TokenKey {
  const material = secrets.filter((s): s is string => typeof s === 'string' && s.length > 0);
  if (material.length === 0)
    throw new ConfigError('no Salesforce credential to derive the token cache key from');
  const ikm = Buffer.from(material.map((s) => `${s.length}:${s}`).join('|'), 'utf8');
  const key = Buffer.from(hkdfSync('sha256', ikm, SALT, context, 32));
  return { key, context };
}

/** `v1.<iv>.<ciphertext>.<tag>`, base64url parts; a fresh random IV every time. */
export function seal(key: TokenKey, plaintext: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key.key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(key.context, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const parts = [iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
  return [VERSION, ...parts].join('.');
}

/** The plaintext, or undefined when the value is not ours, was altered, or another key sealed it. */
export function unseal(key: TokenKey, sealed: string): string | undefined {
  const [version, iv, body, tag, extra] = sealed.split('.');
  if (version !== VERSION || !iv || body === undefined || !tag || extra !== undefined) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(key.context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString(
      'utf8',
    );
  } catch {
    return undefined;
  }
}
