/** Wall-clock fields as SQL Server stores them in DATETIME/DATETIME2/SMALLDATETIME: no zone. */
export interface WallTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
}

const DAY = 86_400_000;

/** Date.UTC without its quirk of reading years 0-99 as 1900-1999 (DATETIME2 starts at year 1). */
function utc(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, ms);
  return date.getTime();
}

/**
 * Turns wall-clock times of one IANA zone into instants, as Temporal's "compatible"
 * disambiguation does: a time in a DST overlap is the earlier instant, a time in a DST gap
 * (which never happened on the clock) is moved forward by the gap.
 */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  /**
   * The offset of each UTC day whose first and last second share it (every day but the few with
   * a transition): Intl's formatToParts costs microseconds, and a view's datetimes call it four
   * times each. Days with a transition are computed exactly every time.
   */
  private readonly daily = new Map<number, number>();

  constructor(readonly zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** The zone's offset from UTC at an instant, in milliseconds (east positive). */
  offsetAt(instant: number): number {
    const day = Math.floor(instant / DAY);
    const known = this.daily.get(day);
    if (known !== undefined) return known;
    const start = this.exactOffsetAt(day * DAY);
    if (start !== this.exactOffsetAt(day * DAY + DAY - 1000)) return this.exactOffsetAt(instant);
    this.daily.set(day, start);
    return start;
  }

  private exactOffsetAt(instant: number): number {
    const parts: Record<string, number> = {};
    for (const p of this.format.formatToParts(new Date(instant))) {
      if (p.type !== 'literal') parts[p.type] = Number(p.value);
    }
    const asUtc = utc(
      parts.year ?? 1970,
      parts.month ?? 1,
      parts.day ?? 1,
      parts.hour ?? 0,
      parts.minute ?? 0,
      parts.second ?? 0,
    );
    const whole = instant - (((instant % 1000) + 1000) % 1000);
    return asUtc - whole;
  }

  /** The instant at which the zone's clocks showed this wall-clock time. */
  instant(w: WallTime): Date {
    const local = utc(w.year, w.month, w.day, w.hour, w.minute, w.second, w.millisecond);
    const before = this.offsetAt(local - DAY);
    const after = this.offsetAt(local + DAY);
    const candidates = [local - before, local - after].filter((t) => this.offsetAt(t) === local - t);
    if (candidates.length > 0) return new Date(Math.min(...candidates));
    return new Date(local - before);
  }

  /**
   * tedious (with `useUTC: true`) returns a zone-less SQL Server datetime as a Date whose UTC
   * fields are the stored wall-clock fields; this reads those fields as time in the zone.
   */
  fromUtcFields(d: Date): Date {
    return this.instant({
      year: d.getUTCFullYear(),
      month: d.getUTCMonth() + 1,
      day: d.getUTCDate(),
      hour: d.getUTCHours(),
      minute: d.getUTCMinutes(),
      second: d.getUTCSeconds(),
      millisecond: d.getUTCMilliseconds(),
    });
  }
}

/** A DATE read by tedious as UTC midnight: the calendar date, never shifted. */
export function dateText(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** A TIME read by tedious as a Date on 1970-01-01 UTC: the time of day as text (hh:mm:ss.fff). */
export function timeText(d: Date): string {
  return d.toISOString().slice(11, 23);
}
