import { type GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { resolveValue } from '../../../src/core/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';
import { parseSecret, Secrets } from '../../../src/core/secrets.js';

const ARN_DB = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-sync/test-db-AbCdEf';
const ARN_SF = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:sf-sync/test-sf-GhIjKl';

describe('secrets through Powertools Parameters', () => {
  const saved = { ...process.env };
  let asked: string[];
  let password: string;

  beforeEach(() => {
    asked = [];
    password = 'first-password';
    process.env.AWS_REGION = 'us-east-1';
    jest.spyOn(SecretsManagerClient.prototype, 'send').mockImplementation(async (command: unknown) => {
      const id = (command as GetSecretValueCommand).input.SecretId ?? '';
      asked.push(id);
      const body =
        id === ARN_DB ? { DB_PASSWORD_ITALCOL: password, PORT: 1433 } : { SF_CLIENT_ID: 'client-1' };
      return { Name: id, SecretString: JSON.stringify(body) };
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  it('asks Secrets Manager nothing without SECRETS_ARN (local runs)', async () => {
    const env = { ...process.env };
    delete env.SECRETS_ARN;
    await new Secrets(env).load();
    expect(asked).toEqual([]);
  });

  it('overlays the string values of every named secret, reads each once, and again on refresh', async () => {
    const secrets = new Secrets({ AWS_REGION: 'us-east-1', SECRETS_ARN: ` ${ARN_DB} , ${ARN_SF} ` });
    const lookup = (name: string) => secrets.lookup(name);
    await secrets.load();
    await secrets.load();
    expect(asked).toEqual([ARN_DB, ARN_SF]);
    expect(resolveValue({ env: 'DB_PASSWORD_ITALCOL' }, 'password', lookup)).toBe('first-password');
    expect(resolveValue({ env: 'SF_CLIENT_ID' }, 'clientId', lookup)).toBe('client-1');
    expect(() => resolveValue({ env: 'PORT' }, 'port', lookup)).toThrow(ConfigError);
    // Handed over through the lookup, never written back into the process environment.
    expect(process.env.DB_PASSWORD_ITALCOL).toBeUndefined();

    password = 'rotated-password';
    await secrets.refresh();
    expect(asked).toEqual([ARN_DB, ARN_SF, ARN_DB, ARN_SF]);
    expect(resolveValue({ env: 'DB_PASSWORD_ITALCOL' }, 'password', lookup)).toBe('rotated-password');
  });

  it('refuses a secret that is not a JSON object, naming it and what is accepted', () => {
    for (const text of ['not json', '[1,2]', '"text"', 'null']) {
      expect(() => parseSecret(ARN_DB, text)).toThrow(
        new ConfigError(`Secret ${ARN_DB} is not a JSON object of NAME: value pairs`),
      );
    }
    expect(parseSecret(ARN_DB, new TextEncoder().encode('{"A":"1","B":2}'))).toEqual({ A: '1' });
  });
});
