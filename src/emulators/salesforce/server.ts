/**
 * HTTP plumbing: node:http, request bodies (gzip accepted), the OAuth endpoint, the REST gate
 * (session, daily limit, injected 503, usage counting, `Sforce-Limit-Info`) and the admin
 * surface under `/__emulator/` that is not Salesforce and never counts as API usage.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { ApiError, notFound } from './errors.js';
import { type Faults, FaultsError, parseFaults } from './faults.js';
import type { Sessions } from './oauth.js';
import { errorBody, type Reply, type RestContext, type RestRequest, route } from './rest.js';

export interface ServerParts {
  rest: RestContext;
  sessions: Sessions;
  faults: Faults;
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
  const { rest, sessions, faults } = parts;
  const usage = rest.usage;

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    if (path === '/__emulator/counters' && method === 'GET') {
      send(res, 200, { apiUsage: usage.used(), byEndpoint: usage.byEndpoint() });
      return;
    }
    if (path === '/__emulator/counters/reset' && method === 'POST') {
      usage.reset();
      send(res, 204, undefined);
      return;
    }
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
      error: `unknown admin endpoint ${method} ${path}; available: GET /__emulator/counters, POST /__emulator/counters/reset, GET|POST /__emulator/faults`,
    });
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
    const reply = sessions.token(params, basic(req));
    send(res, reply.status, reply.body, headers);
  }

  async function restCall(
    req: IncomingMessage,
    res: ServerResponse,
    version: string,
    rest_: string,
    url: URL,
  ): Promise<void> {
    let body = '';
    const limitHeader = () => ({ 'sforce-limit-info': `api-usage=${usage.used()}/${usage.limit}` });
    const isUpload = req.method === 'PUT' && /\/batches\/?$/.test(rest_);
    try {
      body = await readBody(req, isUpload ? MAX_CSV_BYTES : MAX_JSON_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) {
        send(
          res,
          413,
          [{ message: 'Request body too large', errorCode: 'REQUEST_ENTITY_TOO_LARGE' }],
          limitHeader(),
        );
        return;
      }
      throw error;
    }
    let segments: string[];
    try {
      segments = rest_
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s));
    } catch {
      send(res, 404, notFound().body(), limitHeader());
      return;
    }
    const request: RestRequest = {
      // Salesforce lets clients that cannot send PATCH use POST with ?_HttpMethod=PATCH.
      method:
        req.method === 'POST' && url.searchParams.get('_HttpMethod')
          ? (url.searchParams.get('_HttpMethod') as string).toUpperCase()
          : (req.method ?? 'GET'),
      segments,
      search: url.searchParams,
      headers: req.headers,
      body,
      apiVersion: version,
    };
    const found = route(request);
    usage.hit(found.key);
    const session = sessions.authenticate(bearer(req), faults.expireSessionAfterCalls);
    if (!session) {
      send(
        res,
        401,
        [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }],
        limitHeader(),
      );
      return;
    }
    if (usage.exceeded()) {
      send(
        res,
        403,
        [{ message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }],
        limitHeader(),
      );
      return;
    }
    if (faults.unavailable()) {
      send(
        res,
        503,
        [{ message: 'Server temporarily unavailable', errorCode: 'SERVER_UNAVAILABLE' }],
        limitHeader(),
      );
      return;
    }
    usage.count();
    if ('error' in found) {
      send(res, found.error.status, found.error.body(), limitHeader());
      return;
    }
    let reply: Reply;
    try {
      reply = found.handle(rest, request);
    } catch (error) {
      if (error instanceof ApiError) {
        send(res, error.status, errorBody(error), limitHeader());
        return;
      }
      throw error;
    }
    const headers: Record<string, string> = limitHeader();
    if (reply.contentType) headers['content-type'] = reply.contentType;
    if (reply.text !== undefined) send(res, reply.status, reply.text, headers);
    else send(res, reply.status, reply.json, headers);
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const path = url.pathname;
    if (path.startsWith('/__emulator/')) return admin(req, res, path);
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    if (path === '/services/oauth2/token') return oauth(req, res, url);
    if (path === '/services/data' || path === '/services/data/') {
      usage.hit('versions');
      const latest = Number(parts.apiVersion);
      const versions = [];
      for (let v = FIRST_VERSION; v <= latest; v++) {
        versions.push({ label: versionLabel(v), url: `/services/data/v${v}.0`, version: `${v}.0` });
      }
      send(res, 200, versions, { 'sforce-limit-info': `api-usage=${usage.used()}/${usage.limit}` });
      return;
    }
    const m = /^\/services\/data\/v(\d{2,3}\.\d)(\/.*)?$/.exec(path);
    if (m && Number(m[1]) >= FIRST_VERSION) return restCall(req, res, m[1] as string, m[2] ?? '', url);
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
