/**
 * The system sf-sync replaces, written faithfully for the benchmark only (../shared/SEED.txt,
 * "Execution Flow" and "Data Flow & Logic"): for each company and entity (one Lambda each, run
 * one after the other), connect to the company's SQL Server, run the view, map the rows,
 * authenticate with the OAuth password grant, then for each row, sequentially:
 *   1. read the row's mapping (source key -> Salesforce Id) from DynamoDB,
 *   2. PATCH the record by Id when known, POST it when not,
 *   3. write the mapping to DynamoDB.
 * Parents are referenced by Salesforce Id read from the same DynamoDB mappings (a GetItem per
 * parent), as the seed did; the field mapping is sf-sync's own (`mapRow`), so the same data goes
 * to the same objects. The mappings live in the baseline's own DynamoDB table, never sf-sync's.
 *
 * Against a new (strict) org: the payloads are `mapRow`'s, so they carry what the org accepts
 * (Account.Type through the config's lookup to a value of the restricted picklist, states as
 * `BillingStateCode`/`StateCode` with the country code, as the shipped config maps them). Auth
 * stays the seed's: the OAuth password grant, one per company and entity. The seed's org is an
 * old one that still allows that flow, so the bench starts the baseline's emulator with
 * `allowPasswordFlow: true` (the data rules stay strict); giving it the sync's JWT instead would
 * change nothing measured but one token request per invocation, and would no longer be the seed.
 * Writes carry the sync's `Sforce-Duplicate-Rule-Header` (the entity's `duplicateRules`, as
 * `writeHeaders` sends it): the seed sent none, but without it the two sides would not write the
 * same records and the comparison would not be like for like. Failed records are counted by
 * Salesforce status code (`failuresByCode`: DUPLICATES_DETECTED, FIELD_INTEGRITY_EXCEPTION,
 * UNABLE_TO_LOCK_ROW...).
 *
 * What the seed would have done but this leaves out: it had no validation, so rows that
 * `mapRow` rejects (a handful of deliberately dirty rows) would have been sent and refused by
 * Salesforce; here they are counted as rejected without a call, which only flatters the baseline.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import got, { type Got } from 'got';
import sql from 'mssql';
import { databaseSettings, type SyncConfig } from '../src/core/config/load.js';
import { externalId, mapRow } from '../src/core/mapping.js';
import { writeHeaders } from '../src/core/salesforce/client.js';
import { poolConfig } from '../src/core/source/connection.js';

export interface BaselineSalesforce {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  apiVersion: string;
}

export interface BaselineOptions {
  config: SyncConfig;
  salesforce: BaselineSalesforce;
  dynamodb: { endpoint?: string; region: string; tableName: string };
  /** Companies in the order they run (default: the config's). */
  companies?: string[];
  /** Called after every `every` rows and at the end of each entity. */
  onProgress?: (line: string) => void;
  progressEvery?: number;
}

export interface BaselineEntityResult {
  company: string;
  entity: string;
  rows: number;
  created: number;
  updated: number;
  rejected: number;
  failed: number;
  seconds: number;
}

export interface BaselineResult {
  records: number;
  created: number;
  updated: number;
  rejected: number;
  failed: number;
  seconds: number;
  salesforce: { calls: number; authCalls: number; dataCalls: number; byKind: Record<string, number> };
  dynamodbCalls: number;
  /** Failed records per Salesforce status code (the first error of each). */
  failuresByCode: Record<string, number>;
  entities: BaselineEntityResult[];
  /** The first few Salesforce errors, for the report. */
  errors: string[];
}

export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

/** Creates the baseline's own mapping table (pk, sk) if it is missing and waits until it is active. */
export async function ensureBaselineTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
      }),
    );
  } catch (error) {
    if ((error as { name?: string }).name !== 'ResourceInUseException') throw error;
  }
  for (let i = 0; i < 200; i += 1) {
    const out = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (out.Table?.TableStatus === 'ACTIVE') return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new BaselineError(`DynamoDB table ${tableName} did not become ACTIVE`);
}

/** The `errorCode` of a REST error answer (`[{errorCode, message}]`), UNKNOWN when it has none, UNPARSEABLE when it is not JSON. */
export function errorCode(body: unknown): string {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = JSON.parse(body);
    } catch {
      return 'UNPARSEABLE';
    }
  }
  const first = Array.isArray(parsed) ? (parsed[0] as { errorCode?: unknown } | undefined) : undefined;
  return typeof first?.errorCode === 'string' ? first.errorCode : 'UNKNOWN';
}

/** Runs the seed's flow over every configured company and entity; returns counts and calls. */
export async function runBaseline(options: BaselineOptions): Promise<BaselineResult> {
  const { config } = options;
  const sf = options.salesforce;
  const log = options.onProgress ?? (() => undefined);
  const every = options.progressEvery ?? 1000;
  const counts = { sfAuth: 0, sfData: 0, dynamo: 0 };
  const byKind: Record<string, number> = {};
  const kind = (k: string) => {
    byKind[k] = (byKind[k] ?? 0) + 1;
  };
  const errors: string[] = [];
  const failuresByCode: Record<string, number> = {};
  const http: Got = got.extend({ throwHttpErrors: false, retry: { limit: 0 }, timeout: { request: 60_000 } });
  const dynamo = new DynamoDBClient({
    endpoint: options.dynamodb.endpoint,
    region: options.dynamodb.region,
    maxAttempts: 3,
  });
  const table = options.dynamodb.tableName;
  const mappingPk = (company: string, entity: string) => `BASELINE#${company}#${entity}`;

  const getMapping = async (company: string, entity: string, key: string): Promise<string | undefined> => {
    counts.dynamo += 1;
    const out = await dynamo.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: mappingPk(company, entity) }, sk: { S: key } },
        ConsistentRead: true,
      }),
    );
    return out.Item?.sfId?.S;
  };
  const putMapping = async (company: string, entity: string, key: string, sfId: string) => {
    counts.dynamo += 1;
    await dynamo.send(
      new PutItemCommand({
        TableName: table,
        Item: {
          pk: { S: mappingPk(company, entity) },
          sk: { S: key },
          sfId: { S: sfId },
          at: { S: new Date().toISOString() },
        },
      }),
    );
  };

  const authenticate = async (): Promise<{ token: string; instanceUrl: string }> => {
    counts.sfAuth += 1;
    kind('oauth.token');
    const response = await http.post(`${sf.loginUrl.replace(/\/$/, '')}/services/oauth2/token`, {
      form: {
        grant_type: 'password',
        client_id: sf.clientId,
        client_secret: sf.clientSecret,
        username: sf.username,
        password: sf.password,
      },
      responseType: 'json',
    });
    const body = response.body as { access_token?: string; instance_url?: string };
    if (response.statusCode !== 200 || !body.access_token || !body.instance_url) {
      throw new BaselineError(
        `OAuth password grant answered ${response.statusCode}: ${JSON.stringify(response.body)}`,
      );
    }
    return { token: body.access_token, instanceUrl: body.instance_url };
  };

  const entities: BaselineEntityResult[] = [];
  let started = performance.now();
  try {
    // Setup, not part of the seed's daily run: the table exists in its account.
    await ensureBaselineTable(dynamo, table);
    started = performance.now();
    for (const company of options.companies ?? config.companies) {
      for (const base of config.entities) {
        const entity = config.companyEntity(company, base.name);
        if (!entity) continue;
        const t0 = performance.now();
        // database_service: connect and run the view (the whole result set, as the seed fetched it).
        const settings = databaseSettings(config, company);
        // The connection settings are the sync's own (TLS with the server's CA, time-outs): the seed's
        // code connected the same way, only with fewer options.
        const connection = poolConfig(settings);
        const pool = await new sql.ConnectionPool({
          ...connection,
          requestTimeout: Math.max(connection.requestTimeout ?? 0, 600_000),
        }).connect();
        let rows: Array<Record<string, unknown>>;
        try {
          const view = entity.source.query ?? `SELECT * FROM [${entity.source.view ?? ''}]`;
          rows = (await pool.request().query(view)).recordset as Array<Record<string, unknown>>;
        } finally {
          await pool.close();
        }
        // mapper_service, then salesforce_service: authenticate once per invocation.
        const mapped = rows.map((row) =>
          mapRow(row, entity, company, (name) => config.entity(name).externalIdField ?? 'Id'),
        );
        const session = await authenticate();
        const api = `${session.instanceUrl.replace(/\/$/, '')}/services/data/v${sf.apiVersion}/sobjects/${entity.object}`;
        const headers = {
          authorization: `Bearer ${session.token}`,
          ...writeHeaders(entity.duplicateRules),
        };
        const result: BaselineEntityResult = {
          company,
          entity: entity.name,
          rows: rows.length,
          created: 0,
          updated: 0,
          rejected: 0,
          failed: 0,
          seconds: 0,
        };
        let n = 0;
        for (const m of mapped) {
          n += 1;
          if (n % every === 0) log(`baseline ${company} ${entity.name}: ${n}/${mapped.length}`);
          if (!m.ok) {
            result.rejected += 1;
            continue;
          }
          // 1. the mapping of this row (is it already in Salesforce?)
          const sfId = await getMapping(company, entity.name, m.key);
          // parents by Salesforce Id, from their mappings
          const payload: Record<string, unknown> = { ...m.payload };
          let orphan = false;
          for (const p of m.parents) {
            const parentId = await getMapping(company, p.entity, p.key);
            delete payload[p.relationship];
            if (!parentId) {
              orphan = true;
              break;
            }
            payload[p.field] = parentId;
          }
          if (orphan) {
            result.rejected += 1;
            continue;
          }
          if (entity.externalIdField) payload[entity.externalIdField] = externalId(company, m.key);
          // 2. PATCH (known) or POST (new) this one record
          counts.sfData += 1;
          kind(sfId ? 'sobject.update' : 'sobject.create');
          const response = sfId
            ? await http.patch(`${api}/${sfId}`, { json: payload, headers })
            : await http.post(api, { json: payload, headers, responseType: 'json' });
          const ok =
            response.statusCode === 201 || response.statusCode === 204 || response.statusCode === 200;
          if (!ok) {
            result.failed += 1;
            const code = errorCode(response.body);
            failuresByCode[code] = (failuresByCode[code] ?? 0) + 1;
            if (errors.length < 10) {
              errors.push(
                `${company} ${entity.name} ${m.key}: ${response.statusCode} ${code} ${(typeof response.body === 'string' ? response.body : JSON.stringify(response.body)).slice(0, 300)}`,
              );
            }
            continue;
          }
          const id = sfId ?? (response.body as { id?: string }).id;
          if (!id) throw new BaselineError(`POST ${entity.object} answered without an id`);
          // 3. track the association in DynamoDB
          await putMapping(company, entity.name, m.key, id);
          if (sfId) result.updated += 1;
          else result.created += 1;
        }
        result.seconds = (performance.now() - t0) / 1000;
        entities.push(result);
        log(
          `baseline ${company} ${entity.name}: ${result.rows} rows, ${result.created} created, ${result.updated} updated, ${result.rejected} rejected, ${result.failed} failed in ${result.seconds.toFixed(1)} s`,
        );
      }
    }
  } finally {
    dynamo.destroy();
  }
  const sum = (k: 'rows' | 'created' | 'updated' | 'rejected' | 'failed') =>
    entities.reduce((a, e) => a + e[k], 0);
  return {
    records: sum('rows'),
    created: sum('created'),
    updated: sum('updated'),
    rejected: sum('rejected'),
    failed: sum('failed'),
    seconds: (performance.now() - started) / 1000,
    salesforce: {
      calls: counts.sfAuth + counts.sfData,
      authCalls: counts.sfAuth,
      dataCalls: counts.sfData,
      byKind,
    },
    dynamodbCalls: counts.dynamo,
    failuresByCode,
    entities,
    errors,
  };
}
