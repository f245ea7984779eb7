/**
 * An error the emulator reports the way SQL Server does: number, severity (class), state and
 * message go into an ERROR token, so clients see the same `number` they would from a real server.
 */
export class SqlServerError extends Error {
  override readonly name = 'SqlServerError';
  readonly number: number;
  readonly severity: number;
  readonly state: number;

  constructor(number: number, message: string, options: { severity?: number; state?: number } = {}) {
    super(message);
    this.number = number;
    this.severity = options.severity ?? 16;
    this.state = options.state ?? 1;
  }
}

/** What the emulator runs, named in every "not supported" message. */
export const SUPPORTED_SUMMARY =
  'The sf-sync SQL Server emulator runs SELECT [DISTINCT] [TOP n] cols|* FROM [dbo.]view [[INNER|LEFT] JOIN view ON ...] ' +
  '(or a derived table) [WHERE ...] [GROUP BY ... [HAVING ...]] [ORDER BY ... [OFFSET n ROWS FETCH NEXT m ROWS ONLY]] with CASE, CAST, CONVERT, ' +
  'COALESCE, ISNULL, NULLIF, UPPER, LOWER, LTRIM, RTRIM, TRIM, LEN, SUBSTRING, LEFT, RIGHT, REPLACE, COLLATE, ' +
  "GETDATE(), COUNT, MIN, MAX, N'...' literals and @parameters, EXEC sp_describe_first_result_set, SET options and USE.";

/** Msg 40517: the statement or keyword is valid T-SQL that the emulator does not run. */
export function notSupported(what: string): SqlServerError {
  return new SqlServerError(
    40517,
    `Keyword or statement option '${what}' is not supported in this version of SQL Server. ${SUPPORTED_SUMMARY}`,
    { severity: 16, state: 1 },
  );
}

/** Msg 102 (or 156 for a reserved keyword): a syntax error near a token as written. */
export function syntaxError(near: string, isKeyword: boolean): SqlServerError {
  return isKeyword
    ? new SqlServerError(156, `Incorrect syntax near the keyword '${near}'.`, { state: 1 })
    : new SqlServerError(102, `Incorrect syntax near '${near}'.`, { state: 1 });
}

export function invalidObject(name: string): SqlServerError {
  return new SqlServerError(208, `Invalid object name '${name}'.`, { state: 1 });
}

export function invalidColumn(name: string): SqlServerError {
  return new SqlServerError(207, `Invalid column name '${name}'.`, { state: 1 });
}
