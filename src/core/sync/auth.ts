import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import {
  type Lookup,
  processLookup,
  resolveOptional,
  resolveValue,
  type SyncConfig,
} from '../config/load.js';
import { deriveTokenKey, seal, type TokenKey, unseal } from '../crypto/token-seal.js';
import { ConfigError } from '../errors.js';
import {
  type AuthFlow,
  requestToken,
  type SalesforceAuthSettings,
  SalesforceClient,
  type SalesforceMetrics,
} from '../salesforce/client.js';
import type { SyncStore, Token } from '../store/sync-store.js';

/**
 * The token cache key: one entry per org and user, so a token is never used against another
 * login host (a changed config, or a local emulator on a new port).
 */
export function tokenRef(settings: SalesforceAuthSettings): string {
  const id = createHash('sha256')
    .update(
      [
        settings.flow,
        settings.flow === 'client_credentials' ? (settings.instanceUrl ?? '') : settings.loginUrl,
        settings.clientId,
        settings.username ?? '',
      ].join('|'),
    )
    .digest('hex')
    .slice(0, 16);
  return `salesforce#${id}`;
}
/** A cached token is reused while it has at least this long to live. */
const MIN_REMAINING_MS = 10 * 60 * 1000;

export function authSettings(
  config: SyncConfig,
  flow?: AuthFlow,
  lookup: Lookup = processLookup,
): SalesforceAuthSettings {
  const sf = config.raw.salesforce;
  const key = 'config.salesforce.auth';
  const a = sf.auth;
  const value = (v: Parameters<typeof resolveValue>[0], k: string) => resolveValue(v, k, lookup);
  const optional = (v: Parameters<typeof resolveOptional>[0], k: string) => resolveOptional(v, k, lookup);
  let privateKey = optional(a.privateKey, `${key}.privateKey`);
  const keyPath = lookup('SF_PRIVATE_KEY_PATH');
  if (!privateKey && keyPath) {
    try {
      privateKey = readFileSync(keyPath, 'utf8');
    } catch (error) {
      throw new ConfigError(`SF_PRIVATE_KEY_PATH: cannot read ${keyPath}: ${(error as Error).message}`);
    }
  }
  const settings: SalesforceAuthSettings = {
    flow: flow ?? a.flow,
    loginUrl: value(sf.loginUrl, 'config.salesforce.loginUrl'),
    instanceUrl: optional(sf.instanceUrl, 'config.salesforce.instanceUrl') || undefined,
    clientId: value(a.clientId, `${key}.clientId`),
    clientSecret: optional(a.clientSecret, `${key}.clientSecret`),
    username: optional(a.username, `${key}.username`),
    password: optional(a.password, `${key}.password`),
    privateKey,
    audience: optional(a.audience, `${key}.audience`) || undefined,
  };
  checkFlowSettings(settings, key);
  return settings;
}

function validUrl(value: string | undefined, key: string): void {
  if (value === undefined) return;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
    throw new ConfigError(`${key}: "${value}" is not a URL (like https://mycompany.my.salesforce.com)`);
  }
}

/**
 * What each flow needs. JWT bearer (recommended) and client credentials; the password flow is
 * legacy: blocked by default in orgs created since Summer '23 and deprecated by Salesforce.
 */
function checkFlowSettings(settings: SalesforceAuthSettings, key: string): void {
  const need = (ok: unknown, what: string) => {
    if (!ok) throw new ConfigError(`${key}.flow: the ${settings.flow} flow needs ${what}`);
  };
  validUrl(settings.loginUrl, 'config.salesforce.loginUrl');
  validUrl(settings.instanceUrl, 'config.salesforce.instanceUrl');
  if (settings.flow === 'jwt') {
    need(settings.privateKey, 'a private key (SF_PRIVATE_KEY or SF_PRIVATE_KEY_PATH)');
    need(settings.username, 'a username (SF_USERNAME)');
  } else if (settings.flow === 'client_credentials') {
    need(settings.clientSecret, 'a client secret (SF_CLIENT_SECRET)');
    need(
      settings.instanceUrl,
      "the org's My Domain URL (SF_INSTANCE_URL or config salesforce.instanceUrl, like https://mycompany.my.salesforce.com): Salesforce refuses client credentials on login.salesforce.com",
    );
  } else {
    need(settings.clientSecret, 'a client secret (SF_CLIENT_SECRET)');
    need(settings.username && settings.password, 'a username and password (SF_USERNAME, SF_PASSWORD)');
  }
}

const AUTH_FLOW_OVERRIDE = 'SF_AUTH_FLOW';

/** The auth settings the sync uses: the configured flow, unless SF_AUTH_FLOW names another. */
export function settingsWithOverride(
  config: SyncConfig,
  lookup: Lookup = processLookup,
): SalesforceAuthSettings {
  const flow = lookup(AUTH_FLOW_OVERRIDE);
  if (flow === undefined || flow === '') return authSettings(config, undefined, lookup);
  if (flow === 'jwt' || flow === 'client_credentials' || flow === 'password')
    return authSettings(config, flow, lookup);
  throw new ConfigError(`${AUTH_FLOW_OVERRIDE}: "${flow}" is not a flow (jwt, client_credentials, password)`);
}

/** What getting a token and a client needs from the app: its store, config, settings, token memory and counters. */
export interface SalesforceAccess {
  store: SyncStore;
  config: SyncConfig;
  lookup: Lookup;
  /** The app's in-memory tokens by reference (one container's, one local run's). */
  tokens: Map<string, Token>;
  metrics: SalesforceMetrics;
}

const tokenSchema = z.object({
  accessToken: z.string().min(1),
  instanceUrl: z.string().min(1),
  expiresAt: z.number(),
});

/** The token cache's key: derived from this org's credentials, bound to the entry's reference. */
function cacheKey(settings: SalesforceAuthSettings): TokenKey {
  return deriveTokenKey([settings.clientSecret, settings.privateKey, settings.password], tokenRef(settings));
}

/** The cached token, decrypted; undefined when there is none or it does not open (rotated credentials). */
async function readCache(store: SyncStore, settings: SalesforceAuthSettings): Promise<Token | undefined> {
  const entry = await store.getSealedToken(tokenRef(settings));
  const text = entry ? unseal(cacheKey(settings), entry.sealed) : undefined;
  if (!text) return undefined;
  try {
    const parsed = tokenSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Caches a token encrypted: what the table holds is of no use without the credentials. */
async function writeCache(store: SyncStore, settings: SalesforceAuthSettings, token: Token): Promise<void> {
  const sealed = seal(cacheKey(settings), JSON.stringify(token));
  await store.putSealedToken(tokenRef(settings), { sealed, expiresAt: token.expiresAt });
}

/** The token the cache holds for this config's org and user, decrypted (tools and tests). */
export async function cachedToken(
  store: SyncStore,
  config: SyncConfig,
  lookup: Lookup = processLookup,
): Promise<Token | undefined> {
  return readCache(store, settingsWithOverride(config, lookup));
}

/** Gets a token (cached, encrypted, in DynamoDB while it lives) and returns only a reference to it. */
export async function authenticate(app: SalesforceAccess): Promise<{ tokenRef: string; expiresAt: string }> {
  const { store } = app;
  const settings = settingsWithOverride(app.config, app.lookup);
  const ref = tokenRef(settings);
  const cached = await readCache(store, settings);
  let token = cached && cached.expiresAt - Date.now() > MIN_REMAINING_MS ? cached : undefined;
  if (!token) {
    token = await requestToken(settings, undefined, app.metrics);
    await writeCache(store, settings, token);
  }
  app.tokens.set(ref, token);
  return { tokenRef: ref, expiresAt: new Date(token.expiresAt).toISOString() };
}

/** A Salesforce client on the cached token; a 401 fetches a new token once and shares it through the cache. */
export async function salesforceClient(
  app: SalesforceAccess,
  maxInFlight: number,
): Promise<SalesforceClient> {
  const { store, config, tokens, metrics } = app;
  const settings = settingsWithOverride(config, app.lookup);
  const ref = tokenRef(settings);
  const live = (t: Token | undefined) => (t && t.expiresAt > Date.now() ? t : undefined);
  let token = live(tokens.get(ref)) ?? live(await readCache(store, settings));
  const refresh = async () => {
    const fresh = await requestToken(settings, undefined, metrics);
    await writeCache(store, settings, fresh);
    tokens.set(ref, fresh);
    return fresh;
  };
  // The cached token ran out during a long run: get a new one rather than fail the step.
  token ??= await refresh();
  tokens.set(ref, token);
  return new SalesforceClient({
    apiVersion: config.raw.salesforce.apiVersion,
    token,
    refresh,
    maxInFlight,
    requestTimeoutMs: config.raw.salesforce.requestTimeoutMs,
    metrics,
  });
}
