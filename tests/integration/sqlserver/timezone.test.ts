import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { wallClock, zoneFormat } from '../../../src/emulators/sqlserver/server/connection.js';
import { connect, tempDir } from './helpers.js';

const SIZES = {
  ITALCOL: { terceros: 5, sucursales: 5, acuerdos: 5 },
  CASABLANCA: { terceros: 5, sucursales: 5, acuerdos: 5 },
  SANTA_REYES: { terceros: 5, sucursales: 5, acuerdos: 5 },
};

/** The zone's wall-clock time now, written as DATETIME carries it (no zone). */
function wallClockText(timeZone: string, at = new Date()): string {
  return wallClock(at, zoneFormat(timeZone)).local.toISOString().slice(0, 19);
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

  it('computes wall-clock time and offset for a zone', () => {
    const at = new Date('2026-03-01T13:00:00.250Z');
    expect(wallClock(at, zoneFormat('America/Bogota'))).toEqual({
      local: new Date('2026-03-01T08:00:00.250Z'),
      offsetMinutes: -300,
    });
    expect(wallClock(at, zoneFormat('Asia/Kolkata')).offsetMinutes).toBe(330);
  });

  it('refuses a zone it does not know, naming what is accepted', async () => {
    await expect(startSqlServerEmulator({ dataDir: folder.dir, timeZone: 'Mars/Olympus' })).rejects.toThrow(
      "timeZone must be an IANA time zone such as America/Bogota or UTC, got 'Mars/Olympus'",
    );
  });
});
