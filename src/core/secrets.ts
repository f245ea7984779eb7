import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { setEnvironmentOverlay } from './config/load.js';
import { ConfigError } from './errors.js';
import { tracer } from './observability/tracer.js';

/** How long a fetched secret is reused before Secrets Manager is asked again (seconds). */
export const SECRETS_MAX_AGE_SECONDS = 300;

/**
 * Powertools Parameters over Secrets Manager (client traced by X-Ray in Lambda), built on first
 * use and kept for the container like any SDK client; its cache keeps each secret for
 * SECRETS_MAX_AGE_SECONDS. Never built when no SECRETS_ARN is set (local runs).
 */
const secretsProvider = (() => {
  let provider: SecretsProvider | undefined;
  return () => {
    provider ??= new SecretsProvider({
      awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    });
    return provider;
  };
})();

/**
 * In AWS, secrets live in Secrets Manager: SECRETS_ARN names one or more secrets (comma
 * separated) whose JSON objects supply values such as DB_PASSWORD or SF_PRIVATE_KEY. They are
 * read through the Parameters cache (at most once per SECRETS_MAX_AGE_SECONDS per container, so a
 * rotated value arrives within that time) and overlay the environment; never logged or returned.
 * Locally, with no SECRETS_ARN, the environment alone is used and no AWS call is made.
 */
export function loadSecrets(): Promise<void> {
  return readSecrets(false);
}

/** Fetches the secrets again now (a password may have been rotated while the container was warm). */
export function refreshSecrets(): Promise<void> {
  return readSecrets(true);
}

async function readSecrets(forceFetch: boolean): Promise<void> {
  const arns = secretArns();
  if (arns.length === 0) return;
  const values: Record<string, string> = {};
  for (const arn of arns) {
    const text = await secretsProvider().get(arn, { maxAge: SECRETS_MAX_AGE_SECONDS, forceFetch });
    Object.assign(values, parseSecret(arn, text));
  }
  setEnvironmentOverlay(values);
}

function secretArns(): string[] {
  return (process.env.SECRETS_ARN ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A secret's JSON object of NAME: value pairs (string values only); anything else is a ConfigError. */
export function parseSecret(arn: string, text: string | Uint8Array | undefined): Record<string, string> {
  const source = typeof text === 'string' ? text : text ? Buffer.from(text).toString('utf8') : '{}';
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(`Secret ${arn} is not a JSON object of NAME: value pairs`);
  }
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') values[k] = v;
  return values;
}
