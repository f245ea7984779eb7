import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type sql from 'mssql';
import { type SqlServerEmulator, startSqlServerEmulator } from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

/** Keys that SQL Server's Modern_Spanish_CI_AS treats as equal, or not, by case, accents and spaces. */
const KEYS: [number, string][] = [
  [1, 'ab-1'],
  [2, 'AB-1'],
  [3, 'ab-1  '],
  [4, ' ab-1'],
  [5, 'Ñandú'],
  [6, 'ñandú'],
  [7, 'nandu'],
  [8, 'zeta'],
  [9, 'ab-1\t'],
  [10, 'Émile'],
  [11, 'emile'],
  [12, 'Ab-1'],
];

describe('collations through mssql (Modern_Spanish_CI_AS by default)', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    const company = path.join(folder.dir, 'csv', 'ACME');
    mkdirSync(company, { recursive: true });
    const lines = [
      'id:INT NOT NULL,clave:NVARCHAR(20) NOT NULL',
      ...KEYS.map(([id, key]) => `${id},"${key}"`),
    ];
    writeFileSync(path.join(company, 'claves_view.csv'), `${lines.join('\n')}\n`);
    emulator = await startSqlServerEmulator({
      dataDir: path.join(folder.dir, 'data'),
      csvDir: path.dirname(company),
    });
    pool = await connect(emulator, emulator.databases.ACME ?? '');
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  const ids = async (query: string): Promise<number[]> =>
    (await pool.request().query<{ id: number }>(query)).recordset.map((r) => r.id);

  it('compares case-insensitively, accent-sensitively, ignoring trailing spaces only', async () => {
    expect(await ids("SELECT id FROM claves_view WHERE clave = N'AB-1' ORDER BY id")).toEqual([1, 2, 3, 12]);
    expect(await ids("SELECT id FROM claves_view WHERE clave = N'ñANDÚ' ORDER BY id")).toEqual([5, 6]);
    expect(await ids("SELECT id FROM claves_view WHERE clave = N'EMILE' ORDER BY id")).toEqual([11]);
    expect(await ids("SELECT id FROM claves_view WHERE clave IN (N'ZETA', N'nandu') ORDER BY id")).toEqual([
      7, 8,
    ]);
    expect(
      await ids("SELECT id FROM claves_view WHERE clave <> N'ab-1' AND clave < N'b' ORDER BY id"),
    ).toEqual([4, 9]);
    expect(await ids("SELECT id FROM claves_view WHERE clave LIKE N'ñ%' ORDER BY id")).toEqual([5, 6]);
    expect(await ids("SELECT id FROM claves_view WHERE clave LIKE N'e%' ORDER BY id")).toEqual([11]);
  });

  it('follows a COLLATE clause: case-sensitive, accent-insensitive, binary', async () => {
    expect(
      await ids("SELECT id FROM claves_view WHERE clave = N'ab-1' COLLATE Latin1_General_CS_AS ORDER BY id"),
    ).toEqual([1, 3]);
    expect(
      await ids("SELECT id FROM claves_view WHERE clave COLLATE Modern_Spanish_CI_AI = N'EMILE' ORDER BY id"),
    ).toEqual([10, 11]);
    expect(
      await ids("SELECT id FROM claves_view WHERE clave COLLATE Modern_Spanish_CI_AI = N'nandu' ORDER BY id"),
    ).toEqual([7]);
    expect(
      await ids("SELECT id FROM claves_view WHERE clave COLLATE Latin1_General_CI_AI = N'nandu' ORDER BY id"),
    ).toEqual([5, 6, 7]);
    expect(
      await ids("SELECT id FROM claves_view WHERE clave = N'Ab-1' COLLATE Latin1_General_BIN2 ORDER BY id"),
    ).toEqual([12]);
  });

  it('orders by the collation (ñ after n) and shuffles rows it leaves tied', async () => {
    const order = await ids('SELECT id FROM claves_view ORDER BY clave');

    expect(order[0]).toBe(4);
    expect(order.slice(1, 5).sort((a, b) => a - b)).toEqual([1, 2, 3, 12]);
    expect(order.slice(1, 5)).not.toEqual([1, 2, 3, 12]);
    expect(order.slice(5, 9)).toEqual([9, 11, 10, 7]);
    expect(order.slice(9, 11).sort((a, b) => a - b)).toEqual([5, 6]);
    expect(order[11]).toBe(8);
    expect(await ids('SELECT id FROM claves_view ORDER BY clave')).toEqual(order);
    const binary = await ids('SELECT id FROM claves_view ORDER BY clave COLLATE Latin1_General_BIN2 DESC');
    expect(binary.slice(0, 7)).toEqual([6, 5, 10, 8, 7, 11, 9]);
    expect(binary.slice(7, 9).sort((a, b) => a - b)).toEqual([1, 3]);
    expect(binary.slice(9)).toEqual([12, 2, 4]);
  });

  it('groups DISTINCT, COUNT(DISTINCT), MIN and MAX by the collation', async () => {
    const distinct = await pool.request().query<{ clave: string }>('SELECT DISTINCT clave FROM claves_view');
    const counted = await pool
      .request()
      .query('SELECT COUNT(DISTINCT clave) AS n, MIN(clave) AS lo, MAX(clave) AS hi FROM claves_view');

    expect(distinct.recordset).toHaveLength(8);
    expect(counted.recordset).toEqual([{ n: 8, lo: ' ab-1', hi: 'zeta' }]);
  });

  it('joins on the collation and resolves column and view names case-insensitively', async () => {
    expect(
      await ids(
        'SELECT B.ID AS id FROM CLAVES_VIEW a INNER JOIN dbo.Claves_View b ON b.Clave = a.CLAVE WHERE a.id = 2 ORDER BY B.id',
      ),
    ).toEqual([1, 2, 3, 12]);
  });

  it('refuses to compare two different column collations (Msg 468)', async () => {
    const failure = pool
      .request()
      .query(
        'SELECT id FROM (SELECT id, clave COLLATE Latin1_General_BIN2 AS b, clave FROM claves_view) AS q WHERE b = clave',
      );

    await expect(failure).rejects.toMatchObject({
      number: 468,
      message:
        'Cannot resolve the collation conflict between "Latin1_General_BIN2" and "Modern_Spanish_CI_AS" in the equal to operation.',
    });
  });
});
