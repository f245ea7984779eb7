/**
 * Runs parsed SOQL against the store and pages results through query locators, as
 * `/query?q=` and `/query/{locator}` do: at most `batchSize` records per response (2000 by
 * default, 200..2000 through `Sforce-Query-Options: batchSize=N`), `nextRecordsUrl` while more
 * remain. A locator holds a snapshot of the matching records and expires after 15 idle minutes.
 */
import { ApiError } from './errors.js';
import { normalizeId, randomId } from './ids.js';
import { type FieldDef, NUMBER_TYPES, type ObjectDef, type OrgSchema, TEXT_TYPES } from './schema.js';
import { setupObjectNamed } from './setup-objects.js';
import {
  type Condition,
  type FieldRef,
  type Literal,
  parseSoql,
  queryError,
  type SoqlQuery,
} from './soql.js';
import type { SObjectRecord, Store } from './store.js';
import { parseDate, parseDatetime, type StoredValue } from './values.js';

/** A resolved field path: the reference fields walked, then the field read. */
interface ResolvedPath {
  /** Canonical names, e.g. ['Account', 'Name'] for Account.Name on RetailStore. */
  names: string[];
  hops: FieldDef[];
  field: FieldDef;
  /** The object of each hop's target, for nested attributes. */
  objects: ObjectDef[];
}

type Predicate = (record: SObjectRecord) => boolean;

interface Locator {
  rows: SObjectRecord[];
  project: (record: SObjectRecord) => Record<string, unknown>;
  batchSize: number;
  touched: number;
}

export interface QueryPage {
  totalSize: number;
  done: boolean;
  nextRecordsUrl?: string;
  records: Array<Record<string, unknown>>;
}

const LOCATOR_IDLE_MS = 15 * 60 * 1000;
const MAX_LOCATORS = 200;
const CUSTOM_FIELD_HINT =
  "If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.";
const CUSTOM_RELATIONSHIP_HINT =
  "If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.";

const isText = (f: FieldDef) => TEXT_TYPES.has(f.type) || f.type === 'id' || f.type === 'reference';

export class QueryEngine {
  private readonly locators = new Map<string, Locator>();

  constructor(
    private readonly schema: OrgSchema,
    private readonly store: Store,
  ) {}

  private resolve(soql: string, object: ObjectDef, ref: FieldRef): ResolvedPath {
    const hops: FieldDef[] = [];
    const objects: ObjectDef[] = [];
    const names: string[] = [];
    let current = object;
    ref.path.forEach((segment, i) => {
      if (i < ref.path.length - 1) {
        const hop = current.relationshipsByLower.get(segment.toLowerCase());
        if (!hop) {
          throw queryError(
            soql,
            'INVALID_FIELD',
            ref,
            `Didn't understand relationship '${segment}' in field path. ${CUSTOM_RELATIONSHIP_HINT}`,
          );
        }
        hops.push(hop);
        names.push(hop.relationshipName as string);
        current = this.schema.byLower.get((hop.referenceTo as string).toLowerCase()) as ObjectDef;
        objects.push(current);
      }
    });
    const last = ref.path[ref.path.length - 1] as string;
    const field = current.fieldsByLower.get(last.toLowerCase());
    if (!field) {
      throw queryError(
        soql,
        'INVALID_FIELD',
        ref,
        `No such column '${last}' on entity '${current.name}'. ${CUSTOM_FIELD_HINT}`,
      );
    }
    names.push(field.name);
    return { names, hops, field, objects };
  }

  private read(path: ResolvedPath, record: SObjectRecord): StoredValue {
    let current: SObjectRecord | undefined = record;
    for (const hop of path.hops) {
      const id: StoredValue = current[hop.name] ?? null;
      current = typeof id === 'string' ? this.store.getAny(id)?.record : undefined;
      if (!current) return null;
    }
    return current[path.field.name] ?? null;
  }

  /** The typed value of a literal for a field, or a Salesforce filter error. */
  private literalFor(soql: string, path: ResolvedPath, literal: Literal, at: FieldRef): StoredValue {
    if (literal.kind === 'null') return null;
    const f = path.field;
    const wrong = (type: string, quoted: boolean) =>
      queryError(
        soql,
        'INVALID_QUERY_FILTER_OPERATOR',
        at,
        `value of filter criterion for field '${f.name}' must be of type ${type} and should ${quoted ? '' : 'not '}be enclosed in quotes`,
      );
    if (isText(f)) {
      if (literal.kind !== 'string') throw wrong('string', true);
      if (f.type === 'id' || f.type === 'reference') return normalizeId(literal.value) ?? literal.value;
      return literal.value;
    }
    if (f.type === 'boolean') {
      if (literal.kind !== 'boolean') throw wrong('boolean', false);
      return literal.value;
    }
    if (NUMBER_TYPES.has(f.type)) {
      if (literal.kind !== 'number') throw wrong('double', false);
      return literal.value;
    }
    if (f.type === 'date') {
      const date = literal.kind === 'date' ? parseDate(literal.value) : undefined;
      if (!date) throw wrong('date', false);
      return date;
    }
    const datetime = literal.kind === 'datetime' ? parseDatetime(literal.value) : undefined;
    if (!datetime) throw wrong('dateTime', false);
    return datetime;
  }

  private compile(soql: string, object: ObjectDef, condition: Condition): Predicate {
    switch (condition.kind) {
      case 'and': {
        const items = condition.items.map((c) => this.compile(soql, object, c));
        return (r) => items.every((p) => p(r));
      }
      case 'or': {
        const items = condition.items.map((c) => this.compile(soql, object, c));
        return (r) => items.some((p) => p(r));
      }
      case 'not': {
        const item = this.compile(soql, object, condition.item);
        return (r) => !item(r);
      }
      case 'in': {
        const path = this.resolve(soql, object, condition.field);
        const keys = new Set(
          condition.values.map((v) =>
            comparable(path.field, this.literalFor(soql, path, v, condition.field)),
          ),
        );
        return (r) => keys.has(comparable(path.field, this.read(path, r))) !== condition.negated;
      }
      case 'cmp': {
        const path = this.resolve(soql, object, condition.field);
        const value = this.literalFor(soql, path, condition.value, condition.field);
        if (condition.op === 'like') {
          if (!isText(path.field) || typeof value !== 'string') {
            throw queryError(
              soql,
              'INVALID_QUERY_FILTER_OPERATOR',
              condition.field,
              `invalid operator on ${path.field.type} field: LIKE`,
            );
          }
          const regex = likeRegex(value);
          return (r) => {
            const v = this.read(path, r);
            return typeof v === 'string' && regex.test(v);
          };
        }
        const target = comparable(path.field, value);
        const op = condition.op;
        if ((op === '=' || op === '!=') && value === null) {
          return (r) => (this.read(path, r) === null) === (op === '=');
        }
        return (r) => {
          const v = comparable(path.field, this.read(path, r));
          if (op === '=') return v === target;
          if (op === '!=') return v !== target;
          if (v === null || target === null) return false;
          const c = compareValues(v, target);
          return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
        };
      }
    }
  }

  /** Records to scan: an index lookup when the WHERE pins Id or a unique field, else all. */
  private candidates(soql: string, object: ObjectDef, where: Condition | undefined): Iterable<SObjectRecord> {
    const setup = setupObjectNamed(object.name);
    if (setup && !this.schema.byLower.has(object.name.toLowerCase())) return setup.rows(this.schema);
    const conjuncts = where === undefined ? [] : where.kind === 'and' ? where.items : [where];
    for (const c of conjuncts) {
      if ((c.kind !== 'cmp' || c.op !== '=') && (c.kind !== 'in' || c.negated)) continue;
      if (c.field.path.length !== 1) continue;
      const path = this.resolve(soql, object, c.field);
      if (path.field.name !== 'Id' && !path.field.unique) continue;
      const literals = c.kind === 'in' ? c.values : [c.value];
      const out: SObjectRecord[] = [];
      for (const literal of literals) {
        const value = this.literalFor(soql, path, literal, c.field);
        const found =
          path.field.name === 'Id'
            ? typeof value === 'string'
              ? this.store.get(object.name, value)
              : undefined
            : this.store.findUnique(object.name, path.field, value);
        if (found && !out.includes(found)) out.push(found);
      }
      return out;
    }
    return this.store.all(object.name);
  }

  private projector(
    soql: string,
    object: ObjectDef,
    query: SoqlQuery,
    apiVersion: string,
  ): (record: SObjectRecord) => Record<string, unknown> {
    const paths = query.fields.map((f) => this.resolve(soql, object, f));
    const seen = new Set<string>();
    for (const [i, p] of paths.entries()) {
      const key = p.names.join('.').toLowerCase();
      if (seen.has(key)) {
        throw queryError(
          soql,
          'MALFORMED_QUERY',
          query.fields[i] as FieldRef,
          `duplicate field selected: ${p.names.join('.')}`,
        );
      }
      seen.add(key);
    }
    const url = (type: string, id: unknown) => `/services/data/v${apiVersion}/sobjects/${type}/${String(id)}`;
    return (record) => {
      const out: Record<string, unknown> = {
        attributes: { type: object.name, url: url(object.name, record.Id) },
      };
      for (const path of paths) {
        let target: Record<string, unknown> = out;
        let current: SObjectRecord | undefined = record;
        let broken = false;
        path.hops.forEach((hop, i) => {
          if (broken) return;
          const name = hop.relationshipName as string;
          const id = current?.[hop.name];
          const parent = typeof id === 'string' ? this.store.getAny(id)?.record : undefined;
          const parentObject = path.objects[i] as ObjectDef;
          if (!parent) {
            if (!(name in target)) target[name] = null;
            broken = true;
            return;
          }
          let nested = target[name] as Record<string, unknown> | null | undefined;
          if (!nested) {
            nested = { attributes: { type: parentObject.name, url: url(parentObject.name, parent.Id) } };
            target[name] = nested;
          }
          target = nested;
          current = parent;
        });
        if (!broken) target[path.field.name] = current?.[path.field.name] ?? null;
      }
      return out;
    };
  }

  /** Runs a query and returns the first page. */
  run(soql: string, apiVersion: string, batchSize = 2000): QueryPage {
    const query = parseSoql(soql);
    const object =
      this.schema.byLower.get(query.object.toLowerCase()) ?? setupObjectNamed(query.object)?.def(apiVersion);
    if (!object) {
      throw queryError(
        soql,
        'INVALID_TYPE',
        query.objectAt,
        `sObject type '${query.object}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
      );
    }
    const predicate = query.where ? this.compile(soql, object, query.where) : () => true;
    const project = query.count ? () => ({}) : this.projector(soql, object, query, apiVersion);
    const orderPaths = query.orderBy.map((o) => ({ ...o, path: this.resolve(soql, object, o.field) }));
    let rows: SObjectRecord[] = [];
    for (const record of this.candidates(soql, object, query.where)) if (predicate(record)) rows.push(record);
    if (orderPaths.length > 0) {
      const keyed = rows.map((r) => ({
        r,
        keys: orderPaths.map((o) => comparable(o.path.field, this.read(o.path, r))),
      }));
      keyed.sort((a, b) => {
        for (const [i, o] of orderPaths.entries()) {
          const x = a.keys[i] ?? null;
          const y = b.keys[i] ?? null;
          if (x === y) continue;
          if (x === null) return o.nullsLast ? 1 : -1;
          if (y === null) return o.nullsLast ? -1 : 1;
          const c = compareValues(x, y);
          if (c !== 0) return o.descending ? -c : c;
        }
        return 0;
      });
      rows = keyed.map((k) => k.r);
    }
    if (query.offset) rows = rows.slice(query.offset);
    if (query.limit !== undefined) rows = rows.slice(0, query.limit);
    if (query.count) return { totalSize: rows.length, done: true, records: [] };
    return this.page({ rows, project, batchSize, touched: Date.now() }, undefined, 0, apiVersion);
  }

  private page(locator: Locator, id: string | undefined, from: number, apiVersion: string): QueryPage {
    const end = Math.min(from + locator.batchSize, locator.rows.length);
    const records = locator.rows.slice(from, end).map(locator.project);
    if (end >= locator.rows.length) {
      if (id) this.locators.delete(id);
      return { totalSize: locator.rows.length, done: true, records };
    }
    const locatorId = id ?? this.keep(locator);
    locator.touched = Date.now();
    return {
      totalSize: locator.rows.length,
      done: false,
      nextRecordsUrl: `/services/data/v${apiVersion}/query/${locatorId}-${end}`,
      records,
    };
  }

  private keep(locator: Locator): string {
    const now = Date.now();
    for (const [key, l] of this.locators) if (now - l.touched > LOCATOR_IDLE_MS) this.locators.delete(key);
    while (this.locators.size >= MAX_LOCATORS) {
      const oldest = this.locators.keys().next().value as string;
      this.locators.delete(oldest);
    }
    const id = randomId('01g');
    this.locators.set(id, locator);
    return id;
  }

  /** The page after `{locatorId}-{position}`. */
  more(locatorText: string, apiVersion: string): QueryPage {
    const m = /^(01g[0-9A-Za-z]{15})-(\d+)$/.exec(locatorText);
    const locator = m ? this.locators.get(m[1] as string) : undefined;
    if (!m || !locator || Date.now() - locator.touched > LOCATOR_IDLE_MS) {
      throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    }
    const from = Number(m[2]);
    if (from > locator.rows.length) throw new ApiError(400, 'INVALID_QUERY_LOCATOR', 'invalid query locator');
    return this.page(locator, m[1], from, apiVersion);
  }
}

/** Values as SOQL compares them: text case-insensitively, everything else as is. */
function comparable(field: FieldDef, value: StoredValue): StoredValue {
  if (typeof value === 'string' && isText(field) && field.type !== 'id' && field.type !== 'reference') {
    return value.toLowerCase();
  }
  return value;
}

function compareValues(a: Exclude<StoredValue, null>, b: Exclude<StoredValue, null>): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  const x = String(a);
  const y = String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function likeRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '\\' && (pattern.charAt(i + 1) === '%' || pattern.charAt(i + 1) === '_')) {
      source += `\\${pattern.charAt(i + 1)}`;
      i += 1;
    } else if (c === '%') source += '[\\s\\S]*';
    else if (c === '_') source += '[\\s\\S]';
    else source += c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'i');
}
