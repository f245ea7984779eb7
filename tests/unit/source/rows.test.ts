import sql from 'mssql';
import { RowConverter } from '../../../src/core/source/rows.js';

const columns = (types: Record<string, { declaration: string }>) =>
  Object.fromEntries(Object.entries(types).map(([name, type]) => [name, { name, type }]));

describe("RowConverter: tedious' values as what SQL Server meant", () => {
  it('reads zone-less datetimes as wall clock in the company zone, DATE unshifted, TIME as text, DATETIMEOFFSET as is', () => {
    const c = new RowConverter('America/Bogota');
    c.columns(
      columns({
        dt: sql.DateTime,
        dt2: sql.DateTime2,
        sdt: sql.SmallDateTime,
        d: sql.Date,
        t: sql.Time,
        dto: sql.DateTimeOffset,
      } as unknown as Record<string, { declaration: string }>),
    );
    const offset = new Date('2026-03-02T04:30:00.000Z');
    const row = c.convert({
      dt: new Date('2026-03-01T22:15:00.003Z'),
      dt2: new Date('2026-03-01T08:00:00.123Z'),
      sdt: new Date('2026-03-01T08:01:00.000Z'),
      d: new Date('2026-03-01T00:00:00.000Z'),
      t: new Date('1970-01-01T08:00:00.123Z'),
      dto: offset,
      other: 'x',
    });
    expect(row).toEqual({
      dt: '2026-03-01T22:15:00.003-05:00',
      dt2: '2026-03-01T08:00:00.123-05:00',
      sdt: '2026-03-01T08:01:00.000-05:00',
      d: '2026-03-01',
      t: '08:00:00.123',
      dto: offset,
      other: 'x',
    });
    // The local evening stays on its local day for a `date` field, and is the next day in UTC.
    expect(new Date(String(row.dt)).toISOString()).toBe('2026-03-02T03:15:00.003Z');
  });

  it('writes the offset in force on the day in a zone with DST', () => {
    const c = new RowConverter('America/New_York');
    c.columns(columns({ dt2: sql.DateTime2 } as unknown as Record<string, { declaration: string }>));
    expect(c.convert({ dt2: new Date('2024-07-04T12:00:00.000Z') }).dt2).toBe(
      '2024-07-04T12:00:00.000-04:00',
    );
    expect(c.convert({ dt2: new Date('2024-01-04T12:00:00.000Z') }).dt2).toBe(
      '2024-01-04T12:00:00.000-05:00',
    );
    expect(c.convert({ dt2: null }).dt2).toBeNull();
  });
});
