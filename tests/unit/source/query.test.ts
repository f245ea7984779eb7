import type { SourceColumn } from '../../../src/core/source/describe.js';
import { collationSensitivity } from '../../../src/core/source/describe.js';
import { describeTarget, extractQuery, queryBody, trailingOrderBy } from '../../../src/core/source/query.js';

const col = (name: string, type: string, collation?: string): SourceColumn => ({
  name,
  type,
  ...(collation ? { collation } : {}),
  ...collationSensitivity(collation),
});

const columns = [
  col('NIT', 'varchar', 'Modern_Spanish_CI_AS'),
  col('cupo', 'decimal'),
  col('saldo', 'money'),
  col('id_grande', 'bigint'),
  col('fecha', 'datetime'),
];

describe('the extract query', () => {
  it('selects exact numbers as text, aliases config names SQL Server resolved case-insensitively, and orders by the key', () => {
    expect(extractQuery({ view: 'terceros_view' }, columns, ['nit'], ['nit', 'fecha'])).toBe(
      'SELECT [NIT] AS [nit], CONVERT(nvarchar(60), [cupo]) AS [cupo], CONVERT(nvarchar(60), [saldo], 2) AS [saldo], ' +
        'CONVERT(nvarchar(60), [id_grande]) AS [id_grande], [fecha] FROM [terceros_view] ORDER BY [NIT]',
    );
  });

  it('orders a case-sensitive key under the case-insensitive collation, so case variants arrive together', () => {
    const cs = [col('code', 'nvarchar', 'Latin1_General_CS_AS')];
    expect(extractQuery({ view: 'v' }, cs, ['code'], [])).toBe(
      'SELECT [code] FROM [v] ORDER BY [code] COLLATE Latin1_General_CI_AS',
    );
    const bin = [col('code', 'nvarchar', 'Latin1_General_BIN2')];
    expect(extractQuery({ view: 'v' }, bin, ['code'], [])).toBe(
      'SELECT [code] FROM [v] ORDER BY [code] COLLATE Latin1_General_CI_AS',
    );
  });

  it('wraps a custom query, dropping its own ORDER BY for one on the key', () => {
    const q =
      "SELECT t.nit, (SELECT TOP 1 x FROM y ORDER BY x) AS x FROM t WHERE t.a = 'ORDER BY' ORDER BY t.name;";
    expect(trailingOrderBy(q)).toBe(q.lastIndexOf('ORDER BY t.name'));
    expect(queryBody(q)).toBe(
      "SELECT t.nit, (SELECT TOP 1 x FROM y ORDER BY x) AS x FROM t WHERE t.a = 'ORDER BY'",
    );
    expect(
      extractQuery(
        { query: 'SELECT nit FROM t' },
        [col('nit', 'varchar', 'Modern_Spanish_CI_AS')],
        ['nit'],
        [],
      ),
    ).toBe('SELECT [nit] FROM (SELECT nit FROM t) AS q ORDER BY [nit]');
    expect(describeTarget({ query: 'SELECT nit FROM t ORDER BY nit' })).toEqual({
      statement: 'SELECT nit FROM t',
      from: '(SELECT nit FROM t) AS q',
    });
  });

  it('keeps an ORDER BY that TOP needs, and refuses what cannot be a derived table', () => {
    expect(queryBody('SELECT TOP 10 nit FROM t ORDER BY fecha DESC')).toBe(
      'SELECT TOP 10 nit FROM t ORDER BY fecha DESC',
    );
    expect(() => queryBody('WITH x AS (SELECT 1 AS a) SELECT a FROM x')).toThrow(
      /source.query must be one SELECT statement .* put a CTE or procedure logic in a view/,
    );
  });

  it('names the columns when a key column is missing', () => {
    expect(() => extractQuery({ view: 'v' }, columns, ['codigo'], [])).toThrow(
      'key column "codigo" is not a column of the source (columns: NIT, cupo, saldo, id_grande, fecha)',
    );
  });

  it('reads case and accent sensitivity from collation names', () => {
    expect(collationSensitivity('Modern_Spanish_CI_AS')).toEqual({
      caseInsensitive: true,
      accentInsensitive: false,
    });
    expect(collationSensitivity('SQL_Latin1_General_CP1_CI_AI')).toEqual({
      caseInsensitive: true,
      accentInsensitive: true,
    });
    expect(collationSensitivity('Latin1_General_100_CS_AS_SC_UTF8')).toEqual({
      caseInsensitive: false,
      accentInsensitive: false,
    });
    expect(collationSensitivity('Latin1_General_BIN2')).toEqual({
      caseInsensitive: false,
      accentInsensitive: false,
    });
  });
});
