import { dateText, timeText, ZoneClock } from '../values/time.js';

export type Row = Record<string, unknown>;

type Convert = (value: Date) => unknown;

/** An instant as ISO 8601 with the zone's offset at that instant: `2024-03-15T08:30:00.000-05:00`. */
function localIso(instant: Date, clock: ZoneClock): string {
  const offset = clock.offsetAt(instant.getTime());
  const wall = new Date(instant.getTime() + offset).toISOString().slice(0, 23);
  const sign = offset < 0 ? '-' : '+';
  const minutes = Math.abs(offset) / 60000;
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${wall}${sign}${hh}:${mm}`;
}

/**
 * Turns tedious' values (read with `useUTC: true`) into what they mean:
 * - DATETIME/DATETIME2/SMALLDATETIME are wall-clock times in the company's zone: the instant,
 *   written with the zone's offset (a `datetime` field sends the instant, a `date` field its local day);
 * - DATE is its calendar day, never shifted; TIME is the time of day as text;
 * - DATETIMEOFFSET already is the right instant and stays a Date.
 */
export class RowConverter {
  private readonly clock: ZoneClock;
  private converters: Array<[string, Convert]> = [];

  constructor(timeZone: string) {
    this.clock = new ZoneClock(timeZone);
  }

  /** Column metadata as mssql's `recordset` event gives it. */
  columns(columns: Record<string, { name: string; type?: { declaration?: string } }>): void {
    const out: Array<[string, Convert]> = [];
    for (const c of Object.values(columns)) {
      const type = (c.type?.declaration ?? '').toLowerCase();
      if (type === 'datetime' || type === 'datetime2' || type === 'smalldatetime') {
        out.push([c.name, (d) => localIso(this.clock.fromUtcFields(d), this.clock)]);
      } else if (type === 'date') out.push([c.name, dateText]);
      else if (type === 'time') out.push([c.name, timeText]);
    }
    this.converters = out;
  }

  convert(row: Row): Row {
    for (const [name, convert] of this.converters) {
      const v = row[name];
      if (v instanceof Date) row[name] = convert(v);
    }
    return row;
  }
}
