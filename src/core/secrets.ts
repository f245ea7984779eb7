import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { setEnvironmentOverlay } from './config/load.js';
import { ConfigError } from './errors.js';

let loaded: Promise<void> | undefined;

/**
 * In AWS, secrets live in Secrets Manager: SECRETS_ARN names one or more secrets (comma
 * separated) whose JSON objects supply values such as DB_PASSWORD or SF_PRIVATE_KEY. They are
 * fetched once per container and overlay the environment; they are never logged or returned.
 * Locally, with no SECRETS_ARN, the environment alone is used.
 */
export function loadSecrets(): Promise<void> {
  loaded ??= (async () => {
    const arns = (process.env.SECRETS_ARN ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (arns.length === 0) return;
    const client = new SecretsManagerClient({});
    const values: Record<string, string> = {};
    for (const arn of arns) {
      const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      let parsed: unknown;
      try {
        parsed = JSON.parse(out.SecretString ?? '{}');
      } catch {
        throw new ConfigError(`Secret ${arn} is not a JSON object of NAME: value pairs`);
      }
      for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
        if (typeof v === 'string') values[k] = v;
      }
    }
    setEnvironmentOverlay(values);
  })().catch((error: unknown) => {
    loaded = undefined;
    throw error;
  });
  return loaded;
}

/**
 * Fetches the secrets again (a password may have been rotated while the container was warm).
 * Locally, with no SECRETS_ARN, settings are read from the environment on every use anyway.
 */
export function refreshSecrets(): Promise<void> {
  loaded = undefined;
  return loadSecrets();
}
