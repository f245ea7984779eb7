import { ApiError } from '../../../src/emulators/salesforce/errors.js';
import { parseSoql } from '../../../src/emulators/salesforce/soql.js';

describe('SOQL parser', () => {
  it('parses fields, parent paths, WHERE with AND/OR/NOT/IN, ORDER BY, LIMIT and OFFSET', () => {
    const q = parseSoql(
      "select Id, Account.Name from RetailStore where (City = 'Cali' or City IN ('Bogotá','Medellín')) and not ti_activo__c = false and ti_fecha_apertura__c >= 2024-01-01 order by Name desc nulls first, Id limit 10 offset 5",
    );
    expect(q.fields.map((f) => f.path)).toEqual([['Id'], ['Account', 'Name']]);
    expect(q.object).toBe('RetailStore');
    expect(q.where).toMatchObject({
      kind: 'and',
      items: [
        {
          kind: 'or',
          items: [
            { kind: 'cmp', op: '=', value: { kind: 'string', value: 'Cali' } },
            { kind: 'in', negated: false },
          ],
        },
        { kind: 'not', item: { kind: 'cmp', value: { kind: 'boolean', value: false } } },
        { kind: 'cmp', op: '>=', value: { kind: 'date', value: '2024-01-01' } },
      ],
    });
    expect(q.orderBy.map((o) => [o.field.path.join('.'), o.descending, o.nullsLast])).toEqual([
      ['Name', true, false],
      ['Id', false, false],
    ]);
    expect([q.limit, q.offset]).toEqual([10, 5]);
  });

  it('parses COUNT(), escapes in strings and datetimes', () => {
    const q = parseSoql(
      "SELECT COUNT() FROM Account WHERE Name = 'O\\'Brien' AND LastModifiedDate > 2024-01-01T00:00:00Z",
    );
    expect(q.count).toBe(true);
    expect(q.where).toMatchObject({
      items: [
        { value: { value: "O'Brien" } },
        { value: { kind: 'datetime', value: '2024-01-01T00:00:00Z' } },
      ],
    });
  });

  it.each([
    ['SELECT FROM Account', "unexpected token: 'FROM'", 8],
    ['SELECT Id FROM Account WHERE', "unexpected token: '<EOF>'", 29],
    ["SELECT Id FROM Account WHERE Name = 'open", 'unterminated string literal', 37],
    ['SELECT Id FROM Account LIMIT x', "unexpected token: 'x'", 30],
  ])('refuses %j with MALFORMED_QUERY at the right column', (soql, reason, column) => {
    try {
      parseSoql(soql);
      throw new Error('parsed');
    } catch (error) {
      expect(error).toBeInstanceOf(ApiError);
      expect((error as ApiError).errorCode).toBe('MALFORMED_QUERY');
      expect((error as ApiError).message).toContain(`ERROR at Row:1:Column:${column}\n${reason}`);
    }
  });
});
