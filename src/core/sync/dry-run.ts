import type { SyncApp } from '../app.js';
import type { EntityConfig } from '../config/load.js';
import { externalId } from '../mapping.js';
import type { SalesforceClient } from '../salesforce/client.js';
import { SnapshotStore } from '../snapshot/store.js';
import type { SyncStore } from '../store/sync-store.js';
import { N, S } from '../store/table.js';
import type { EntityEvent } from './events.js';
import type { OutRecord } from './transform.js';

/**
 * Dry runs: Plan, Extract and Transform run as usual (staging is per run), Upsert counts what it
 * would send instead of sending it (nothing written to Salesforce, no mapping touched), and the
 * Report step adds the first payloads per entity and, with `diff`, the field-level differences
 * against what Salesforce holds now.
 */

/** Payloads shown per entity in a dry run's summary. */
export const PREVIEW_RECORDS = 5;
/** Records per SOQL query when reading current values (`WHERE ext IN (...)`). */
export const DIFF_QUERY_SIZE = 200;
/** Differing records listed per entity (all are compared and counted). */
export const DIFF_LISTED = 20;

/**
 * Longest string kept in a preview or diff value: the summary goes into the run record (a
 * DynamoDB item, 400 KB) and the Report state's output (Step Functions, 256 KB).
 */
export const VALUE_CHARS = 200;

/** A value as kept in the summary: strings over VALUE_CHARS cut, saying how long they were. */
export function clipped(value: unknown): unknown {
  if (typeof value !== 'string' || value.length <= VALUE_CHARS) return value;
  return `${value.slice(0, VALUE_CHARS)}… (${value.length} characters)`;
}

function clippedPayload(payload: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(payload).map(([k, v]) => [k, clipped(v)]));
}

export interface DryRunOptions {
  dryRun: boolean;
  diff: boolean;
}

export interface PreviewRecord {
  key: string;
  operation: 'create' | 'update';
  payload: Record<string, unknown>;
}

export interface FieldChange {
  field: string;
  current: unknown;
  next: unknown;
}

export interface EntityDiff {
  /** Records that would be updated, whose current values were read. */
  compared: number;
  /** Of those, records with at least one differing field. */
  differing: number;
  /** Would-be updates Salesforce does not hold (deleted there, or never committed). */
  missing: number;
  records: Array<{ key: string; sfId?: string; changes: FieldChange[] }>;
  /** Set when the current values could not be read; the counts above are then partial. */
  error?: string;
}

export interface EntityPreview {
  preview: PreviewRecord[];
  diff?: EntityDiff;
}

/** The run's dry-run options, from the execution input Plan stored (a run without them is real). */
export async function dryRunOptions(store: SyncStore, runId: string): Promise<DryRunOptions> {
  const input = (await store.getRun(runId))?.input;
  const value = (input && typeof input === 'object' ? input : {}) as Record<string, unknown>;
  return { dryRun: value.dryRun === true, diff: value.dryRun === true && value.diff === true };
}

const operationOf = (r: OutRecord): PreviewRecord['operation'] => (r.sfId ? 'update' : 'create');

async function pagesToSend(store: SyncStore, task: EntityEvent): Promise<number[]> {
  return (await store.getPages(task.runId, task.company, task.entity))
    .filter((p) => p.toSend > 0)
    .map((p) => p.page)
    .sort((a, b) => a - b);
}

/**
 * Upsert in a dry run: each staged record counts as created (no Salesforce Id known) or updated
 * (a synced mapping with its Id); pages are closed with those counts. No Salesforce call, no
 * mapping, failure or progress written.
 */
export async function dryUpsert(app: SyncApp, task: EntityEvent) {
  const { store } = app;
  let created = 0;
  let updated = 0;
  for (const page of await pagesToSend(store, task)) {
    const records = await store.getStage<OutRecord>(task.runId, task.company, task.entity, 'OUT', page);
    await keepWouldSend(store, task, records);
    const updates = records.filter((r) => operationOf(r) === 'update').length;
    created += records.length - updates;
    updated += updates;
    await store.setPage(task.runId, task.company, task.entity, page, {
      created: records.length - updates,
      updated: updates,
      failed: 0,
      status: 'upserted',
    });
  }
  app.log
    .child({ runId: task.runId, company: task.company, entity: task.entity })
    .info('dry run: would upsert', { created, updated });
  const progress = created + updated;
  return { done: true, sent: 0, requests: 0, created, updated, failed: 0, progress, waitSeconds: 0 };
}

/** Reads an entity's staged records page by page, handing each page to `visit`. */
async function eachStaged(
  store: SyncStore,
  task: EntityEvent,
  visit: (records: OutRecord[]) => boolean | undefined,
): Promise<void> {
  for (const page of await pagesToSend(store, task)) {
    const records = await store.getStage<OutRecord>(task.runId, task.company, task.entity, 'OUT', page);
    if (visit(records) === false) return;
  }
}

/** The first staged payloads of an entity, and with `client` the differences of its would-be updates. */
export async function previewEntity(
  store: SyncStore,
  task: EntityEvent,
  entity: EntityConfig,
  client?: SalesforceClient,
): Promise<EntityPreview> {
  const preview: PreviewRecord[] = [];
  const updates: OutRecord[] = [];
  await eachStaged(store, task, (records) => {
    for (const r of records) {
      if (preview.length < PREVIEW_RECORDS)
        preview.push({ key: r.key, operation: operationOf(r), payload: clippedPayload(r.payload) });
      if (client && r.sfId) updates.push(r);
    }
    return client !== undefined || preview.length < PREVIEW_RECORDS;
  });
  if (!client) return { preview };
  return { preview, diff: await diffUpdates(client, task.company, entity, updates) };
}

/** A SOQL string literal: backslash and single quote escaped, as SOQL requires. */
export function soqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

/** Top-level scalar fields of the payloads (relationship objects are not compared). */
function scalarFields(records: OutRecord[]): string[] {
  const fields = new Set<string>();
  for (const r of records)
    for (const [k, v] of Object.entries(r.payload)) if (v === null || typeof v !== 'object') fields.add(k);
  return [...fields].sort();
}

/** The SOQL reading the current values of one chunk, by external ID (or by Id for the idMap strategy). */
export function diffQuery(
  company: string,
  entity: EntityConfig,
  chunk: OutRecord[],
  fields: string[],
): string {
  const byExt = entity.strategy === 'externalId' && entity.externalIdField !== undefined;
  const keyField = byExt ? (entity.externalIdField as string) : 'Id';
  const ids = chunk.map((r) => soqlString(byExt ? externalId(company, r.key) : (r.sfId as string)));
  const select = [...new Set(['Id', keyField, ...fields.filter((f) => f !== keyField)])];
  return `SELECT ${select.join(', ')} FROM ${entity.object} WHERE ${keyField} IN (${ids.join(', ')})`;
}

/** Whether Salesforce's value and the payload's mean the same (null and '' alike, numbers and instants by value). */
export function sameValue(current: unknown, next: unknown): boolean {
  const blank = (v: unknown) => v === null || v === undefined || v === '';
  if (blank(current) || blank(next)) return blank(current) && blank(next);
  if (typeof current === 'number' || typeof next === 'number') return Number(current) === Number(next);
  if (typeof current === 'string' && typeof next === 'string' && current !== next) {
    const instant = /^\d{4}-\d{2}-\d{2}T/;
    if (instant.test(current) && instant.test(next)) return Date.parse(current) === Date.parse(next);
  }
  return current === next;
}

export async function diffUpdates(
  client: SalesforceClient,
  company: string,
  entity: EntityConfig,
  updates: OutRecord[],
): Promise<EntityDiff> {
  const diff: EntityDiff = { compared: 0, differing: 0, missing: 0, records: [] };
  const byExt = entity.strategy === 'externalId' && entity.externalIdField !== undefined;
  const keyField = byExt ? (entity.externalIdField as string) : 'Id';
  const fields = scalarFields(updates);
  try {
    for (let i = 0; i < updates.length; i += DIFF_QUERY_SIZE) {
      const chunk = updates.slice(i, i + DIFF_QUERY_SIZE);
      const rows = await client.query<Record<string, unknown>>(diffQuery(company, entity, chunk, fields));
      const found = new Map(rows.map((row) => [String(row[keyField]).toLowerCase(), row]));
      for (const r of chunk) {
        const id = byExt ? externalId(company, r.key) : (r.sfId as string);
        const current = found.get(id.toLowerCase());
        if (!current) {
          diff.missing += 1;
          continue;
        }
        diff.compared += 1;
        const changes = fields
          .filter((f) => f in r.payload && !sameValue(current[f], r.payload[f]))
          .map((f) => ({
            field: f,
            current: clipped(current[f] ?? null),
            next: clipped(r.payload[f] ?? null),
          }));
        if (changes.length === 0) continue;
        diff.differing += 1;
        if (diff.records.length < DIFF_LISTED) diff.records.push({ key: r.key, sfId: r.sfId, changes });
      }
    }
  } catch (error) {
    diff.error = `could not read the current values: ${(error as Error).message}`.slice(0, 500);
  }
  return diff;
}

/** The part of a run summary a dry run fills in: per company and entity, its preview (and diff). */
interface PreviewTarget {
  companies: Record<string, { entities: Record<string, Partial<EntityPreview>> }>;
}

/**
 * Adds each entity's preview to a dry run's summary, and with `diff` the differences of its
 * would-be updates (a Salesforce client from the run's token cache; if none can be had, each
 * entity's diff says why).
 */
export async function addPreviews(
  app: SyncApp,
  runId: string,
  options: DryRunOptions,
  summary: PreviewTarget,
  connect: () => Promise<SalesforceClient>,
): Promise<void> {
  let client: SalesforceClient | undefined;
  let connectError: string | undefined;
  if (options.diff) {
    try {
      client = await connect();
    } catch (error) {
      connectError = `could not read the current values: ${(error as Error).message}`.slice(0, 500);
    }
  }
  for (const [company, c] of Object.entries(summary.companies)) {
    for (const [name, e] of Object.entries(c.entities)) {
      const entity = app.config.companyEntity(company, name);
      if (!entity) continue;
      const found = await previewEntity(
        app.store,
        { runId, company, entity: name, mode: 'delta' },
        entity,
        client,
      );
      e.preview = found.preview;
      if (found.diff) e.diff = found.diff;
      else if (connectError)
        e.diff = { compared: 0, differing: 0, missing: 0, records: [], error: connectError };
    }
  }
}

const wouldSendPk = (runId: string, company: string, entity: string) => `DRY#${runId}#${company}#${entity}`;

/**
 * In a dry run, the keys Upsert would send are kept for the run (as long as its staging), so
 * that Transform of a later wave can count a parent this run would create as present, as the
 * real run will (see parentMappings). Run-scoped: the sync state is not touched.
 */
async function keepWouldSend(store: SyncStore, task: EntityEvent, records: OutRecord[]): Promise<void> {
  const ttl = Math.floor(Date.now() / 1000) + store.ttlHours * 3600;
  const pk = wouldSendPk(task.runId, task.company, task.entity);
  await store.table.batchPut(
    records.map((r) => ({ pk: S(pk), sk: S(r.key), ttl: N(ttl), ...(r.sfId ? { sfId: S(r.sfId) } : {}) })),
  );
}

/** What Transform needs to know of a parent record: whether it is in Salesforce, and its Id. */
export interface ParentState {
  sfId?: string;
  status: string;
}

/**
 * The parents Transform checks children against, from the parent entity's snapshot. In a dry run
 * a parent that this run would send counts as synced (its Salesforce Id when one is known), so a
 * dry run announces the children the real run will send instead of rejecting them as
 * INVALID_CROSS_REFERENCE_KEY.
 */
export async function parentMappings(
  store: SyncStore,
  runId: string,
  company: string,
  entity: string,
  keys: string[],
  dryRun: boolean,
): Promise<Map<string, ParentState>> {
  const known = new Map<string, ParentState>();
  const found = await new SnapshotStore(store.table).lookupKeys(company, entity, keys);
  for (const [k, e] of found) {
    if (e.status === 'deleted') continue;
    known.set(k, { status: e.status, ...(e.sfId ? { sfId: e.sfId } : {}) });
  }
  if (!dryRun) return known;
  const pk = wouldSendPk(runId, company, entity);
  const unsynced = keys.filter((k) => known.get(k)?.status !== 'synced');
  for (const item of await store.table.batchGet(unsynced.map((sk) => ({ pk, sk })))) {
    const key = item.sk?.S ?? '';
    const sfId = item.sfId?.S ?? known.get(key)?.sfId;
    known.set(key, { status: 'synced', ...(sfId ? { sfId } : {}) });
  }
  return known;
}
