import {
  DATABASE_NAMES,
  type SqlServerEmulator,
  startSqlServerEmulator,
} from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

const SIZES = {
  ITALCOL: { terceros: 60, sucursales: 5, acuerdos: 5 },
  CASABLANCA: { terceros: 5, sucursales: 5, acuerdos: 5 },
  SANTA_REYES: { terceros: 5, sucursales: 5, acuerdos: 5 },
};

/** Every active flag ties with about half the rows: the order among them is the server's to choose. */
const TIES = 'SELECT nit, activo FROM terceros_view ORDER BY activo';

describe('the orderSeed option: ORDER BY ties in a seeded order', () => {
  const folder = tempDir();
  const started: SqlServerEmulator[] = [];

  afterAll(async () => {
    for (const e of started) await e.stop();
    folder.remove();
  });

  async function start(orderSeed?: number): Promise<SqlServerEmulator> {
    const emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      sizes: SIZES,
      ...(orderSeed === undefined ? {} : { orderSeed }),
    });
    started.push(emulator);
    return emulator;
  }

  async function rows(emulator: SqlServerEmulator, text = TIES): Promise<{ nit: string; activo: boolean }[]> {
    const pool = await connect(emulator, DATABASE_NAMES.ITALCOL);
    try {
      return (await pool.request().query<{ nit: string; activo: boolean }>(text)).recordset;
    } finally {
      await pool.close();
    }
  }

  it('returns the same ties in another order under another seed, and the same order under the same seed', async () => {
    const byDefault = await rows(await start());
    const seedOne = await rows(await start(1));
    const seedTwo = await rows(await start(2));
    const seedTwoAgain = await rows(await start(2));

    expect(byDefault).toHaveLength(60);
    // The ORDER BY holds under every seed; only the order within each tie changes.
    for (const result of [byDefault, seedTwo]) {
      const flags = result.map((r) => r.activo);
      expect(flags).toEqual([...flags].sort((a, b) => Number(a) - Number(b)));
    }
    expect(seedOne).toEqual(byDefault);
    expect(seedTwoAgain).toEqual(seedTwo);
    expect(seedTwo.map((r) => r.nit)).not.toEqual(byDefault.map((r) => r.nit));
    expect(new Set(seedTwo.map((r) => r.nit))).toEqual(new Set(byDefault.map((r) => r.nit)));
  });

  it('leaves a total order alone: ORDER BY the key is the same under every seed', async () => {
    const [one, two] = started as [SqlServerEmulator, SqlServerEmulator];
    const text = 'SELECT nit, activo FROM terceros_view ORDER BY nit';
    expect(await rows(two, text)).toEqual(await rows(one, text));
  });

  it('refuses a seed that is not an integer from 0 to 4294967295', async () => {
    await expect(startSqlServerEmulator({ dataDir: folder.dir, orderSeed: -1 })).rejects.toThrow(
      'orderSeed must be an integer from 0 to 4294967295, got -1',
    );
    await expect(startSqlServerEmulator({ dataDir: folder.dir, orderSeed: 2.5 })).rejects.toThrow(
      'orderSeed must be an integer from 0 to 4294967295, got 2.5',
    );
  });
});
