/**
 * `/services/oauth2/token` and the sessions it hands out.
 *
 * Grants, as a real org has them (strict by default):
 * - `urn:ietf:params:oauth:grant-type:jwt-bearer` on both hosts: RS256 checked with the
 *   certificate's public key; `iss` = client id, `sub` = a known username, `exp` in the future
 *   within a 60-second clock skew; `aud` = `https://login.salesforce.com` for a production org,
 *   `https://test.salesforce.com` for a sandbox (sfdx-core `getJwtAudienceUrl`), or the org's
 *   My Domain URL; the emulator's login URL stands for the login host of its kind. Anything
 *   else: `invalid_grant` "audience is invalid".
 * - `client_credentials` on the My Domain host only; on the login host `invalid_grant` "request
 *   not supported on this domain".
 * - `password` only when the org allows the username-password flow (off in orgs created since
 *   Summer '23): otherwise `invalid_grant` "authentication failure", as Salesforce answers.
 * Success and error bodies are Salesforce's; every error is HTTP 400 `{error, error_description}`.
 *
 * Sessions expire `tokenLifetimeSeconds` after issue. They are persisted, so a client keeps
 * its token across emulator restarts.
 */
import { createHmac, randomBytes, verify } from 'node:crypto';
import type { Identity } from './keys.js';
import type { Persistence } from './persistence.js';

export const JWT_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const CLOCK_SKEW_SECONDS = 60;
export const PRODUCTION_AUDIENCE = 'https://login.salesforce.com';
export const SANDBOX_AUDIENCE = 'https://test.salesforce.com';

/** The org's two hosts: the login host and the My Domain (instance) host. */
export type Host = 'login' | 'instance';

export interface OAuthSettings {
  lifetimeSeconds: number;
  /** A sandbox: JWTs name test.salesforce.com instead of login.salesforce.com. */
  sandbox: boolean;
  /** "Allow OAuth Username-Password Flows" (off by default, as in new orgs). */
  allowPasswordFlow: boolean;
}

export interface Session {
  token: string;
  grant: 'password' | 'client_credentials' | 'jwt';
  username: string;
  issuedAt: number;
  expiresAt: number;
  /** REST calls made with this token (for the expireSessionAfterCalls fault). */
  calls: number;
}

export interface OAuthReply {
  status: number;
  body: Record<string, string>;
}

const oauthError = (error: string, description: string): OAuthReply => ({
  status: 400,
  body: { error, error_description: description },
});

function decodeJson(part: string): unknown {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

export class Sessions {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly identity: Identity,
    private readonly persistence: Persistence,
    private readonly settings: OAuthSettings,
    private readonly urls: () => { loginUrl: string; instanceUrl: string },
  ) {
    const now = Date.now();
    for (const row of persistence.tokens()) {
      const session = JSON.parse(row.data) as Session;
      if (session.expiresAt > now) this.sessions.set(row.token, { ...session, calls: 0 });
      else persistence.deleteToken(row.token);
    }
  }

  /** Handles a token request; `params` merges the query string and the form body. */
  token(
    params: URLSearchParams,
    basicAuth: { id: string; secret: string } | undefined,
    host: Host,
  ): OAuthReply {
    const grant = params.get('grant_type');
    const { credentials } = this.identity;
    const clientId = params.get('client_id') ?? basicAuth?.id;
    const clientSecret = params.get('client_secret') ?? basicAuth?.secret;
    switch (grant) {
      case 'password': {
        if (clientId !== credentials.clientId)
          return oauthError('invalid_client_id', 'client identifier invalid');
        if (clientSecret !== credentials.clientSecret)
          return oauthError('invalid_client', 'invalid client credentials');
        if (
          !this.settings.allowPasswordFlow ||
          params.get('username') !== credentials.username ||
          params.get('password') !== credentials.password
        ) {
          return oauthError('invalid_grant', 'authentication failure');
        }
        return this.issue('password');
      }
      case 'client_credentials': {
        if (host === 'login') return oauthError('invalid_grant', 'request not supported on this domain');
        if (clientId !== credentials.clientId)
          return oauthError('invalid_client_id', 'client identifier invalid');
        if (clientSecret !== credentials.clientSecret)
          return oauthError('invalid_client', 'invalid client credentials');
        return this.issue('client_credentials');
      }
      case JWT_GRANT:
        return this.jwt(params.get('assertion'));
      case null:
      case '':
        return oauthError('unsupported_grant_type', 'grant type not supported');
      default:
        return oauthError('unsupported_grant_type', 'grant type not supported');
    }
  }

  private jwt(assertion: string | null): OAuthReply {
    if (!assertion) return oauthError('invalid_request', 'assertion is missing');
    const parts = assertion.split('.');
    if (parts.length !== 3) return oauthError('invalid_grant', 'invalid assertion');
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = decodeJson(headerPart) as { alg?: unknown } | undefined;
    const claims = decodeJson(payloadPart) as Record<string, unknown> | undefined;
    if (!header || !claims || typeof claims !== 'object' || header.alg !== 'RS256') {
      return oauthError('invalid_grant', 'invalid assertion');
    }
    const signed = verify(
      'RSA-SHA256',
      Buffer.from(`${headerPart}.${payloadPart}`),
      this.identity.publicKey,
      Buffer.from(signaturePart, 'base64url'),
    );
    if (!signed) return oauthError('invalid_grant', 'invalid assertion');
    const { credentials } = this.identity;
    if (claims.iss !== credentials.clientId)
      return oauthError('invalid_client_id', 'client identifier invalid');
    const { loginUrl, instanceUrl } = this.urls();
    const kind = this.settings.sandbox ? SANDBOX_AUDIENCE : PRODUCTION_AUDIENCE;
    const accepted = new Set([kind, loginUrl, instanceUrl]);
    const audiences = (Array.isArray(claims.aud) ? claims.aud : [claims.aud]).map((a) =>
      typeof a === 'string' ? a.replace(/\/+$/, '') : a,
    );
    if (!audiences.some((a) => typeof a === 'string' && accepted.has(a))) {
      return oauthError('invalid_grant', 'audience is invalid');
    }
    const exp = typeof claims.exp === 'string' && /^\d+$/.test(claims.exp) ? Number(claims.exp) : claims.exp;
    if (typeof exp !== 'number' || !Number.isFinite(exp))
      return oauthError('invalid_grant', 'invalid assertion');
    if (exp + CLOCK_SKEW_SECONDS <= Date.now() / 1000)
      return oauthError('invalid_grant', 'expired authorization code');
    if (claims.sub !== credentials.username)
      return oauthError('invalid_grant', "user hasn't approved this consumer");
    return this.issue('jwt');
  }

  private issue(grant: Session['grant']): OAuthReply {
    const { credentials } = this.identity;
    const { loginUrl, instanceUrl } = this.urls();
    const issuedAt = Date.now();
    const token = `${credentials.orgId.slice(0, 15)}!${randomBytes(48).toString('base64url')}`;
    const session: Session = {
      token,
      grant,
      username: credentials.username,
      issuedAt,
      expiresAt: issuedAt + this.settings.lifetimeSeconds * 1000,
      calls: 0,
    };
    this.prune(issuedAt);
    this.sessions.set(token, session);
    this.persistence.saveToken(token, JSON.stringify(session));
    const id = `${loginUrl}/id/${credentials.orgId}/${credentials.userId}`;
    const signature = createHmac('sha256', credentials.clientSecret)
      .update(`${id}${issuedAt}`)
      .digest('base64');
    const common = { access_token: token, instance_url: instanceUrl, id, token_type: 'Bearer' };
    if (grant === 'jwt') return { status: 200, body: { ...common, scope: 'api' } };
    const body = { ...common, issued_at: String(issuedAt), signature };
    return { status: 200, body: grant === 'client_credentials' ? { ...body, scope: 'api' } : body };
  }

  private prune(now: number): void {
    for (const [token, session] of this.sessions) {
      if (session.expiresAt <= now) {
        this.sessions.delete(token);
        this.persistence.deleteToken(token);
      }
    }
  }

  /**
   * The session of a REST call's token, counting the call; undefined when the token is unknown,
   * expired, or used up by the expireSessionAfterCalls fault (then it is revoked).
   */
  authenticate(token: string | undefined, expireAfterCalls: number): Session | undefined {
    if (!token) return undefined;
    const session = this.sessions.get(token);
    if (!session) return undefined;
    if (session.expiresAt <= Date.now() || (expireAfterCalls > 0 && session.calls >= expireAfterCalls)) {
      this.sessions.delete(token);
      this.persistence.deleteToken(token);
      return undefined;
    }
    session.calls += 1;
    return session;
  }

  /** Revokes every session (for tests that need a clean slate). */
  clear(): void {
    for (const token of this.sessions.keys()) this.persistence.deleteToken(token);
    this.sessions.clear();
  }
}
