import { dateText, timeText, ZoneClock } from '../../../src/core/values/time.js';

const wall = (text: string) => {
  const [date = '', time = ''] = text.split(' ');
  const [year = 0, month = 0, day = 0] = date.split('-').map(Number);
  const [hour = 0, minute = 0, sec = '0'] = time.split(':').map((x, i) => (i === 2 ? x : Number(x))) as [
    number,
    number,
    string,
  ];
  const [second = 0, ms = 0] = String(sec).split('.').map(Number);
  return { year, month, day, hour, minute, second, millisecond: ms };
};

describe('ZoneClock: wall-clock datetimes of a zone as instants', () => {
  it('reads a Bogotá wall-clock time (UTC-5, no DST) as five hours later in UTC', () => {
    const bogota = new ZoneClock('America/Bogota');
    expect(bogota.instant(wall('2024-03-15 08:30:00.250')).toISOString()).toBe('2024-03-15T13:30:00.250Z');
    expect(bogota.instant(wall('2024-12-31 23:59:59')).toISOString()).toBe('2025-01-01T04:59:59.000Z');
  });

  it('uses the offset in force on that day in New York (EST in winter, EDT in summer)', () => {
    const ny = new ZoneClock('America/New_York');
    expect(ny.instant(wall('2024-01-10 12:00:00')).toISOString()).toBe('2024-01-10T17:00:00.000Z');
    expect(ny.instant(wall('2024-07-10 12:00:00')).toISOString()).toBe('2024-07-10T16:00:00.000Z');
  });

  it('moves a time in the spring-forward gap forward by the gap (02:30 never happened on 2024-03-10)', () => {
    const ny = new ZoneClock('America/New_York');
    expect(ny.instant(wall('2024-03-10 01:59:59')).toISOString()).toBe('2024-03-10T06:59:59.000Z');
    expect(ny.instant(wall('2024-03-10 02:30:00')).toISOString()).toBe('2024-03-10T07:30:00.000Z');
    expect(ny.instant(wall('2024-03-10 03:00:00')).toISOString()).toBe('2024-03-10T07:00:00.000Z');
  });

  it('takes the earlier instant for a time in the fall-back overlap (01:30 happened twice on 2024-11-03)', () => {
    const ny = new ZoneClock('America/New_York');
    expect(ny.instant(wall('2024-11-03 00:59:00')).toISOString()).toBe('2024-11-03T04:59:00.000Z');
    expect(ny.instant(wall('2024-11-03 01:30:00')).toISOString()).toBe('2024-11-03T05:30:00.000Z');
    expect(ny.instant(wall('2024-11-03 02:00:00')).toISOString()).toBe('2024-11-03T07:00:00.000Z');
  });

  it("reinterprets tedious' UTC-field Date and keeps years before 100", () => {
    const bogota = new ZoneClock('America/Bogota');
    expect(bogota.fromUtcFields(new Date('2024-06-01T07:00:00.000Z')).toISOString()).toBe(
      '2024-06-01T12:00:00.000Z',
    );
    expect(new ZoneClock('UTC').instant(wall('0050-01-01 00:00:00')).toISOString()).toBe(
      '0050-01-01T00:00:00.000Z',
    );
  });

  it('keeps each offset exact on a transition day after whole days were remembered', () => {
    const clock = new ZoneClock('America/New_York');
    const hour = 3_600_000;
    // 2024-03-10: EST until 07:00 UTC, EDT after; the days around it are whole (remembered).
    expect(clock.offsetAt(Date.UTC(2024, 2, 9, 12))).toBe(-5 * hour);
    expect(clock.offsetAt(Date.UTC(2024, 2, 11, 12))).toBe(-4 * hour);
    expect(clock.offsetAt(Date.UTC(2024, 2, 10, 6, 59, 59))).toBe(-5 * hour);
    expect(clock.offsetAt(Date.UTC(2024, 2, 10, 7))).toBe(-4 * hour);
    expect(clock.offsetAt(Date.UTC(2024, 2, 10, 6, 59, 59))).toBe(-5 * hour);
    // A second reading of a remembered day answers the same.
    expect(clock.offsetAt(Date.UTC(2024, 2, 9, 23, 59, 59, 999))).toBe(-5 * hour);
  });

  it('keeps DATE as its calendar date and TIME as text', () => {
    expect(dateText(new Date('2024-02-29T00:00:00.000Z'))).toBe('2024-02-29');
    expect(timeText(new Date('1970-01-01T17:45:09.120Z'))).toBe('17:45:09.120');
  });
});
