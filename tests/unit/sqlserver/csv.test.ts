import path from 'node:path';
import { CsvError, listCsvCompanies, VIEW_COLUMNS } from '../../../src/emulators/sqlserver/index.js';

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
});
