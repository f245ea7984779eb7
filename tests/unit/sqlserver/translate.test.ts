import Database from 'better-sqlite3';
import { VIEW_COLUMNS } from '../../../src/emulators/sqlserver/data/views.js';
import { likeToRegExp, registerFunctions } from '../../../src/emulators/sqlserver/server/functions.js';
import { SqlServerError } from '../../../src/emulators/sqlserver/sql/errors.js';
import { parseBatch, type SelectStatement } from '../../../src/emulators/sqlserver/sql/parser.js';
import {
  type BindContext,
  type BoundParam,
  type CompiledSelect,
  compileSelect,
  describeProcedureCall,
  type ObjectDef,
} from '../../../src/emulators/sqlserver/sql/translate.js';
import { toStorage } from '../../../src/emulators/sqlserver/sql/values.js';
import type { SqlType } from '../../../src/emulators/sqlserver/sql-type.js';

const terceros: ObjectDef = {
  name: 'terceros_view',
  sqliteName: 'terceros_view',
  columns: VIEW_COLUMNS.terceros_view,
};
const acuerdos: ObjectDef = {
  name: 'acuerdos_view',
  sqliteName: 'acuerdos_view',
  columns: VIEW_COLUMNS.acuerdos_view,
};

function context(params: BoundParam[] = []): BindContext {
  return {
    database: 'ERP_ITALCOL',
    lookup: (name) =>
      name.toLowerCase() === 'terceros_view'
        ? terceros
        : name.toLowerCase() === 'acuerdos_view'
          ? acuerdos
          : undefined,
    params: new Map(params.map((p) => [p.name.toLowerCase(), p])),
    now: new Date('2025-03-04T05:06:07.890Z'),
    version: 'test',
    spid: 51,
    serverName: 'TEST',
  };
}

function compile(sql: string, params: BoundParam[] = []): CompiledSelect {
  const [statement] = parseBatch(sql);
  return compileSelect(statement as SelectStatement, context(params));
}

function sqlError(run: () => unknown): SqlServerError {
  try {
    run();
  } catch (error) {
    if (error instanceof SqlServerError) return error;
    throw error;
  }
  throw new Error('expected a SqlServerError');
}

/** A tiny terceros table with the emulator's storage conventions, to run compiled SQL against. */
function sampleDatabase(): Database.Database {
  const db = new Database(':memory:');
  registerFunctions(db);
  db.exec(`CREATE TABLE terceros_view (nit TEXT COLLATE NOCASE, razon_social TEXT COLLATE NOCASE, nombre_comercial TEXT COLLATE NOCASE,
    tipo_tercero TEXT COLLATE NOCASE, direccion TEXT COLLATE NOCASE, ciudad TEXT COLLATE NOCASE, departamento TEXT COLLATE NOCASE,
    telefono TEXT COLLATE NOCASE, email TEXT COLLATE NOCASE, cupo_credito INTEGER, activo INTEGER, fecha_modificacion TEXT)`);
  const insert = db.prepare('INSERT INTO terceros_view VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  const rows: [string, string | null, string, string | null, boolean, string][] = [
    ['900000001-1', 'Peña Muñoz S.A.S.', 'CLIENTE', '1500000.50', true, '2024-01-01 00:00:00.0000000'],
    ['900000002-2', null, 'PROVEEDOR', null, false, '2024-06-30 23:59:59.9999999'],
    ['900000003-3', 'Ñandú Ltda.', 'DISTRIBUIDOR', '0.10', true, '2023-12-31 12:00:00.0000000'],
  ];
  for (const [nit, razon, tipo, cupo, activo, fecha] of rows) {
    const decimal: SqlType = { kind: 'decimal', precision: 18, scale: 2 };
    insert.run(
      nit,
      razon,
      null,
      tipo,
      null,
      'Bogotá D.C.',
      null,
      null,
      null,
      toStorage(cupo, decimal),
      activo ? 1 : 0,
      fecha,
    );
  }
  return db;
}

function run(db: Database.Database, compiled: CompiledSelect): unknown[][] {
  const statement = db.prepare(compiled.sql).raw(true).safeIntegers(compiled.safeIntegers);
  return (
    Object.keys(compiled.binds).length > 0 ? statement.all(compiled.binds) : statement.all()
  ) as unknown[][];
}

describe('T-SQL translation', () => {
  it('types every output column from the declared view columns, never from values', () => {
    const compiled = compile('SELECT * FROM [dbo].[terceros_view]');

    expect(compiled.columns.map((c) => [c.name, c.type, c.nullable])).toEqual(
      VIEW_COLUMNS.terceros_view.map((c) => [c.name, c.type, c.nullable]),
    );
    expect(compiled.safeIntegers).toBe(true);
  });

  it('names a column as written in the query and an alias as given', () => {
    const compiled = compile(
      'SELECT NIT, razon_social AS [Razón Social], cupo_credito cupo FROM terceros_view',
    );

    expect(compiled.columns.map((c) => c.name)).toEqual(['NIT', 'Razón Social', 'cupo']);
    expect(compiled.columns[2]?.type).toEqual({ kind: 'decimal', precision: 18, scale: 2 });
  });

  it('translates TOP, OFFSET/FETCH, ISNULL, GETDATE(), N literals and brackets', () => {
    expect(compile('SELECT TOP 5 nit FROM dbo.terceros_view ORDER BY nit DESC').sql).toMatch(
      /ORDER BY tsql_ck\(c0, 'Modern_Spanish_CI_AS'\) DESC, tsql_tie\(1, c0\) LIMIT 5$/,
    );
    expect(compile('SELECT TOP (10) nit FROM terceros_view').sql).toMatch(/LIMIT 10$/);
    expect(
      compile('SELECT nit FROM terceros_view ORDER BY nit OFFSET 20 ROWS FETCH NEXT 10 ROWS ONLY').sql,
    ).toMatch(/LIMIT 10 OFFSET 20$/);
    expect(compile("SELECT ISNULL(razon_social, N'(sin nombre)') AS r FROM terceros_view").sql).toContain(
      'IFNULL(t0."razon_social", @b0)',
    );
    const now = compile('SELECT GETDATE() AS now');
    expect(now.columns[0]?.type).toEqual({ kind: 'datetime' });
    expect(Object.values(now.binds)).toEqual(['2025-03-04 05:06:07.8900000']);
  });

  it('runs against SQLite with SQL Server semantics: decimals exact, dates, case-insensitive text, LIKE', () => {
    const db = sampleDatabase();
    const decimalParam: BoundParam = {
      name: '@c',
      type: { kind: 'decimal', precision: 18, scale: 2 },
      value: '1500000.50',
    };

    expect(run(db, compile('SELECT nit FROM terceros_view WHERE cupo_credito = @c', [decimalParam]))).toEqual(
      [['900000001-1']],
    );
    expect(run(db, compile('SELECT nit FROM terceros_view WHERE cupo_credito > 0.1'))).toEqual([
      ['900000001-1'],
    ]);
    expect(
      run(db, compile("SELECT nit FROM terceros_view WHERE fecha_modificacion >= '2024-01-01' ORDER BY nit")),
    ).toEqual([['900000001-1'], ['900000002-2']]);
    expect(run(db, compile("SELECT nit FROM terceros_view WHERE tipo_tercero = N'cliente'"))).toEqual([
      ['900000001-1'],
    ]);
    expect(run(db, compile("SELECT nit FROM terceros_view WHERE razon_social LIKE N'%muñoz%'"))).toEqual([
      ['900000001-1'],
    ]);
    expect(run(db, compile("SELECT nit FROM terceros_view WHERE razon_social LIKE N'[ñÑ]%'"))).toEqual([
      ['900000003-3'],
    ]);
    expect(
      run(db, compile('SELECT COUNT(*) FROM terceros_view WHERE razon_social IS NULL OR activo = 0')),
    ).toEqual([[1]]);
    expect(
      run(db, compile("SELECT ISNULL(razon_social, N'-') FROM terceros_view WHERE nit IN ('900000002-2')")),
    ).toEqual([['-']]);
    expect(
      run(db, compile('SELECT cupo_credito FROM terceros_view WHERE cupo_credito BETWEEN 0 AND 1')),
    ).toEqual([[10n]]);
    db.close();
  });

  it('converts typed parameters to the type they are compared with', () => {
    const db = sampleDatabase();
    const since: BoundParam = {
      name: '@since',
      type: { kind: 'datetime2', scale: 7 },
      value: '2024-06-30 23:59:59.9999999',
    };
    const text: BoundParam = { name: '@activo', type: { kind: 'nvarchar', length: 10 }, value: 'true' };

    expect(
      run(db, compile('SELECT nit FROM terceros_view WHERE fecha_modificacion >= @since', [since])),
    ).toEqual([['900000002-2']]);
    expect(run(db, compile('SELECT COUNT(*) FROM terceros_view WHERE activo = @activo', [text]))).toEqual([
      [2],
    ]);
    db.close();
  });

  it.each([
    ['SELECT * FROM dbo.nope', 208, "Invalid object name 'dbo.nope'."],
    ['SELECT * FROM otro.terceros_view', 208, "Invalid object name 'otro.terceros_view'."],
    ['SELECT nope FROM terceros_view', 207, "Invalid column name 'nope'."],
    ['SELECT nit FROM terceros_view ORDER BY nope', 207, "Invalid column name 'nope'."],
    [
      'SELECT nit FROM terceros_view WHERE nit = @missing',
      137,
      'Must declare the scalar variable "@missing".',
    ],
    [
      'SELECT nit, COUNT(*) FROM terceros_view',
      8120,
      expect.stringContaining("Column 'nit' is invalid in the select list"),
    ],
    ['SELECT x.nit FROM terceros_view t', 4104, 'The multi-part identifier "x.nit" could not be bound.'],
    ['SELECT *', 263, 'Must specify table to select from.'],
    [
      'SELECT UPPER(cupo_credito) FROM terceros_view',
      40517,
      expect.stringContaining("'UPPER on a non-character value'"),
    ],
    [
      'SELECT DATEADD(day, 1, fecha_modificacion) FROM terceros_view',
      40517,
      expect.stringContaining("'DATEADD function'"),
    ],
    ['SELECT FOO(1)', 195, "'FOO' is not a recognized built-in function name."],
    [
      'SELECT nit FROM terceros_view WHERE fecha_modificacion = 5',
      206,
      expect.stringContaining('Operand type clash'),
    ],
    [
      "SELECT nit FROM terceros_view WHERE fecha_modificacion = 'ayer'",
      241,
      expect.stringContaining('Conversion failed'),
    ],
  ])('%s fails with Msg %i', (sql, number, message) => {
    const error = sqlError(() => compile(sql));

    expect(error.number).toBe(number);
    expect(error.message).toEqual(message);
  });
});

describe('T-SQL parsing', () => {
  it('accepts the post-login SET batch tedious sends', () => {
    const batch = `set textsize 2147483647
set quoted_identifier on
set arithabort off
set numeric_roundabort off
set ansi_warnings on
set ansi_padding on
set ansi_nulls on
set concat_null_yields_null on
set cursor_close_on_commit off
set implicit_transactions off
set language us_english
set dateformat mdy
set datefirst 7
set transaction isolation level read committed`;

    const statements = parseBatch(batch);

    expect(statements).toHaveLength(14);
    expect(statements.every((s) => s.k === 'set')).toBe(true);
  });

  it('reads several statements with or without semicolons, comments included', () => {
    const statements = parseBatch("SELECT 1; -- one\nSELECT N'dos' /* two */ SELECT 3;;");

    expect(statements.map((s) => s.k)).toEqual(['select', 'select', 'select']);
  });

  it.each([
    ['SELECT nit FROM terceros_view WHERE nit = = 1', 102, "Incorrect syntax near '='."],
    ['SELECT nit FROM terceros_view WHERE', 156, "Incorrect syntax near the keyword 'WHERE'."],
    ['SELECT nit FROM terceros_view ORDER BY nit OFFSET 5', 102, "Incorrect syntax near '5'."],
    ["SELECT 'sin cerrar", 105, "Unclosed quotation mark after the character string 'sin cerrar'."],
    ['INSERT INTO terceros_view VALUES (1)', 40517, expect.stringContaining("'INSERT' is not supported")],
    ['UPDATE terceros_view SET nit = 1', 40517, expect.stringContaining("'UPDATE' is not supported")],
    [
      'SELECT a.nit FROM terceros_view a RIGHT JOIN sucursales_view s ON 1 = 1',
      40517,
      expect.stringContaining("'RIGHT JOIN'"),
    ],
    [
      'SELECT tipo_tercero FROM terceros_view GROUP BY ROLLUP(tipo_tercero)',
      40517,
      expect.stringContaining("'GROUP BY ROLLUP'"),
    ],
    [
      'SELECT TOP 1 nit FROM terceros_view ORDER BY nit OFFSET 1 ROWS',
      10741,
      expect.stringContaining('TOP can not be used'),
    ],
    ['SET FOO ON', 195, "'FOO' is not a recognized SET option."],
    ['EXEC sp_who', 40517, expect.stringContaining("'EXEC'")],
  ])('%s fails with Msg %i', (sql, number, message) => {
    const error = sqlError(() => parseBatch(sql));

    expect(error.number).toBe(number);
    expect(error.message).toEqual(message);
  });

  it('names what the emulator supports in an unsupported-statement message', () => {
    const error = sqlError(() => parseBatch('DELETE FROM terceros_view'));

    expect(error.message).toContain('SELECT [DISTINCT] [TOP n] cols|* FROM [dbo.]view');
  });
});

describe('LIKE patterns', () => {
  it.each([
    ['SUC-0001%', null, 'SUC-000123', true],
    ['SUC-0001%', null, 'suc-000123', false],
    ['SUC-0001_', null, 'SUC-00012', true],
    ['SUC-0001_', null, 'SUC-000123', false],
    ['[A-C]%', null, 'Bogotá', true],
    ['[^A-C]%', null, 'Bogotá', false],
    ['%10!%%', '!', 'descuento del 10%', true],
    ['%10!%%', '!', 'descuento del 100', false],
    ['%%%%%%%%%%%%%%%%%%%%%%%%x', null, `${'a'.repeat(5000)}y`, false],
  ])('%s (escape %s) on %s is %s', (pattern, escapeChar, value, expected) => {
    expect(likeToRegExp(pattern, escapeChar).test(value)).toBe(expected);
  });
});

describe('collations, ties and describe in the translation', () => {
  it('returns rows an ORDER BY leaves tied in an order set by the seed, not by storage', () => {
    const db = new Database(':memory:');
    registerFunctions(db);
    db.exec('CREATE TABLE terceros_view (nit TEXT, activo INTEGER)');
    const insert = db.prepare('INSERT INTO terceros_view (nit, activo) VALUES (?, 1)');
    const keys = ['ab-1', 'AB-1', 'Ab-1', 'aB-1', 'ab-1 ', 'AB-1  '];
    for (const key of keys) insert.run(key);
    const [statement] = parseBatch('SELECT nit FROM terceros_view ORDER BY nit');
    const orders = [1, 2, 3, 4, 5].map((tieSeed) =>
      run(db, compileSelect(statement as SelectStatement, { ...context(), tieSeed })).map((r) => r[0]),
    );

    for (const order of orders) expect([...(order as string[])].sort()).toEqual([...keys].sort());
    expect(new Set(orders.map((o) => o.join('|'))).size).toBeGreaterThan(1);
    expect(orders.some((o) => o.join('|') === keys.join('|'))).toBe(false);
    expect(run(db, compileSelect(statement as SelectStatement, { ...context(), tieSeed: 3 }))).toEqual(
      run(db, compileSelect(statement as SelectStatement, { ...context(), tieSeed: 3 })),
    );
    db.close();
  });

  it('compares, orders and groups DATETIMEOFFSET by its UTC instant, not by its local text', () => {
    const db = new Database(':memory:');
    registerFunctions(db);
    db.exec('CREATE TABLE eventos (id INTEGER, cuando TEXT)');
    const insert = db.prepare('INSERT INTO eventos (id, cuando) VALUES (?, ?)');
    insert.run(1, '2026-03-01 08:00:00.0000000 -05:00'); // 13:00Z
    insert.run(2, '2026-03-01 10:00:00.0000000 +00:00'); // 10:00Z
    insert.run(3, '2026-03-01 20:00:00.0000000 +09:00'); // 11:00Z
    insert.run(4, '2026-03-01 13:00:00.0000000 +00:00'); // 13:00Z, the same instant as 1
    const eventos: ObjectDef = {
      name: 'eventos',
      sqliteName: 'eventos',
      columns: [
        { name: 'id', type: { kind: 'int' }, nullable: false },
        { name: 'cuando', type: { kind: 'datetime2', scale: 7, name: 'datetimeoffset' }, nullable: false },
      ],
    };
    const ctx: BindContext = { ...context(), lookup: (name) => (name === 'eventos' ? eventos : undefined) };
    const ids = (sql: string): unknown[] =>
      run(db, compileSelect(parseBatch(sql)[0] as SelectStatement, ctx)).map((r) => r[0]);

    expect(ids('SELECT id FROM eventos ORDER BY cuando, id')).toEqual([2, 3, 1, 4]);
    expect(
      ids(
        "SELECT id FROM eventos WHERE cuando = CAST('2026-03-01 13:00:00 +00:00' AS DATETIMEOFFSET) ORDER BY id",
      ),
    ).toEqual([1, 4]);
    expect(ids("SELECT id FROM eventos WHERE cuando < '2026-03-01 06:00:00 -05:00' ORDER BY id")).toEqual([
      2,
    ]);
    expect(ids('SELECT COUNT(*) FROM eventos GROUP BY cuando ORDER BY COUNT(*)')).toEqual([1, 1, 2]);
    db.close();
  });

  it('compares with the database default collation, which the context can change', () => {
    const db = new Database(':memory:');
    registerFunctions(db);
    db.exec(
      "CREATE TABLE terceros_view (nit TEXT, activo INTEGER); INSERT INTO terceros_view VALUES ('AB-1', 1)",
    );
    const [statement] = parseBatch("SELECT COUNT(*) FROM terceros_view WHERE nit = N'ab-1'");

    expect(run(db, compileSelect(statement as SelectStatement, context()))).toEqual([[1]]);
    expect(
      run(
        db,
        compileSelect(statement as SelectStatement, { ...context(), collation: 'Latin1_General_CS_AS' }),
      ),
    ).toEqual([[0]]);
    db.close();
  });

  it('types CASE, COALESCE and CAST results and describes them', () => {
    const compiled = compile(
      'SELECT CASE WHEN activo = 1 THEN cupo_credito ELSE 0 END AS c, COALESCE(razon_social, nit) AS r, CAST(cupo_credito AS NVARCHAR) AS t, CONVERT(DECIMAL(10,1), cupo_credito) AS d FROM terceros_view',
    );

    expect(compiled.columns.map((c) => [c.name, c.type, c.nullable, c.collation])).toEqual([
      ['c', { kind: 'decimal', precision: 18, scale: 2 }, true, undefined],
      ['r', { kind: 'nvarchar', length: 400 }, false, 'Modern_Spanish_CI_AS'],
      ['t', { kind: 'nvarchar', length: 30 }, true, 'Modern_Spanish_CI_AS'],
      ['d', { kind: 'decimal', precision: 10, scale: 1 }, true, undefined],
    ]);
    const described = compile(
      "EXEC sp_describe_first_result_set N'SELECT nit COLLATE Latin1_General_BIN2 AS k, activo FROM terceros_view'",
    );
    const db = sampleDatabase();
    const rows = run(db, described);
    const at = (name: string) => described.columns.findIndex((c) => c.name === name);
    expect(
      rows.map((r) => [
        r[at('name')],
        r[at('system_type_name')],
        r[at('collation_name')],
        r[at('is_case_sensitive')],
      ]),
    ).toEqual([
      ['k', 'nvarchar(20)', 'Latin1_General_BIN2', 1],
      ['activo', 'bit', null, 0],
    ]);
    db.close();
  });
});

describe('sp_describe_first_result_set called by name (RPC)', () => {
  it('turns named or positional arguments into the describe statement', () => {
    const named = describeProcedureCall('sys.sp_describe_first_result_set', [
      { name: '@tsql', value: 'SELECT nit, cupo_credito FROM terceros_view WHERE nit = @n' },
      { name: '@params', value: '@n nvarchar(20)' },
    ]);
    const positional = describeProcedureCall('[sp_describe_first_result_set]', [
      { name: '', value: 'SELECT COUNT(*) AS n FROM terceros_view' },
    ]);
    const db = sampleDatabase();
    const describe = (call: typeof named) => {
      const compiled = compileSelect(call?.statement as SelectStatement, {
        ...context(),
        params: call?.params ?? new Map(),
      });
      const name = compiled.columns.findIndex((c) => c.name === 'name');
      const type = compiled.columns.findIndex((c) => c.name === 'system_type_name');
      return run(db, compiled).map((r) => [r[name], r[type]]);
    };

    expect(describe(named)).toEqual([
      ['nit', 'nvarchar(20)'],
      ['cupo_credito', 'decimal(18,2)'],
    ]);
    expect(describe(positional)).toEqual([['n', 'int']]);
    expect(describeProcedureCall('sp_who', [])).toBeUndefined();
    expect(sqlError(() => describeProcedureCall('sp_describe_first_result_set', [])).number).toBe(201);
    expect(
      sqlError(() => describeProcedureCall('sp_describe_first_result_set', [{ name: '@sql', value: 'x' }]))
        .message,
    ).toBe('@sql is not a parameter for procedure sp_describe_first_result_set.');
    db.close();
  });
});
