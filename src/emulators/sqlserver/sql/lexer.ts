/** Splits T-SQL text into tokens: identifiers, [bracketed] and "quoted" names, literals, @params. */
import { SqlServerError, syntaxError } from './errors.js';

export type TokenKind = 'word' | 'quoted' | 'number' | 'string' | 'param' | 'sysvar' | 'op' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The token as written in the query (used in error messages). */
  text: string;
  /** Identifier name without brackets, string literal content, parameter name with '@'. */
  value: string;
  /** N'...' literal. */
  national?: boolean;
  pos: number;
}

/** SQL Server's reserved keywords that matter here (a keyword near a syntax error gives Msg 156). */
export const RESERVED = new Set(
  (
    'ADD ALL ALTER AND ANY AS ASC BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE CASE CHECK CHECKPOINT CLOSE ' +
    'CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT CONTAINS CONTINUE CONVERT CREATE CROSS CURRENT ' +
    'CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC DEALLOCATE DECLARE DEFAULT DELETE ' +
    'DENY DESC DISTINCT DISTRIBUTED DOUBLE DROP ELSE END ERRLVL ESCAPE EXCEPT EXEC EXECUTE EXISTS EXIT EXTERNAL ' +
    'FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FROM FULL FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IF IN ' +
    'INDEX INNER INSERT INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO MERGE NATIONAL NOCHECK NONCLUSTERED NOT ' +
    'NULL NULLIF OF OFF OFFSETS ON OPEN OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN PRIMARY PRINT PROC PROCEDURE ' +
    'PUBLIC RAISERROR READ RECONFIGURE REFERENCES REPLICATION RESTORE RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ' +
    'ROWCOUNT RULE SAVE SCHEMA SELECT SESSION_USER SET SETUSER SHUTDOWN SOME STATISTICS SYSTEM_USER TABLE ' +
    'TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION TRIGGER TRUNCATE UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE ' +
    'USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH WRITETEXT'
  ).split(' '),
);

const OPERATORS = [
  '<>',
  '!=',
  '<=',
  '>=',
  '!<',
  '!>',
  '=',
  '<',
  '>',
  '(',
  ')',
  ',',
  '.',
  '*',
  ';',
  '+',
  '-',
  '/',
  '%',
];

const isWordStart = (c: string): boolean => /[\p{L}_#]/u.test(c);
const isWordPart = (c: string): boolean => /[\p{L}\p{N}_@$#]/u.test(c);

export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql.charAt(i);
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '-' && sql.charAt(i + 1) === '-') {
      while (i < n && sql.charAt(i) !== '\n') i++;
      continue;
    }
    if (c === '/' && sql.charAt(i + 1) === '*') {
      let depth = 1;
      i += 2;
      while (i < n && depth > 0) {
        if (sql.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (sql.startsWith('*/', i)) {
          depth--;
          i += 2;
        } else i++;
      }
      if (depth > 0) throw new SqlServerError(113, "Missing end comment mark '*/'.", { state: 1 });
      continue;
    }
    const start = i;
    if ((c === 'N' || c === 'n') && sql.charAt(i + 1) === "'") {
      const { value, end } = readQuoted(sql, i + 1, "'");
      tokens.push({ kind: 'string', text: sql.slice(start, end), value, national: true, pos: start });
      i = end;
      continue;
    }
    if (c === "'") {
      const { value, end } = readQuoted(sql, i, "'");
      tokens.push({ kind: 'string', text: sql.slice(start, end), value, national: false, pos: start });
      i = end;
      continue;
    }
    if (c === '[') {
      const { value, end } = readQuoted(sql, i, ']');
      tokens.push({ kind: 'quoted', text: sql.slice(start, end), value, pos: start });
      i = end;
      continue;
    }
    if (c === '"') {
      const { value, end } = readQuoted(sql, i, '"');
      tokens.push({ kind: 'quoted', text: sql.slice(start, end), value, pos: start });
      i = end;
      continue;
    }
    if (c === '@') {
      const sys = sql.charAt(i + 1) === '@';
      let j = i + (sys ? 2 : 1);
      while (j < n && isWordPart(sql.charAt(j))) j++;
      const text = sql.slice(i, j);
      if (text === '@' || text === '@@') throw syntaxError(text, false);
      tokens.push({ kind: sys ? 'sysvar' : 'param', text, value: text, pos: start });
      i = j;
      continue;
    }
    if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql.charAt(i + 1)))) {
      const m = /^(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/.exec(sql.slice(i));
      const text = m?.[0] ?? c;
      tokens.push({ kind: 'number', text, value: text, pos: start });
      i += text.length;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql.charAt(j))) j++;
      const text = sql.slice(i, j);
      tokens.push({ kind: 'word', text, value: text, pos: start });
      i = j;
      continue;
    }
    const op = OPERATORS.find((candidate) => sql.startsWith(candidate, i));
    if (op === undefined) throw syntaxError(c, false);
    tokens.push({ kind: 'op', text: op, value: op, pos: start });
    i += op.length;
  }
  tokens.push({ kind: 'eof', text: '', value: '', pos: n });
  return tokens;
}

function readQuoted(sql: string, open: number, close: string): { value: string; end: number } {
  let value = '';
  let i = open + 1;
  for (;;) {
    const j = sql.indexOf(close, i);
    if (j < 0) {
      const fragment = sql.slice(open);
      throw close === "'"
        ? new SqlServerError(
            105,
            `Unclosed quotation mark after the character string '${fragment.slice(1)}'.`,
          )
        : new SqlServerError(
            1038,
            `Unclosed ${close === ']' ? 'bracket' : 'quote'} in identifier starting with ${fragment}.`,
          );
    }
    value += sql.slice(i, j);
    if (sql.charAt(j + 1) === close) {
      value += close;
      i = j + 2;
      continue;
    }
    return { value, end: j + 1 };
  }
}

export function isKeyword(token: Token, ...words: string[]): boolean {
  return token.kind === 'word' && words.includes(token.value.toUpperCase());
}

export function isReserved(token: Token): boolean {
  return token.kind === 'word' && RESERVED.has(token.value.toUpperCase());
}
