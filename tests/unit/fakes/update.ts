import type { AttributeValue, UpdateItemCommandInput } from '@aws-sdk/client-dynamodb';
import { StoreStateError } from '../../../src/core/errors.js';
import type { Item } from '../../../src/core/store/table.js';

/**
 * UpdateItem's expressions, as far as the store writes them: `SET a = :v`, `SET #a = if_not_exists(#a, :v)`,
 * `ADD n :v` (numbers; an absent attribute counts as 0), `REMOVE a, #b`; conditions joined by one of
 * AND / OR of `attribute_exists(a)`, `attribute_not_exists(a)` and comparisons `= <> < <= > >=`
 * with a value. Anything else throws, so the fake never accepts what it does not model.
 *
 * Strict as DynamoDB: a name or value defined but unused, or used but undefined, is a
 * ValidationException; so is a path updated twice, or a key attribute updated. A condition that
 * does not hold changes nothing and fails as ConditionalCheckFailedException.
 * (DynamoDB Developer Guide, "Update expressions" and "Condition expressions".)
 */
type Input = Omit<UpdateItemCommandInput, 'TableName' | 'Key'>;

/** What Table throws for DynamoDB's error `name` (it translates every 4xx into StoreStateError). */
function dynamoError(name: string, message: string): Error {
  return new StoreStateError(`DynamoDB UpdateItem failed: ${name}: ${message}`, { cause: { name } });
}

const invalid = (message: string) => dynamoError('ValidationException', message);

class Expressions {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(private readonly input: Input) {}

  path(token: string): string {
    const t = token.trim();
    if (t.startsWith('#')) {
      const name = this.input.ExpressionAttributeNames?.[t];
      if (name === undefined)
        throw invalid(
          `An expression attribute name used in the document path is not defined; attribute name: ${t}`,
        );
      this.usedNames.add(t);
      return name;
    }
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(t)) throw new Error(`FakeTable does not model the path "${t}"`);
    return t;
  }

  value(token: string): AttributeValue {
    const t = token.trim();
    const v = this.input.ExpressionAttributeValues?.[t];
    if (!t.startsWith(':') || v === undefined)
      throw invalid(`An expression attribute value used in expression is not defined; attribute value: ${t}`);
    this.usedValues.add(t);
    return v;
  }

  /** Every name and value given must have been used. */
  checkAllUsed(): void {
    const names = Object.keys(this.input.ExpressionAttributeNames ?? {}).filter(
      (n) => !this.usedNames.has(n),
    );
    if (names.length > 0)
      throw invalid(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${names.join(', ')}}`,
      );
    const values = Object.keys(this.input.ExpressionAttributeValues ?? {}).filter(
      (v) => !this.usedValues.has(v),
    );
    if (values.length > 0)
      throw invalid(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${values.join(', ')}}`,
      );
  }
}

function compare(a: AttributeValue | undefined, op: string, b: AttributeValue): boolean {
  if (a === undefined) return op === '<>';
  const [x, y] = a.N !== undefined && b.N !== undefined ? [Number(a.N), Number(b.N)] : [a.S, b.S];
  if (x === undefined || y === undefined) return op === '<>';
  const results: Record<string, boolean> = {
    '=': x === y,
    '<>': x !== y,
    '<': x < y,
    '<=': x <= y,
    '>': x > y,
    '>=': x >= y,
  };
  const result = results[op];
  if (result === undefined) throw new Error(`FakeTable does not model the comparator "${op}"`);
  return result;
}

function term(text: string, item: Item | undefined, ex: Expressions): boolean {
  const fn = /^(attribute_exists|attribute_not_exists)\(\s*([^)]+)\)$/.exec(text.trim());
  if (fn) {
    const exists = item?.[ex.path(fn[2] as string)] !== undefined;
    return fn[1] === 'attribute_exists' ? exists : !exists;
  }
  const cmp = /^(\S+)\s*(<>|<=|>=|=|<|>)\s*(\S+)$/.exec(text.trim());
  if (!cmp) throw new Error(`FakeTable does not model the condition "${text}"`);
  return compare(item?.[ex.path(cmp[1] as string)], cmp[2] as string, ex.value(cmp[3] as string));
}

function holds(condition: string, item: Item | undefined, ex: Expressions): boolean {
  if (/[()]/.test(condition.replace(/attribute_(not_)?exists\([^)]*\)/g, '')))
    throw new Error(`FakeTable does not model parentheses in "${condition}"`);
  const ors = condition.split(/\s+OR\s+/i);
  if (ors.length > 1 && /\s+AND\s+/i.test(condition))
    throw new Error(`FakeTable does not model AND mixed with OR in "${condition}"`);
  if (ors.length > 1) return ors.map((t) => term(t, item, ex)).some(Boolean);
  return condition
    .split(/\s+AND\s+/i)
    .map((t) => term(t, item, ex))
    .every(Boolean);
}

/** The clauses of an update expression, by keyword. */
function clauses(expression: string): Array<{ kind: string; actions: string[] }> {
  const parts = expression.split(/\b(SET|REMOVE|ADD|DELETE)\b/i).map((p) => p.trim());
  if (parts[0] !== '') throw invalid(`Invalid UpdateExpression: Syntax error; token: "${parts[0]}"`);
  const out: Array<{ kind: string; actions: string[] }> = [];
  for (let i = 1; i < parts.length; i += 2) {
    const kind = (parts[i] as string).toUpperCase();
    if (out.some((c) => c.kind === kind))
      throw invalid(
        `Invalid UpdateExpression: The "${kind}" section can only be used once in an update expression`,
      );
    out.push({ kind, actions: splitActions(parts[i + 1] ?? '') });
  }
  return out;
}

/** Actions separated by commas outside parentheses. */
function splitActions(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth += 1;
    if (ch === ')') depth -= 1;
    if (ch === ',' && depth === 0) {
      out.push(current.trim());
      current = '';
    } else current += ch;
  }
  if (current.trim() !== '') out.push(current.trim());
  return out;
}

function setValue(operand: string, item: Item, ex: Expressions): AttributeValue {
  const ifNot = /^if_not_exists\(\s*([^,]+),\s*([^)]+)\)$/.exec(operand);
  if (ifNot) {
    const existing = item[ex.path(ifNot[1] as string)];
    const fallback = ex.value(ifNot[2] as string);
    return existing ?? fallback;
  }
  if (operand.startsWith(':')) return ex.value(operand);
  throw new Error(`FakeTable does not model the SET operand "${operand}"`);
}

/** One action applied to `next`; returns the path it touched. */
function act(kind: string, action: string, next: Item, ex: Expressions): string {
  if (kind === 'SET') {
    const m = /^([^=\s]+)\s*=\s*(.+)$/.exec(action);
    if (!m) throw invalid(`Invalid UpdateExpression: Syntax error near "${action}"`);
    const path = ex.path(m[1] as string);
    next[path] = setValue((m[2] as string).trim(), next, ex);
    return path;
  }
  if (kind === 'REMOVE') {
    const path = ex.path(action);
    delete next[path];
    return path;
  }
  if (kind === 'ADD') {
    const [p, v, ...rest] = action.split(/\s+/);
    if (!p || !v || rest.length > 0) throw invalid(`Invalid UpdateExpression: Syntax error near "${action}"`);
    const path = ex.path(p);
    const add = ex.value(v);
    const current = next[path];
    if (add.N === undefined || (current !== undefined && current.N === undefined))
      throw invalid('An operand in the update expression has an incorrect data type');
    next[path] = { N: String(Number(current?.N ?? 0) + Number(add.N)) };
    return path;
  }
  throw new Error(`FakeTable does not model the ${kind} clause`);
}

/** The item after UpdateItem: `current` (or a new item with `key`) with the update applied. */
export function applyUpdate(current: Item | undefined, key: Item, input: Input): Item {
  const ex = new Expressions(input);
  // The whole request is validated before the condition decides whether it applies.
  const ok = input.ConditionExpression === undefined || holds(input.ConditionExpression, current, ex);
  const next: Item = structuredClone(current ?? key);
  const touched: string[] = [];
  for (const { kind, actions } of clauses(input.UpdateExpression ?? ''))
    for (const action of actions) touched.push(act(kind, action, next, ex));
  ex.checkAllUsed();
  const twice = touched.find((p, i) => touched.indexOf(p) !== i);
  if (twice !== undefined)
    throw invalid(
      `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${twice}], path two: [${twice}]`,
    );
  const keyPath = touched.find((p) => p === 'pk' || p === 'sk');
  if (keyPath !== undefined)
    throw invalid(`Cannot update attribute ${keyPath}. This attribute is part of the key`);
  if (!ok) throw dynamoError('ConditionalCheckFailedException', 'The conditional request failed');
  return next;
}
