/** Shared setup for the Salesforce emulator's integration tests: a started org and a small HTTP client. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type SalesforceEmulator,
  type SalesforceEmulatorOptions,
  startSalesforceEmulator,
} from '../../../src/emulators/salesforce/index.js';

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  body: T;
}

export interface Org {
  emulator: SalesforceEmulator;
  dataDir: string;
  token: string;
  /** A REST call under /services/data/v62.0 (or an absolute path starting with /services/ or /__emulator/). */
  api: <T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ) => Promise<Reply<T>>;
  /** Stops the emulator and removes its data folder. */
  close: () => Promise<void>;
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sf-emulator-'));
}

export async function call<T = unknown>(
  baseUrl: string,
  method: string,
  path: string,
  token: string | undefined,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply<T>> {
  const url =
    path.startsWith('/services/') || path.startsWith('/__emulator/')
      ? `${baseUrl}${path}`
      : `${baseUrl}/services/data/v62.0${path}`;
  const init: RequestInit = { method, headers: { ...headers } };
  if (token) (init.headers as Record<string, string>).authorization = `Bearer ${token}`;
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    if (!('content-type' in headers))
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed: unknown = text;
  if ((response.headers.get('content-type') ?? '').startsWith('application/json') && text !== '')
    parsed = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, body: parsed as T };
}

/** A token by the client-credentials flow, which a real org serves on its My Domain host only. */
export async function clientCredentialsToken(emulator: SalesforceEmulator): Promise<string> {
  const { clientId, clientSecret } = emulator.credentials;
  const response = await fetch(`${emulator.instanceUrl}/services/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  const body = (await response.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`login failed: ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function startOrg(options: SalesforceEmulatorOptions = {}, dataDir = tempDir()): Promise<Org> {
  const emulator = await startSalesforceEmulator({ dataDir, ...options });
  const token = await clientCredentialsToken(emulator);
  return {
    emulator,
    dataDir,
    token,
    api: (method, path, body, headers) => call(emulator.url, method, path, token, body, headers),
    close: async () => {
      await emulator.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export const account = (n: number | string, extra: Record<string, unknown> = {}) => ({
  attributes: { type: 'Account' },
  ti_external_id__c: `ITALCOL-${n}`,
  Name: `Cliente ${n}`,
  ...extra,
});

export const store = (
  n: number | string,
  accountKey: number | string,
  extra: Record<string, unknown> = {},
) => ({
  attributes: { type: 'RetailStore' },
  ti_external_id__c: `ITALCOL-S${n}`,
  Name: `Sucursal ${n}`,
  Account: { ti_external_id__c: `ITALCOL-${accountKey}` },
  ...extra,
});

export type SaveResult = {
  id?: string;
  success: boolean;
  created?: boolean;
  errors: Array<{ statusCode: string; message: string; fields: string[] }>;
};
export type ErrorBody = Array<{ message: string; errorCode: string; fields?: string[] }>;
