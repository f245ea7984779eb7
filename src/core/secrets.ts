import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigError } from './errors.js';
import { tracer } from './observability/tracer.js';

/** How long a fetched secret is reused before Secrets Manager is asked again (seconds). */
export const SECRETS_MAX_AGE_SECONDS = 300;

/**
 * An app's secrets and the settings they overlay. In AWS, secrets live in Secrets Manager:
 * SECRETS_ARN names one or more secrets (comma separated) whose JSON objects supply values such
 * as DB_PASSWORD or SF_PRIVATE_KEY. They are read through Powertools Parameters (its cache keeps
 * each secret SECRETS_MAX_AGE_SECONDS, so a rotated value arrives within that time) and overlay
 * the app's environment in `lookup`; never logged, returned, or written into process.env.
 * Locally, with no SECRETS_ARN, the environment alone is used and no AWS call is made.
 */
export class Secrets {
  private overlay: Record<string, string> = {};
  private provider: SecretsProvider | undefined;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** A setting: the secrets' value when they hold one, else the environment's. */
  lookup(name: string): string | undefined {
    return this.overlay[name] ?? this.env[name];
  }

  /** Reads the secrets (from the Parameters cache while it is fresh). */
  load(): Promise<void> {
    return this.read(false);
  }

  /** Fetches the secrets again now (a password may have been rotated while the container was warm). */
  refresh(): Promise<void> {
    return this.read(true);
  }

  private async read(forceFetch: boolean): Promise<void> {
    const arns = secretArns(this.env);
    if (arns.length === 0) return;
    // Built on first use and kept for the container like any SDK client (traced by X-Ray in Lambda).
    this.provider ??= new SecretsProvider({
      awsSdkV3Client: tracer.captureAWSv3Client(new SecretsManagerClient({})),
    });
    const values: Record<string, string> = {};
    for (const arn of arns) {
      const text = await this.provider.get(arn, { maxAge: SECRETS_MAX_AGE_SECONDS, forceFetch });
      Object.assign(values, parseSecret(arn, text));
    }
    this.overlay = values;
  }
}

function secretArns(env: NodeJS.ProcessEnv): string[] {
  return (env.SECRETS_ARN ?? '')
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
