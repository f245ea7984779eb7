/**
 * HTTP plumbing: node:http, request bodies (gzip accepted), the OAuth endpoint, the REST gate
 * (session, daily limit, concurrent long-running requests, injected 503 and 500, usage counting,
 * `Sforce-Limit-Info`) and the admin surface under `/__emulator/` that is not Salesforce and
 * never counts as API usage.
 *
 * One handler per host, as a real org has two: the login host (login.salesforce.com, or
 * test.salesforce.com for a sandbox) serves the token endpoint and the version list, and answers
 * every REST resource 401 INVALID_SESSION_ID (a session belongs to its instance); the My Domain
 * host serves the token endpoint (client credentials only there) and the REST API.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ApiError, notFound } from './errors.js';
import { type Faults, FaultsError, parseFaults, unknownExceptionBody } from './faults.js';
import { LockSettingsError } from './locks.js';
import type { Host, Sessions } from './oauth.js';
import { errorBody, type Reply, type RestContext, type RestRequest, route } from './rest.js';
import { OrgSettingsError, parseOrgSettings } from './settings.js';
import type { LongRequests } from './usage.js';

export interface ServerParts {
  /** Which of the org's two hosts this handler serves. */
  host: Host;
  rest: RestContext;
  sessions: Sessions;
  faults: Faults;
  longRequests: LongRequests;
  /** The admin surface's counters: API usage, requests per endpoint, lock conflicts. */
  counters: () => unknown;
  resetCounters: () => void;
  apiVersion: string;
  /** Reports internal errors (stderr by default). */
  log: (message: string) => void;
  /** True once stop() began: requests still in flight then fail quietly. */
  stopping: () => boolean;
}

const JSON_TYPE = 'application/json;charset=UTF-8';
const MAX_JSON_BYTES = 50 * 1024 * 1024;
const MAX_CSV_BYTES = 150 * 1024 * 1024;
const FIRST_VERSION = 20;

function versionLabel(version: number): string {
  const index = version - 60;
  const season = (['Spring', 'Summer', 'Winter'] as const)[((index % 3) + 3) % 3] as string;
  const year = 24 + Math.floor(index / 3) + (season === 'Winter' ? 1 : 0);
  return `${season} '${String(year).padStart(2, '0')}`;
}

class BodyTooLarge extends Error {}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  let buffer = Buffer.concat(chunks);
  if (/gzip/i.test(String(req.headers['content-encoding'] ?? ''))) buffer = gunzipSync(buffer);
  return buffer.toString('utf8');
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (status === 204 || body === undefined) {
    res.writeHead(status, headers);
    res.end();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? (headers['content-type'] ?? 'text/plain') : JSON_TYPE,
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

function bearer(req: IncomingMessage): string | undefined {
  const m = /^(?:Bearer|OAuth)\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  return m?.[1];
}

function basic(req: IncomingMessage): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)\s*$/i.exec(String(req.headers.authorization ?? ''));
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0
    ? undefined
    : {
        id: decodeURIComponent(decoded.slice(0, colon)),
        secret: decodeURIComponent(decoded.slice(colon + 1)),
      };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createHandler(parts: ServerParts): (req: IncomingMessage, res: ServerResponse) => void {
  const { rest, sessions, faults, longRequests } = parts;
  const usage = rest.usage;

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/__emulator/counters' && method === 'GET') {
      send(res, 200, parts.counters());
      return;
    }
    if (path === '/__emulator/counters/reset' && method === 'POST') {
      parts.resetCounters();
      send(res, 204, undefined);
      return;
    }
    if (path === '/__emulator/locks') return adminLocks(req, res, method);
    if (path === '/__emulator/org-settings') return adminOrgSettings(req, res, method);
    if (path === '/__emulator/faults' && method === 'GET') {
      send(res, 200, faults.config);
      return;
    }
    if (path === '/__emulator/faults' && method === 'POST') {
      const text = await readBody(req, 1024 * 1024);
      let body: unknown;
      try {
        body = text.trim() === '' ? {} : JSON.parse(text);
      } catch (error) {
        send(res, 400, { error: `faults body is not JSON: ${(error as Error).message}` });
        return;
      }
      try {
        faults.set(parseFaults(body));
      } catch (error) {
        if (error instanceof FaultsError) {
          send(res, 400, { error: error.message });
          return;
        }
        throw error;
      }
      send(res, 200, faults.config);
      return;
    }
    send(res, 404, {
      error: `unknown admin endpoint ${method} ${path}; available: GET /__emulator/counters, POST /__emulator/counters/reset, GET|POST /__emulator/faults, GET|POST /__emulator/locks, GET|POST /__emulator/org-settings`,
    });
  }

  /** GET answers the row-lock settings; POST changes the ones its JSON body names. */
  async function adminLocks(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    if (method === 'POST') {
      const text = await readBody(req, 1024 * 1024);
      try {
        rest.locks.configure(text.trim() === '' ? {} : JSON.parse(text));
      } catch (error) {
        if (!(error instanceof LockSettingsError || error instanceof SyntaxError)) throw error;
        send(res, 400, { error: error.message });
        return;
      }
    } else if (method !== 'GET') {
      req.resume();
      send(res, 405, { error: `use GET or POST on /__emulator/locks, not ${method}` });
      return;
    }
    send(res, 200, rest.locks.settings);
  }

  /**
   * GET answers the org settings in force; POST changes the keys its JSON body names (the others
   * keep their value), validated as a settings file is.
   */
  async function adminOrgSettings(req: IncomingMessage, res: ServerResponse, method: string): Promise<void> {
    const rules = rest.schema.rules;
    if (method === 'POST') {
      const text = await readBody(req, 1024 * 1024);
      try {
        const body: unknown = text.trim() === '' ? {} : JSON.parse(text);
        const isObject = typeof body === 'object' && body !== null && !Array.isArray(body);
        rules.settings = isObject
          ? parseOrgSettings({ ...rules.settings, ...body }, 'org settings body')
          : parseOrgSettings(body, 'org settings body');
      } catch (error) {
        if (!(error instanceof OrgSettingsError || error instanceof SyntaxError)) throw error;
        const message =
          error instanceof SyntaxError ? `org settings body is not JSON: ${error.message}` : error.message;
        send(res, 400, { error: message });
        return;
      }
    } else if (method !== 'GET') {
      req.resume();
      send(res, 405, { error: `use GET or POST on /__emulator/org-settings, not ${method}` });
      return;
    }
    send(res, 200, rules.settings);
  }

  async function oauth(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    usage.hit('oauth.token');
    const headers = { 'cache-control': 'no-cache,must-revalidate,max-age=0,no-store,private' };
    if (req.method !== 'POST') {
      send(res, 400, { error: 'invalid_request', error_description: 'must use HTTP POST' }, headers);
      return;
    }
    const body = await readBody(req, 1024 * 1024);
    const params = new URLSearchParams(url.search);
    for (const [k, v] of new URLSearchParams(body)) params.set(k, v);
    const reply = sessions.token(params, basic(req), parts.host);
    send(res, reply.status, reply.body, headers);
  }

  const limitHeader = () => ({ 'sforce-limit-info': `api-usage=${usage.used()}/${usage.limit}` });
  const refusal = (status: number, message: string, errorCode: string) => ({
    status,
    body: [{ message, errorCode }],
  });

  /** Reads the body and the path; undefined when it already answered (413, 404). */
  async function readRequest(
    req: IncomingMessage,
    res: ServerResponse,
    version: string,
    rest_: string,
    url: URL,
  ): Promise<RestRequest | undefined> {
    let body = '';
    const isUpload = req.method === 'PUT' && /\/batches\/?$/.test(rest_);
    try {
      body = await readBody(req, isUpload ? MAX_CSV_BYTES : MAX_JSON_BYTES);
    } catch (error) {
      if (!(error instanceof BodyTooLarge)) throw error;
      const r = refusal(413, 'Request body too large', 'REQUEST_ENTITY_TOO_LARGE');
      send(res, r.status, r.body, limitHeader());
      return undefined;
    }
    let segments: string[];
    try {
      segments = rest_
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      send(res, 404, notFound().body(), limitHeader());
      return undefined;
    }
    // Salesforce lets clients that cannot send PATCH use POST with ?_HttpMethod=PATCH.
    const override = req.method === 'POST' ? url.searchParams.get('_HttpMethod') : null;
    return {
      method: override ? override.toUpperCase() : (req.method ?? 'GET'),
      segments,
      search: url.searchParams,
      headers: req.headers,
      body,
      apiVersion: version,
    };
  }

  /** The org's refusals before a request runs: session, daily limit, concurrency, injected 503. */
  function gate(req: IncomingMessage): { status: number; body: unknown } | undefined {
    if (!sessions.authenticate(bearer(req), faults.expireSessionAfterCalls)) {
      return refusal(401, 'Session expired or invalid', 'INVALID_SESSION_ID');
    }
    if (usage.exceeded()) return refusal(403, 'TotalRequests Limit exceeded.', 'REQUEST_LIMIT_EXCEEDED');
    if (longRequests.refuse()) {
      return refusal(
        403,
        'ConcurrentRequests (Concurrent API Requests) Limit exceeded.',
        'REQUEST_LIMIT_EXCEEDED',
      );
    }
    if (faults.unavailable()) return refusal(503, 'Server temporarily unavailable', 'SERVER_UNAVAILABLE');
    return undefined;
  }

  async function restCall(
    req: IncomingMessage,
    res: ServerResponse,
    version: string,
    rest_: string,
    url: URL,
  ): Promise<void> {
    const request = await readRequest(req, res, version, rest_, url);
    if (!request) return;
    const found = route(request);
    usage.hit(found.key);
    const refused = gate(req);
    if (refused) {
      send(res, refused.status, refused.body, limitHeader());
      return;
    }
    usage.count();
    if (faults.unknownException({ method: request.method, path: url.pathname, body: request.body })) {
      const body = unknownExceptionBody({ method: request.method, path: url.pathname, body: request.body });
      send(res, 500, body, limitHeader());
      return;
    }
    if ('error' in found) {
      send(res, found.error.status, found.error.body(), limitHeader());
      return;
    }
    const end = longRequests.begin();
    let reply: Reply;
    try {
      reply = await found.handle(rest, request);
    } catch (error) {
      if (error instanceof ApiError) {
        send(res, error.status, errorBody(error), limitHeader());
        return;
      }
      throw error;
    } finally {
      end();
    }
    if (faults.lostResponse()) {
      // The request ran (a write is committed); its answer never arrives.
      res.socket?.destroy();
      return;
    }
    const headers: Record<string, string> = limitHeader();
    if (reply.contentType) headers['content-type'] = reply.contentType;
    if (reply.text !== undefined) send(res, reply.status, reply.text, headers);
    else send(res, reply.status, reply.json, headers);
  }

  function versions(res: ServerResponse): void {
    usage.hit('versions');
    const latest = Number(parts.apiVersion);
    const list = [];
    for (let v = FIRST_VERSION; v <= latest; v++) {
      list.push({ label: versionLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` });
    }
    send(res, 200, list, limitHeader());
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith('/__emulator/')) return admin(req, res, path);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (path === '/services/oauth2/token') return oauth(req, res, url);
    if (path === '/services/data' || path === '/services/data/') return versions(res);
    const m = /^\/services\/data\/v(\d{2,3}\.\d)(\/.*)?$/.exec(path);
    if (m && Number(m[1]) >= FIRST_VERSION) {
      if (parts.host === 'instance') return restCall(req, res, m[1] as string, m[2] ?? '', url);
      // The login host holds no sessions: a token is only good on its own instance.
      req.resume();
      usage.hit('loginHost.rest');
      const r = refusal(401, 'Session expired or invalid', 'INVALID_SESSION_ID');
      send(res, r.status, r.body);
      return;
    }
    req.resume();
    send(res, 404, notFound().body());
  }

  return (req, res) => {
    dispatch(req, res).catch((error: unknown) => {
      if (parts.stopping()) {
        res.destroy();
        return;
      }
      parts.log(
        `salesforce emulator: ${req.method} ${req.url} failed: ${(error as Error).stack ?? String(error)}`,
      );
      if (!res.headersSent) {
        send(res, 500, [
          {
            message: `An unexpected error occurred: ${(error as Error).message}`,
            errorCode: 'UNKNOWN_EXCEPTION',
          },
        ]);
      } else res.destroy();
    });
  };
}
