/**
 * Just enough of CloudFormation's evaluation to read a packaged template the way a deployment
 * would: Conditions (Fn::Equals, Fn::Not, Fn::And, Fn::Or, Condition) over literal strings, and
 * Fn::If (with AWS::NoValue removing the property or list item) and Fn::Split on literals.
 * Ref, Fn::GetAtt, Fn::Sub and the rest are left as they are.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Resource {
  Type: string;
  Properties?: JsonObject;
  Condition?: string;
  DependsOn?: string | string[];
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}

export interface Template {
  Resources: Record<string, Resource>;
  Conditions?: Record<string, Json>;
  Outputs?: Record<string, Json>;
}

const NO_VALUE = Symbol('AWS::NoValue');

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function single(value: JsonObject): [string, Json] | undefined {
  const keys = Object.keys(value);
  const key = keys[0];
  return keys.length === 1 && key !== undefined ? [key, value[key] as Json] : undefined;
}

/** Every condition of the template, evaluated. */
export function evaluateConditions(template: Template): Map<string, boolean> {
  const defined = template.Conditions ?? {};
  const done = new Map<string, boolean>();
  const evaluate = (node: Json, trail: string[]): boolean | string => {
    if (typeof node === 'string') return node;
    if (!isObject(node)) throw new Error(`Unsupported condition operand ${JSON.stringify(node)}`);
    const fn = single(node);
    if (!fn) throw new Error(`Unsupported condition ${JSON.stringify(node)}`);
    const [name, args] = fn;
    if (name === 'Condition' && typeof args === 'string') return byName(args, trail);
    if (!Array.isArray(args)) throw new Error(`${name} needs a list, got ${JSON.stringify(args)}`);
    const values = args.map((a) => evaluate(a, trail));
    switch (name) {
      case 'Fn::Equals':
        return values[0] === values[1];
      case 'Fn::Not':
        return values[0] !== true;
      case 'Fn::And':
        return values.every((v) => v === true);
      case 'Fn::Or':
        return values.some((v) => v === true);
      default:
        throw new Error(`Unsupported condition function ${name}`);
    }
  };
  const byName = (name: string, trail: string[]): boolean => {
    const known = done.get(name);
    if (known !== undefined) return known;
    if (trail.includes(name)) throw new Error(`Condition cycle ${[...trail, name].join(' -> ')}`);
    const node = defined[name];
    if (node === undefined) throw new Error(`Unknown condition ${name}`);
    const value = evaluate(node, [...trail, name]) === true;
    done.set(name, value);
    return value;
  };
  for (const name of Object.keys(defined)) byName(name, []);
  return done;
}

/** A value with Fn::If and Fn::Split applied; undefined where it is AWS::NoValue. */
export function resolve(value: Json, conditions: Map<string, boolean>): Json | undefined {
  const out = resolveInner(value, conditions);
  return out === NO_VALUE ? undefined : out;
}

function resolveInner(value: Json, conditions: Map<string, boolean>): Json | typeof NO_VALUE {
  if (Array.isArray(value)) {
    const items: Json[] = [];
    for (const item of value) {
      const r = resolveInner(item, conditions);
      if (r !== NO_VALUE) items.push(r);
    }
    return items;
  }
  if (!isObject(value)) return value;
  const fn = single(value);
  if (fn?.[0] === 'Ref' && fn[1] === 'AWS::NoValue') return NO_VALUE;
  if (fn?.[0] === 'Fn::If') {
    const args = fn[1];
    if (!Array.isArray(args) || args.length !== 3 || typeof args[0] !== 'string') {
      throw new Error(`Fn::If needs [condition, then, else], got ${JSON.stringify(args)}`);
    }
    const holds = conditions.get(args[0]);
    if (holds === undefined) throw new Error(`Fn::If names an unknown condition ${args[0]}`);
    return resolveInner((holds ? args[1] : args[2]) as Json, conditions);
  }
  if (fn?.[0] === 'Fn::Split') {
    const args = fn[1];
    if (Array.isArray(args) && typeof args[0] === 'string' && typeof args[1] === 'string') {
      return args[1].split(args[0]);
    }
  }
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(value)) {
    const r = resolveInner(v, conditions);
    if (r !== NO_VALUE) out[k] = r;
  }
  return out;
}

/** The resources a deployment with these condition values would create, with values resolved. */
export function deployedResources(template: Template): Record<string, Resource> {
  const conditions = evaluateConditions(template);
  const out: Record<string, Resource> = {};
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Condition !== undefined && conditions.get(resource.Condition) !== true) continue;
    const properties = resource.Properties ? resolve(resource.Properties, conditions) : undefined;
    out[id] = { ...resource, ...(isObject(properties) ? { Properties: properties } : {}) };
  }
  return out;
}

export interface Statement {
  Effect: string;
  Action: string[];
  Resource: Json[];
}

/** The statements of every inline policy of a role, actions and resources as lists. */
export function roleStatements(role: Resource): Statement[] {
  const policies = role.Properties?.Policies;
  if (!Array.isArray(policies)) return [];
  const out: Statement[] = [];
  for (const policy of policies) {
    const doc = isObject(policy) ? policy.PolicyDocument : undefined;
    const statements = isObject(doc) ? doc.Statement : undefined;
    if (!Array.isArray(statements)) continue;
    for (const s of statements) {
      if (!isObject(s)) throw new Error(`Policy statement is not an object: ${JSON.stringify(s)}`);
      const action = s.Action;
      const resource = s.Resource;
      out.push({
        Effect: String(s.Effect),
        Action: (Array.isArray(action) ? action : [action ?? null]).map(String),
        Resource: Array.isArray(resource) ? resource : [resource ?? null],
      });
    }
  }
  return out;
}

/** All actions a role allows, sorted. */
export function allowedActions(role: Resource): string[] {
  return roleStatements(role)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => s.Action)
    .sort();
}
