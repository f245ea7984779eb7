/**
 * The limit: a bare loop of sObject Collections upserts (200 records a request) of the records the
 * full run sent, at a given concurrency, with nothing else around it (no staging, no DynamoDB, no
 * state machine). Parents still go before their children (a child of a missing parent fails), so
 * each company runs its dependency waves in order, companies side by side, all requests sharing
 * one limit. Records are packed as the sync packs them (`packByParent`: one parent's children
 * travel together, Salesforce's advice against parent row locks), so concurrent requests rarely
 * share a parent; the emulator's lock conflicts are reported, not avoided by scheduling.
 */
import { readFileSync } from 'node:fs';
import got from 'got';
import pLimit from 'p-limit';
import { packByParent } from '../../src/core/batching.js';
import { dependencyWaves, type SyncConfig } from '../../src/core/config/load.js';
import { externalId } from '../../src/core/mapping.js';
import { requestToken, writeHeaders } from '../../src/core/salesforce/client.js';
import type { SyncStore } from '../../src/core/store/sync-store.js';
import type { OutRecord } from '../../src/core/sync/transform.js';
import { parentLocks } from '../../src/core/sync/upsert.js';

export interface LimitGroup {
  company: string;
  entity: string;
  object: string;
  externalIdField: string;
  records: Array<Record<string, unknown>>;
}

export interface LimitSession {
  instanceUrl: string;
  accessToken: string;
  apiVersion: string;
}

export interface LimitResult {
  records: number;
  succeeded: number;
  failed: number;
  requests: number;
  seconds: number;
  concurrency: number;
  /** Failed records per Salesforce status code (UNABLE_TO_LOCK_ROW, DUPLICATES_DETECTED, ...). */
  failuresByCode: Record<string, number>;
  errors: string[];
}

export class LimitError extends Error {
  override readonly name = 'LimitError';
}

/** The payloads a sync run staged for Upsert (its OUT pages), as the upsert sends them. */
export async function loadRunRecords(
  store: SyncStore,
  config: SyncConfig,
  runId: string,
): Promise<LimitGroup[]> {
  const groups: LimitGroup[] = [];
  for (const company of config.companies) {
    for (const base of config.entities) {
      const entity = config.companyEntity(company, base.name);
      if (!entity) continue;
      if (entity.strategy !== 'externalId' || !entity.externalIdField) {
        throw new LimitError(
          `${entity.name}: the limit loop upserts by external ID; this entity uses ${entity.strategy}`,
        );
      }
      const field = entity.externalIdField;
      const records: Array<Record<string, unknown>> = [];
      const pages = (await store.getPages(runId, company, entity.name)).filter((p) => p.toSend > 0);
      for (const p of pages.sort((a, b) => a.page - b.page)) {
        const staged = await store.getStage<OutRecord>(runId, company, entity.name, 'OUT', p.page);
        for (const r of staged) records.push({ ...r.payload, [field]: externalId(company, r.key) });
      }
      groups.push({ company, entity: entity.name, object: entity.object, externalIdField: field, records });
    }
  }
  return groups;
}

/**
 * The sync's own auth (JWT bearer, `requestToken` of src/core/salesforce/client.ts): the limit
 * stands for what sf-sync could at best do against the same new org, where the password flow is
 * off. One token request, before the clock starts.
 */
export async function jwtLogin(s: {
  loginUrl: string;
  clientId: string;
  username: string;
  privateKeyPath: string;
}): Promise<{ accessToken: string; instanceUrl: string }> {
  const token = await requestToken({
    flow: 'jwt',
    loginUrl: s.loginUrl,
    clientId: s.clientId,
    username: s.username,
    privateKey: readFileSync(s.privateKeyPath, 'utf8'),
  });
  return { accessToken: token.accessToken, instanceUrl: token.instanceUrl };
}

/** Sends every group's records, 200 a request, `concurrency` requests in flight; times only the sending. */
export async function runLimit(options: {
  config: SyncConfig;
  groups: LimitGroup[];
  session: LimitSession;
  concurrency: number;
  batchSize?: number;
}): Promise<LimitResult> {
  const { groups, session, concurrency } = options;
  const batchSize = options.batchSize ?? 200;
  const http = got.extend({
    responseType: 'json',
    throwHttpErrors: false,
    retry: { limit: 0 },
    timeout: { request: 120_000 },
    headers: { authorization: `Bearer ${session.accessToken}` },
  });
  const base = `${session.instanceUrl.replace(/\/$/, '')}/services/data/v${session.apiVersion}/composite/sobjects`;
  const limit = pLimit(concurrency);
  const waves = dependencyWaves(options.config.entities);
  const result = {
    records: 0,
    succeeded: 0,
    failed: 0,
    requests: 0,
    failuresByCode: {} as Record<string, number>,
    errors: [] as string[],
  };

  const sendBatch = async (group: LimitGroup, records: Array<Record<string, unknown>>) => {
    // The headers the sync's writes carry (Sforce-Duplicate-Rule-Header per the entity's duplicateRules).
    const headers = writeHeaders(options.config.entity(group.entity).duplicateRules);
    const response = await http.patch(`${base}/${group.object}/${group.externalIdField}`, {
      headers,
      json: { allOrNone: false, records: records.map((r) => ({ attributes: { type: group.object }, ...r })) },
    });
    result.requests += 1;
    result.records += records.length;
    if (response.statusCode !== 200 || !Array.isArray(response.body)) {
      throw new LimitError(
        `upsert ${group.object} answered ${response.statusCode}: ${JSON.stringify(response.body).slice(0, 300)}`,
      );
    }
    for (const r of response.body as Array<{
      success: boolean;
      errors?: Array<{ statusCode: string; message: string }>;
    }>) {
      if (r.success) result.succeeded += 1;
      else {
        result.failed += 1;
        const code = r.errors?.[0]?.statusCode ?? 'UNKNOWN';
        result.failuresByCode[code] = (result.failuresByCode[code] ?? 0) + 1;
        if (result.errors.length < 10)
          result.errors.push(
            `${group.company} ${group.entity}: ${r.errors?.[0]?.statusCode} ${r.errors?.[0]?.message}`,
          );
      }
    }
  };

  const externalIdFieldOf = (name: string) => options.config.entity(name).externalIdField ?? 'Id';
  const batchesOf = (group: LimitGroup) => {
    const entity = options.config.entity(group.entity);
    const parented = group.records.map((item) => ({
      item,
      parents: parentLocks(entity, item, externalIdFieldOf),
    }));
    return packByParent(parented, batchSize).map((b) => b.items);
  };

  const started = performance.now();
  const companies = [...new Set(groups.map((g) => g.company))];
  await Promise.all(
    companies.map(async (company) => {
      for (const wave of waves) {
        const jobs: Array<Promise<void>> = [];
        for (const group of groups.filter((g) => g.company === company && wave.includes(g.entity))) {
          for (const batch of batchesOf(group)) jobs.push(limit(() => sendBatch(group, batch)));
        }
        await Promise.all(jobs);
      }
    }),
  );
  return { ...result, seconds: (performance.now() - started) / 1000, concurrency };
}
