/**
 * What the check reads from the org: API versions, describes and duplicate rules, on a token got
 * the way the sync gets it (the configured OAuth flow, SF_AUTH_FLOW honoured), refreshed once on 401.
 */
import got, { type Response } from 'got';
import type { ZodType } from 'zod';
import type { SyncConfig } from '../config/load.js';
import { SalesforceRequestError } from '../errors.js';
import { requestToken, responseError, type SalesforceAuthSettings } from '../salesforce/client.js';
import type { Token } from '../store/sync-store.js';
import { settingsWithOverride } from '../sync/auth.js';
import {
  type DuplicateRule,
  type DuplicateRulePage,
  duplicateRulePageSchema,
  type ObjectDescribe,
  objectDescribeSchema,
  versionsSchema,
} from './describe.js';

export type Described =
  | { ok: true; describe: ObjectDescribe }
  | { ok: false; status: number; message: string };

export class OrgReader {
  private token: Token | undefined;

  constructor(
    private readonly settings: SalesforceAuthSettings,
    private readonly apiVersion: string,
    private readonly timeoutMs: number,
  ) {}

  static fromConfig(config: SyncConfig): OrgReader {
    const sf = config.raw.salesforce;
    return new OrgReader(settingsWithOverride(config), sf.apiVersion, sf.requestTimeoutMs);
  }

  private async get(path: string): Promise<Response<unknown>> {
    for (let attempt = 0; ; attempt++) {
      this.token ??= await requestToken(this.settings);
      const url = `${this.token.instanceUrl.replace(/\/$/, '')}${path}`;
      const response = await got(url, {
        headers: { authorization: `Bearer ${this.token.accessToken}` },
        responseType: 'json',
        throwHttpErrors: false,
        retry: { limit: 0 },
        timeout: { request: this.timeoutMs },
      }).catch((error: unknown) => {
        throw new SalesforceRequestError(`Salesforce GET ${path}: ${(error as Error).message}`, {
          cause: error,
        });
      });
      if (response.statusCode !== 401 || attempt > 0) return response;
      this.token = undefined;
    }
  }

  private async getParsed<T>(path: string, schema: ZodType<T>, what: string): Promise<T> {
    const response = await this.get(path);
    if (response.statusCode >= 400) throw responseError(response, what);
    const parsed = schema.safeParse(response.body);
    if (!parsed.success) {
      throw new SalesforceRequestError(
        `Salesforce ${what}: unexpected answer: ${parsed.error.message.slice(0, 300)}`,
      );
    }
    return parsed.data;
  }

  /** The API versions the org serves (`GET /services/data/`). */
  async versions(): Promise<string[]> {
    const list = await this.getParsed('/services/data/', versionsSchema, 'API versions');
    return list.map((v) => v.version);
  }

  /** An object's describe; a 404 (unknown object) is an answer, not a failure. */
  async describe(object: string): Promise<Described> {
    const path = `/services/data/v${this.apiVersion}/sobjects/${encodeURIComponent(object)}/describe`;
    const response = await this.get(path);
    if (response.statusCode === 404 || response.statusCode === 400) {
      return {
        ok: false,
        status: response.statusCode,
        message: responseError(response, `describe ${object}`).message,
      };
    }
    if (response.statusCode >= 400) throw responseError(response, `describe ${object}`);
    const parsed = objectDescribeSchema.safeParse(response.body);
    if (!parsed.success) {
      throw new SalesforceRequestError(
        `Salesforce describe ${object}: unexpected answer: ${parsed.error.message.slice(0, 300)}`,
      );
    }
    return { ok: true, describe: parsed.data };
  }

  /** The org's duplicate rules (`SELECT DeveloperName, IsActive, SobjectType FROM DuplicateRule`), every page. */
  async duplicateRules(): Promise<DuplicateRule[]> {
    const soql = 'SELECT DeveloperName, IsActive, SobjectType FROM DuplicateRule';
    const rules: DuplicateRule[] = [];
    let next: string | undefined = `/services/data/v${this.apiVersion}/query?q=${encodeURIComponent(soql)}`;
    while (next) {
      const page: DuplicateRulePage = await this.getParsed(
        next,
        duplicateRulePageSchema,
        'query DuplicateRule',
      );
      rules.push(...page.records);
      next = page.done ? undefined : page.nextRecordsUrl;
    }
    return rules;
  }
}
