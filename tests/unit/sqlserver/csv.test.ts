import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CsvError,
  type CsvView,
  listCsvCompanies,
  VIEW_COLUMNS,
} from '../../../src/emulators/sqlserver/index.js';
import { formatColumnType } from '../../../src/emulators/sqlserver/sql-type.js';

const FIXTURES = path.resolve('tests/fixtures/sqlserver');

describe('CSV loading', () => {
  const [company] = listCsvCompanies(path.join(FIXTURES, 'csv'));
  const view = (name: string) => {
    const found = company?.views.find((v) => v.view === name);
    if (found === undefined) throw new Error(`no ${name}`);
    return found;
  };

  it('finds one company per folder and one view per file', () => {
    expect(company?.company).toBe('MI_EMPRESA');
    expect(company?.views.map((v) => v.view)).toEqual(['clientes_view', 'productos_view', 'terceros_view']);
  });

  it("types a known view's columns from the contract, others from the header or the sidecar", () => {
    expect(view('terceros_view').columns).toEqual(VIEW_COLUMNS.terceros_view);
    expect(view('clientes_view').columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['id', { kind: 'int' }, false],
      ['nombre', { kind: 'nvarchar', length: 50 }, true],
      ['saldo', { kind: 'decimal', precision: 10, scale: 2 }, true],
      ['alta', { kind: 'date' }, true],
      ['visto', { kind: 'datetime2', scale: 7 }, true],
      ['activo', { kind: 'bit' }, false],
      ['nota', { kind: 'nvarchar', length: 4000 }, true],
    ]);
    expect(view('productos_view').columns.map((c) => [c.name, c.type, c.nullable])).toEqual([
      ['codigo', { kind: 'nvarchar', length: 10 }, false],
      ['precio', { kind: 'decimal', precision: 12, scale: 2 }, false],
      ['peso', { kind: 'float' }, true],
    ]);
  });

  it("reads ';' files with quoted separators and line breaks, decimal commas, sí/no, NULL versus ''", () => {
    const rows = [...view('terceros_view').rows()];

    expect(rows).toHaveLength(2);
    expect(rows[0]).toEqual([
      '900123456-8',
      'Distribuidora Peña; Muñoz S.A.S.',
      'Peña Muñoz',
      'CLIENTE',
      'Calle 12 # 3-45\nBodega 2',
      'Bogotá D.C.',
      'Bogotá D.C.',
      '+57 601 234 5678',
      'ventas@penamunoz.com.co',
      '1500000.50',
      true,
      '2024-05-06 07:08:09.1234567',
    ]);
    expect(rows[1]?.slice(1, 3)).toEqual([null, '']);
    expect(rows[1]?.[11]).toBe('2023-01-02 03:04:05.0000000');
  });

  it('reads typed values of every kind', () => {
    expect([...view('clientes_view').rows()]).toEqual([
      [1, 'Ana "la Ñ" Pérez', '-12.50', '2020-02-29', '2024-12-31 23:59:59.9999999', true, 'primera'],
      [2, null, null, null, null, false, null],
    ]);
  });

  it('names the file, line, column and accepted format of a bad value', () => {
    const [bad] = listCsvCompanies(path.join(FIXTURES, 'csv-bad'));
    const terceros = bad?.views[0];

    expect(() => [...(terceros?.rows() ?? [])]).toThrow(CsvError);
    expect(() => [...(terceros?.rows() ?? [])]).toThrow(
      /terceros_view\.csv:3: column cupo_credito \(DECIMAL\(18,2\)\) has '1\.234\.567'; expected a number such as 1500000\.50/,
    );
  });

  it('says what layout it expects when the folder holds no company', () => {
    expect(() => listCsvCompanies(path.join(FIXTURES, 'csv', 'MI_EMPRESA'))).toThrow(
      /no company found .* expected <csvDir>\/<COMPANY>\/<view>\.csv/,
    );
  });

  describe('every SQL Server type in a header', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sfsync-csv-types-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    const write = (file: string, text: string): CsvView => {
      mkdirSync(path.join(dir, 'TIPOS'), { recursive: true });
      writeFileSync(path.join(dir, 'TIPOS', file), text);
      const views = listCsvCompanies(dir)[0]?.views ?? [];
      const found = views.find((v) => `${v.view}.csv` === file);
      if (found === undefined) throw new Error(`no ${file}`);
      return found;
    };

    it('reads each value as SQL Server stores it: code page 1252, CHAR padding, 38 digits, rounding, offsets', () => {
      const header = [
        'codigo:VARCHAR(10) NOT NULL',
        'nombre:CHAR(6)',
        'monto:MONEY',
        'grande:DECIMAL(38,2)',
        'hora:TIME(0)',
        'momento:DATETIMEOFFSET(0)',
        'corto:SMALLDATETIME',
        'guid:UNIQUEIDENTIFIER',
        'bytes:VARBINARY(4)',
        'chico:TINYINT',
        'real:REAL',
        'notas:NTEXT',
      ].join(',');
      const view = write(
        'tipos_view.csv',
        `${header}\nAÑO-1,Peña,"1234,5678",123456789012345678901234567890123456.78,08:00:00.6,2026-03-01 08:00:00 -05:00,2026-03-01 08:00:30,6f9619ff-8b86-d011-b42d-00c04fc964ff,0x0A1B,255,0.1,日本\n`,
      );

      expect(view.columns.map((c) => formatColumnType(c.type))).toEqual([
        'VARCHAR(10)',
        'CHAR(6)',
        'MONEY',
        'DECIMAL(38,2)',
        'TIME(0)',
        'DATETIMEOFFSET(0)',
        'SMALLDATETIME',
        'UNIQUEIDENTIFIER',
        'VARBINARY(4)',
        'TINYINT',
        'REAL',
        'NTEXT',
      ]);
      expect([...view.rows()]).toEqual([
        [
          'AÑO-1',
          'Peña  ',
          '1234.5678',
          '123456789012345678901234567890123456.78',
          '08:00:01.0000000',
          '2026-03-01 08:00:00.0000000 -05:00',
          '2026-03-01 08:01:00.0000000',
          '6F9619FF-8B86-D011-B42D-00C04FC964FF',
          '0x0A1B',
          255,
          Math.fround(0.1),
          '日本',
        ],
      ]);
    });

    it('names the column, the value and what the type accepts when a value does not fit', () => {
      const view = write('malos_view.csv', 'codigo:VARCHAR(3),chico:TINYINT\nABCD,1\n');
      const other = write('malos2_view.csv', 'codigo:VARCHAR(3),chico:TINYINT\nABC,256\n');

      expect(() => [...view.rows()]).toThrow(
        "malos_view.csv:2: column codigo (VARCHAR(3)) has 'ABCD' (String or binary data would be truncated.); expected text",
      );
      expect(() => [...other.rows()]).toThrow(
        "malos2_view.csv:2: column chico (TINYINT) has '256' (Arithmetic overflow error for data type tinyint, value = 256.); expected an integer from 0 to 255",
      );
    });
  });
});
