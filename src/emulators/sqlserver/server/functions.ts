/** T-SQL functions the translation calls by name, registered on every SQLite handle. */
import type Database from 'better-sqlite3';

const likeCache = new Map<string, RegExp>();

/** A T-SQL LIKE pattern as a regular expression: %, _, [set], [^set], [a-z] and an ESCAPE character. */
export function likeToRegExp(pattern: string, escapeChar: string | null): RegExp {
  const key = `${escapeChar ?? ''}\u0000${pattern}`;
  const cached = likeCache.get(key);
  if (cached) return cached;
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (escapeChar !== null && c === escapeChar && i + 1 < pattern.length) {
      source += escapeRegExp(pattern.charAt(++i));
    } else if (c === '%') {
      // Consecutive %s mean one: keeps a pattern such as '%%%%x' from backtracking without end.
      if (!source.endsWith('[\\s\\S]*')) source += '[\\s\\S]*';
    } else if (c === '_') source += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let body = pattern.slice(i + 1, close);
      let negate = false;
      if (body.startsWith('^')) {
        negate = true;
        body = body.slice(1);
      }
      const set = body.replace(/[\\\]^]/g, (m) => `\\${m}`);
      source += `[${negate ? '^' : ''}${set}]`;
      i = close;
    } else source += escapeRegExp(c);
  }
  const re = new RegExp(`^${source}$`, 'iu');
  if (likeCache.size > 500) likeCache.clear();
  likeCache.set(key, re);
  return re;
}

function escapeRegExp(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

function text(fn: (s: string) => unknown): (value: unknown) => unknown {
  return (value: unknown) => (value === null || value === undefined ? null : fn(String(value)));
}

export function registerFunctions(db: Database.Database): void {
  db.function(
    'tsql_like',
    { deterministic: true },
    (value: unknown, pattern: unknown, escapeChar: unknown) => {
      if (value === null || pattern === null) return null;
      return likeToRegExp(String(pattern), escapeChar === null ? null : String(escapeChar)).test(
        String(value),
      )
        ? 1
        : 0;
    },
  );
  db.function(
    'tsql_upper',
    { deterministic: true },
    text((s) => s.toUpperCase()),
  );
  db.function(
    'tsql_lower',
    { deterministic: true },
    text((s) => s.toLowerCase()),
  );
  db.function(
    'tsql_ltrim',
    { deterministic: true },
    text((s) => s.replace(/^ +/, '')),
  );
  db.function(
    'tsql_rtrim',
    { deterministic: true },
    text((s) => s.replace(/ +$/, '')),
  );
  db.function(
    'tsql_trim',
    { deterministic: true },
    text((s) => s.replace(/^ +| +$/g, '')),
  );
  db.function(
    'tsql_len',
    { deterministic: true },
    text((s) => s.replace(/ +$/, '').length),
  );
}
