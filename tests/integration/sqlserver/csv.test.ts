import path from 'node:path';
import sql from 'mssql';
import { type SqlServerEmulator, startSqlServerEmulator } from '../../../src/emulators/sqlserver/index.js';
import { connect, tempDir } from './helpers.js';

describe('companies loaded from CSV files', () => {
  const folder = tempDir();
  let emulator: SqlServerEmulator;
  let pool: sql.ConnectionPool;

  beforeAll(async () => {
    emulator = await startSqlServerEmulator({
      dataDir: folder.dir,
      csvDir: path.resolve('tests/fixtures/sqlserver/csv'),
    });
    pool = await connect(emulator, emulator.databases.MI_EMPRESA ?? '');
  });

  afterAll(async () => {
    await pool.close();
    await emulator.stop();
    folder.remove();
  });

  it('serves one database per company folder', () => {
    expect(emulator.databases).toEqual({ MI_EMPRESA: 'ERP_MI_EMPRESA' });
  });

  it('returns the CSV values with the declared types', async () => {
    const result = await pool.request().query('SELECT * FROM clientes_view ORDER BY id');

    expect(result.recordset).toEqual([
      {
        id: 1,
        nombre: 'Ana "la Ñ" Pérez',
        saldo: -12.5,
        alta: new Date('2020-02-29T00:00:00Z'),
        visto: new Date('2024-12-31T23:59:59.999Z'),
        activo: true,
        nota: 'primera',
      },
      { id: 2, nombre: null, saldo: null, alta: null, visto: null, activo: false, nota: null },
    ]);
    const columns = result.recordset.columns;
    expect([columns.saldo?.type, columns.saldo?.precision, columns.saldo?.scale]).toEqual([
      sql.Decimal,
      10,
      2,
    ]);
    expect([columns.id?.type, columns.id?.nullable]).toEqual([sql.Int, false]);
    expect(columns.nota?.length).toBe(8000);
  });

  it('types a contract view from the contract and a sidecar-typed view from its sidecar', async () => {
    const terceros = await pool
      .request()
      .query("SELECT cupo_credito, activo FROM terceros_view WHERE nit = N'900123456-8'");
    const productos = await pool
      .request()
      .query('SELECT codigo, precio, peso FROM productos_view WHERE precio > 1');

    expect(terceros.recordset).toEqual([{ cupo_credito: 1500000.5, activo: true }]);
    expect(terceros.recordset.columns.cupo_credito?.precision).toBe(18);
    expect(productos.recordset).toEqual([{ codigo: 'P-001', precio: 1999.99, peso: 40.5 }]);
    expect(productos.recordset.columns.peso?.type).toBe(sql.Float);
  });
});
