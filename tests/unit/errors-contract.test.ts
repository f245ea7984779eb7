import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import * as errors from '../../src/core/errors.js';

// biome-ignore lint/suspicious/noExplicitAny: ASL states are free-form YAML
type State = Record<string, any>;

function allStates(states: Record<string, State>, out: Array<[string, State]> = []): Array<[string, State]> {
  for (const [name, s] of Object.entries(states)) {
    out.push([name, s]);
    const inner = s.ItemProcessor ?? s.Iterator;
    if (inner) allStates(inner.States, out);
    for (const b of s.Branches ?? []) allStates(b.States, out);
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

const definition = parse(readFileSync('statemachines/sync.asl.yml', 'utf8'));
const states = allStates(definition.States);
const tasks = states.filter(([, s]) => s.Type === 'Task');
type ErrorClass = new (message: string) => errors.SyncError;
const errorClasses = (Object.values(errors) as unknown[]).filter(
  (v) => typeof v === 'function' && v !== errors.SyncError,
) as ErrorClass[];
const named = new Map(errorClasses.map((C) => [new C('x').name, new C('x')]));
const retried = new Set(
  tasks.flatMap(([, s]) => (s.Retry ?? []).flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals)),
);
const caught = new Set(
  tasks.flatMap(([, s]) => (s.Catch ?? []).flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals)),
);

describe('named errors and the state machine', () => {
  it('sets every error name as a literal equal to its class name', () => {
    for (const C of errorClasses) expect(new C('x').name).toBe(C.name);
  });

  it('matches only names that exist: ours, States.* or Lambda service errors', () => {
    for (const name of [...retried, ...caught]) {
      const known = named.has(name) || name.startsWith('States.') || name.startsWith('Lambda.');
      expect({ name, known }).toEqual({ name, known: true });
    }
  });

  it('retries every transient error somewhere, and never a permanent one', () => {
    for (const [name, e] of named) {
      if (e.transient) expect({ name, retried: retried.has(name) }).toEqual({ name, retried: true });
      else expect({ name, retried: retried.has(name) }).toEqual({ name, retried: false });
    }
  });

  it('gives every Task a TimeoutSeconds and the Lambda service error retry', () => {
    for (const [name, s] of tasks) {
      expect({ name, timeout: typeof s.TimeoutSeconds }).toEqual({ name, timeout: 'number' });
      const errorsRetried = (s.Retry ?? []).flatMap((r: { ErrorEquals: string[] }) => r.ErrorEquals);
      expect({ name, lambda: errorsRetried.includes('Lambda.ServiceException') }).toEqual({
        name,
        lambda: true,
      });
    }
  });

  it('catches everything on the steps that work on a company, entity or page', () => {
    for (const name of ['Authenticate', 'Extract', 'Transform', 'Upsert']) {
      const s = tasks.find(([n]) => n === name)?.[1];
      expect(s?.Catch?.[0]?.ErrorEquals).toEqual(['States.ALL']);
    }
  });

  it('throws only named errors from errors.ts in the core and handlers', () => {
    const thrown = new Set<string>();
    for (const file of [...sourceFiles('src/core'), ...sourceFiles('functions')]) {
      for (const m of readFileSync(file, 'utf8').matchAll(/new (\w*Error)\(/g)) thrown.add(m[1] as string);
    }
    for (const name of thrown) {
      const ok = named.has(name) || name === 'RangeError';
      expect({ name, ok }).toEqual({ name, ok: true });
    }
  });
});

describe('the definition', () => {
  it('is valid ASL that the local runner can bind to the six functions', async () => {
    const { validateDefinition } = await import('../../src/local/definition.js');
    expect(validateDefinition('statemachines/sync.asl.yml')).toEqual([]);
    const resources = new Set(tasks.map(([, s]) => s.Resource?.['Fn::GetAtt']?.[0]));
    expect([...resources].sort()).toEqual([
      'authenticate',
      'extract',
      'plan',
      'report',
      'transform',
      'upsert',
    ]);
  });
});
