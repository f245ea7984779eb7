import { withoutTrailingOrderBy } from '../../../src/core/check/sqlserver.js';

describe('check: a source query as a derived table', () => {
  it('drops only the final top-level ORDER BY (SQL Server refuses it in a derived table)', () => {
    expect(withoutTrailingOrderBy('SELECT nit, tipo FROM dbo.terceros WHERE activo = 1 ORDER BY nit;')).toBe(
      'SELECT nit, tipo FROM dbo.terceros WHERE activo = 1',
    );
    expect(
      withoutTrailingOrderBy(
        "SELECT t.nit, (SELECT TOP 1 s.codigo FROM s ORDER BY s.codigo) AS c FROM t WHERE t.nota <> ' ORDER BY x'",
      ),
    ).toBe(
      "SELECT t.nit, (SELECT TOP 1 s.codigo FROM s ORDER BY s.codigo) AS c FROM t WHERE t.nota <> ' ORDER BY x'",
    );
    expect(withoutTrailingOrderBy('SELECT a FROM v\nORDER  BY a DESC, b')).toBe('SELECT a FROM v');
    expect(withoutTrailingOrderBy('SELECT border_by FROM v')).toBe('SELECT border_by FROM v');
  });
});
