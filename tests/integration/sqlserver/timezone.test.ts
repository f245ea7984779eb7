import sql from 'mssql';
import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { wallClock } from '../../../src/emulators/sqlserver/server/connection.js';
import { zoneOffsets } from '../../../src/emulators/sqlserver/sql-type.js';
import { connect, tempDir } from './helpers.js';

const SIZES = {
  ITALCOL: { terceros: 5, sucursales: 5, acuerdos: 5 },
  CASABLANCA: { terceros: 5, sucursales: 5, acuerdos: 5 },
  SANTA_REYES: { terceros: 5, sucursales: 5, acuerdos: 5 },
};

/** The zone's wall-clock time now, written as DATETIME carries it (no zone). */
function wallClockText(timeZone: string, at = new Date()): string {
  return wallClock(at, zoneOffsets(timeZone)).local.toISOString().slice(0, 19);
}

describe('SQL Server emulator server time zone', () => {
  const folder = tempDir();
  const started: SqlServerEmulator[] = [];

  afterAll(async () => {
    for (const e of started) await e.stop();
    folder.remove();
  });

  async function now(emulator: SqlServerEmulator): Promise<Record<string, string>> {
    const pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
    try {
      const result = await pool
        .request()
        .query('SELECT GETDATE() AS getdate, CURRENT_TIMESTAMP AS current_ts, SYSDATETIME() AS sysdatetime');
      const row = result.recordset[0] as Record<string, Date>;
      // mssql reads DATETIME as UTC (useUTC: true): its ISO text is the server's wall-clock text.
      return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, v.toISOString().slice(0, 19)]));
    } finally {
      await pool.close();
    }
  }

  it('GETDATE(), CURRENT_TIMESTAMP and SYSDATETIME() are Bogotá wall-clock time by default', async () => {
    const emulator = await startSqlServerEmulator({ dataDir: folder.dir, sizes: SIZES });
    started.push(emulator);
    expect(emulator.timeZone).toBe('America/Bogota');

    const before = wallClockText('America/Bogota');
    const seen = await now(emulator);
    const after = wallClockText('America/Bogota');
    for (const value of Object.values(seen)) expect([before, after]).toContain(value);
    // Bogotá is UTC-5 all year: five hours behind the UTC clock.
    const utc = new Date().toISOString().slice(0, 19);
    expect(Date.parse(`${utc}Z`) - Date.parse(`${seen.getdate}Z`)).toBeGreaterThanOrEqual(
      5 * 3600_000 - 2000,
    );
    expect(Date.parse(`${utc}Z`) - Date.parse(`${seen.getdate}Z`)).toBeLessThanOrEqual(5 * 3600_000 + 2000);
  });

  it('follows the timeZone option', async () => {
    const emulator = await startSqlServerEmulator({
      dataDir: `${folder.dir}/tokyo`,
      sizes: SIZES,
      timeZone: 'Asia/Tokyo',
    });
    started.push(emulator);
    const before = wallClockText('Asia/Tokyo');
    const seen = await now(emulator);
    const after = wallClockText('Asia/Tokyo');
    expect([before, after]).toContain(seen.getdate);
  });

  interface UtcRow {
    getutcdate: Date;
    sysdatetime: Date;
    sysutcdatetime: Date;
    sysdatetimeoffset: Date;
    sdo_text: string;
    sdt_text: string;
  }

  async function utcFunctions(emulator: SqlServerEmulator): Promise<sql.IResult<UtcRow>> {
    const pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
    try {
      return await pool
        .request()
        .query<UtcRow>(
          'SELECT GETUTCDATE() AS getutcdate, SYSDATETIME() AS sysdatetime, SYSUTCDATETIME() AS sysutcdatetime, ' +
            'SYSDATETIMEOFFSET() AS sysdatetimeoffset, CONVERT(NVARCHAR(40), SYSDATETIMEOFFSET(), 126) AS sdo_text, ' +
            'CONVERT(NVARCHAR(40), SYSDATETIME(), 126) AS sdt_text',
        );
    } finally {
      await pool.close();
    }
  }

  it('GETUTCDATE() and SYSUTCDATETIME() are UTC; SYSDATETIMEOFFSET() is local time with the zone offset', async () => {
    const emulator = started[0] as SqlServerEmulator;
    const before = new Date().toISOString().slice(0, 19);
    const result = await utcFunctions(emulator);
    const after = new Date().toISOString().slice(0, 19);
    const row = result.recordset[0] as UtcRow;
    expect([before, after]).toContain(row.getutcdate.toISOString().slice(0, 19));
    expect([before, after]).toContain(row.sysutcdatetime.toISOString().slice(0, 19));
    // One clock per statement: the zone's time is exactly five hours behind the UTC one.
    expect(row.sysutcdatetime.getTime() - row.sysdatetime.getTime()).toBe(5 * 3600_000);
    // tedious gives a DATETIMEOFFSET as its UTC instant; the text keeps the local time and offset.
    expect(row.sysdatetimeoffset.getTime()).toBe(row.sysutcdatetime.getTime());
    expect(row.sdo_text).toBe(`${row.sdt_text}-05:00`);
    expect(row.sdo_text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}-05:00$/);
    const columns = result.recordset.columns;
    expect(columns.getutcdate?.type).toBe(sql.DateTime);
    expect(columns.sysutcdatetime?.type).toBe(sql.DateTime2);
    expect([columns.sysdatetimeoffset?.type, columns.sysdatetimeoffset?.scale]).toEqual([
      sql.DateTimeOffset,
      7,
    ]);
  });

  it('SYSDATETIMEOFFSET() carries the offset of the timeZone option', async () => {
    const emulator = started[1] as SqlServerEmulator;
    expect(emulator.timeZone).toBe('Asia/Tokyo');
    const row = (await utcFunctions(emulator)).recordset[0] as UtcRow;
    expect(row.sysdatetime.getTime() - row.sysutcdatetime.getTime()).toBe(9 * 3600_000);
    expect(row.sysdatetimeoffset.getTime()).toBe(row.sysutcdatetime.getTime());
    expect(row.sdo_text.endsWith('+09:00')).toBe(true);
  });

  it('computes wall-clock time and offset for a zone', () => {
    const at = new Date('2026-03-01T13:00:00.250Z');
    expect(wallClock(at, zoneOffsets('America/Bogota'))).toEqual({
      local: new Date('2026-03-01T08:00:00.250Z'),
      offsetMinutes: -300,
    });
    expect(wallClock(at, zoneOffsets('Asia/Kolkata')).offsetMinutes).toBe(330);
  });

  it('refuses a zone it does not know, naming what is accepted', async () => {
    await expect(startSqlServerEmulator({ dataDir: folder.dir, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      "timeZone must be an IANA time zone such as America/Bogota or UTC, got 'Mars/Olympus'",
    );
  });
});
