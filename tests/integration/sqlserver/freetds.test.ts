import { execFileSync, spawn } from 'node:child_process';
import {
  DATABASE_NAMES,
  generateCompany,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { tempDir } from './helpers.js';

/**
 * A second TDS client, FreeTDS' `tsql` (Debian package freetds-bin), so the emulator follows the
 * protocol rather than one driver's leniency.
 */
function hasTsql(): boolean {
  try {
    execFileSync('tsql', ['-C'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** How tsql prints a date and time by default: 'Dec 20 2024 12:12AM'. */
function freetdsDate(text: string): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const [date = '', time = ''] = text.split(' ');
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  const hour12 = hour % 12 === 0 ? 12 : hour % 12;
  return `${months[month - 1]} ${String(day).padStart(2, ' ')} ${year} ${String(hour12).padStart(2, '0')}:${String(minute).padStart(2, '0')}${hour < 12 ? 'AM' : 'PM'}`;
}

describe('FreeTDS tsql against the emulator', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: { SANTA_REYES: { terceros: 60, sucursales: 20, acuerdos: 60 } },
    });
  });

  afterAll(async () => {
    await emulator.stop();
    folder.remove();
  });

  async function tsql(script: string): Promise<string> {
    // Asynchronously: a synchronous child would block the event loop that serves the emulator.
    return new Promise((resolve, reject) => {
      const child = spawn(
        'tsql',
        [
          '-H',
          emulator.host,
          '-p',
          String(emulator.port),
          '-U',
          emulator.user,
          '-P',
          emulator.password,
          '-D',
          DATABASE_NAMES.SANTA_REYES,
        ],
        { env: { ...process.env, TDSVER: '7.4', LANG: 'C.UTF-8' } },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.stderr.on('data', (d: Buffer) => {
        out += d.toString('utf8');
      });
      child.on('error', reject);
      child.on('close', () => resolve(out));
      child.stdin.end(`${script}\nexit\n`);
    });
  }

  it('is installed (apt-get install -y freetds-bin)', () => {
    expect({ tsql: hasTsql(), hint: 'apt-get install -y freetds-bin' }).toEqual({
      tsql: true,
      hint: 'apt-get install -y freetds-bin',
    });
  });

  it('logs in, reads typed values with accents, DECIMAL, DATETIME2 and NVARCHAR(MAX), and sees errors', async () => {
    const g = generateCompany('SANTA_REYES', { terceros: 60, sucursales: 20, acuerdos: 60 });
    const tercero = [...g.terceros()].find(
      (t) => /[ñáéíóú]/i.test(t.razon_social ?? '') && t.cupo_credito !== null,
    );
    const acuerdo = [...g.acuerdos()].find((a) => (a.descripcion?.length ?? 0) > 4000);

    const out = await tsql(
      [
        `SELECT nit, razon_social, cupo_credito, fecha_modificacion FROM terceros_view WHERE nit = N'${tercero?.nit}'`,
        'go',
        `SELECT id_acuerdo, LEN(descripcion) AS largo FROM acuerdos_view WHERE id_acuerdo = ${String(acuerdo?.id_acuerdo)}`,
        'go',
        'SELECT COUNT(*) AS n FROM terceros_view',
        'go',
        'SELECT * FROM no_existe',
        'go',
      ].join('\n'),
    );

    expect(out).toContain(
      `${tercero?.nit}\t${tercero?.razon_social}\t${tercero?.cupo_credito}\t${freetdsDate(tercero?.fecha_modificacion ?? '')}`,
    );
    expect(out).toContain(`${String(acuerdo?.id_acuerdo)}\t${acuerdo?.descripcion?.length}`);
    expect(out).toMatch(/\n60\n/);
    expect(out).toContain('Msg 208 (severity 16, state 1) from SFSYNC-SQLSERVER');
    expect(out).toContain("Invalid object name 'no_existe'.");
  });
});
