import { deriveTokenKey, seal, unseal } from '../../../src/core/crypto/token-seal.js';
import { ConfigError } from '../../../src/core/errors.js';

const token = JSON.stringify({
  accessToken: '00D000000000001!secret-token',
  instanceUrl: 'https://x',
  expiresAt: 1,
});

describe('the token cache seal (AES-256-GCM, key from the credentials)', () => {
  const key = deriveTokenKey(['client-secret', 'private-key-pem', undefined], 'salesforce#abc');

  it('opens what it sealed, and the sealed text holds nothing of the token', () => {
    const sealed = seal(key, token);
    expect(unseal(key, sealed)).toBe(token);
    expect(sealed).toMatch(/^v1\.[\w-]{16}\.[\w-]+\.[\w-]{22}$/);
    expect(sealed).not.toContain('secret-token');
    expect(Buffer.from(sealed.split('.')[2] as string, 'base64url').toString('latin1')).not.toContain(
      'secret',
    );
  });

  it('uses a fresh IV each time', () => {
    expect(seal(key, token)).not.toBe(seal(key, token));
  });

  it('does not open under other credentials (rotation) or another entry (swap)', () => {
    const sealed = seal(key, token);
    expect(
      unseal(deriveTokenKey(['client-secret-2', 'private-key-pem'], 'salesforce#abc'), sealed),
    ).toBeUndefined();
    expect(
      unseal(deriveTokenKey(['client-secret', 'private-key-pem'], 'salesforce#def'), sealed),
    ).toBeUndefined();
  });

  it('refuses an altered or malformed value', () => {
    const sealed = seal(key, token);
    const [v, iv, body, tag] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0] = (flipped[0] ?? 0) ^ 1;
    expect(unseal(key, [v, iv, flipped.toString('base64url'), tag].join('.'))).toBeUndefined();
    expect(unseal(key, [v, iv, body, tag.slice(0, 10)].join('.'))).toBeUndefined();
    expect(unseal(key, ['v2', iv, body, tag].join('.'))).toBeUndefined();
    expect(unseal(key, 'expired')).toBeUndefined();
    expect(unseal(key, `${sealed}.x`)).toBeUndefined();
  });

  it('needs at least one credential', () => {
    expect(() => deriveTokenKey([undefined, ''], 'salesforce#abc')).toThrow(ConfigError);
    expect(() => deriveTokenKey([undefined, ''], 'salesforce#abc')).toThrow(
      'no Salesforce credential to derive the token cache key from',
    );
  });
});
