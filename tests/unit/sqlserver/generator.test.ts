import {
  COMPANIES,
  DIRTY_TERCERO_INDEX,
  dirtyRows,
  generateCompany,
  localTimeRows,
  nitCheckDigit,
  nitForIndex,
  ORPHAN_SUCURSAL_INDEX,
  orphanNit,
  resolveSizes,
  terceroRow,
} from '../../../src/emulators/sqlserver/index.js';

const EMAIL = /^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)+$/;
const NIT = /^(\d{9})-(\d)$/;

describe('NIT check digit (DIAN)', () => {
  it.each([
    ['890903938', 8], // Bancolombia
    ['899999068', 1], // Ecopetrol
    ['860034313', 7], // Davivienda
    ['800197268', 4], // DIAN
  ])('%s has check digit %i', (digits, expected) => {
    expect(nitCheckDigit(digits)).toBe(expected);
  });
});

describe('demo data generator', () => {
  it('is deterministic: the same company, sizes and seed give the same rows', () => {
    const a = [...generateCompany('ITALCOL', { terceros: 50, sucursales: 20, acuerdos: 20 }).acuerdos()];
    const b = [...generateCompany('ITALCOL', { terceros: 50, sucursales: 20, acuerdos: 20 }).acuerdos()];
    const other = [
      ...generateCompany('ITALCOL', { terceros: 50, sucursales: 20, acuerdos: 20 }, 7).acuerdos(),
    ];

    expect(a).toEqual(b);
    expect(a).not.toEqual(other);
  });

  it('defaults to about 2,000 / 3,000 / 1,000 rows for ITALCOL and fewer for the others', () => {
    expect(resolveSizes('ITALCOL')).toEqual({ terceros: 2000, sucursales: 3000, acuerdos: 1000 });
    for (const company of ['CASABLANCA', 'SANTA_REYES']) {
      const sizes = resolveSizes(company);
      expect(sizes.terceros).toBeLessThan(2000);
      expect(sizes.acuerdos).toBeLessThan(1000);
    }
  });

  it('generates rows lazily, so a million-row view is never materialized', () => {
    const iterator = generateCompany('ITALCOL', { terceros: 1_000_000 }).terceros()[Symbol.iterator]();

    const first = iterator.next();

    expect(first.done).toBe(false);
    expect(first.value).toEqual(terceroRow('ITALCOL', 0));
  });

  it('lists the dirty rows, present by default in every company', () => {
    for (const company of COMPANIES) {
      const kinds = dirtyRows(company).map((d) => `${d.view}:${d.kind}`);

      expect(kinds.sort()).toEqual([
        'sucursales_view:accent-case-variant-key',
        'sucursales_view:accent-distinct-key',
        'sucursales_view:case-variant-key',
        'sucursales_view:leading-space-key',
        'sucursales_view:orphan-parent',
        'sucursales_view:trailing-space-key',
        'terceros_view:duplicate-key',
        'terceros_view:invalid-email',
        'terceros_view:missing-required',
        'terceros_view:name-too-long',
        'terceros_view:stray-whitespace',
      ]);
    }
  });

  it('makes the dirty rows dirty the way the list says', () => {
    const g = generateCompany('CASABLANCA');
    const terceros = [...g.terceros()];
    const sucursales = [...g.sucursales()];
    const t = DIRTY_TERCERO_INDEX;

    expect(terceros[t.missingName]?.razon_social).toBeNull();
    expect(terceros[t.longName]?.razon_social).toHaveLength(300);
    const padded = terceros[t.strayWhitespace];
    expect(padded?.razon_social).toMatch(/^\s+\S.*\S\s+$/);
    expect(padded?.email?.trim()).toMatch(EMAIL);
    expect(padded?.email).not.toBe(padded?.email?.trim());
    expect(terceros[t.invalidEmail]?.email).toContain('@@');
    expect(terceros[t.duplicateSecond]?.nit).toBe(terceros[t.duplicateFirst]?.nit);
    expect(terceros[t.duplicateSecond]).not.toEqual(terceros[t.duplicateFirst]);
    expect(sucursales[ORPHAN_SUCURSAL_INDEX]?.nit_tercero).toBe(orphanNit('CASABLANCA'));
    expect(terceros.some((row) => row.nit === orphanNit('CASABLANCA'))).toBe(false);
  });

  it('holds key variants as SQL Server compares them: case, Ñ/ñ, trailing and leading spaces, accents', () => {
    const g = generateCompany('SANTA_REYES');
    const sucursales = [...g.sucursales()];
    const variants = dirtyRows('SANTA_REYES').filter((d) => d.keys !== undefined);

    expect(
      variants.map((d) => [d.kind, d.keys, d.indexes.map((i) => sucursales[i]?.codigo_sucursal)]),
    ).toEqual([
      ['case-variant-key', ['ab-1', 'AB-1'], ['ab-1', 'AB-1']],
      ['accent-case-variant-key', ['MUÑOZ-1', 'muñoz-1'], ['MUÑOZ-1', 'muñoz-1']],
      ['trailing-space-key', ['L-WS', 'L-WS '], ['L-WS', 'L-WS ']],
      ['leading-space-key', [' L-WS2', 'L-WS2'], [' L-WS2', 'L-WS2']],
      ['accent-distinct-key', ['CAFE-1', 'CAFÉ-1'], ['CAFE-1', 'CAFÉ-1']],
    ]);
    expect(variants.every((d) => d.view === 'sucursales_view' && d.column === 'codigo_sucursal')).toBe(true);
    expect(dirtyRows('SANTA_REYES', { sucursales: 50 }).filter((d) => d.keys !== undefined)).toHaveLength(3);
  });

  it('writes DATETIME2 values as the wall clock of the server time zone, with one known Bogotá row per company', () => {
    for (const company of COMPANIES) {
      const [row] = localTimeRows(company);

      expect(row).toEqual({
        company,
        view: 'terceros_view',
        key: nitForIndex(company, 7),
        index: 7,
        column: 'fecha_modificacion',
        wallClock: '2026-03-01 08:00:00.0000000',
        instant: new Date('2026-03-01T13:00:00.000Z'),
      });
      expect(terceroRow(company, 7).fecha_modificacion).toBe('2026-03-01 08:00:00.0000000');
    }
    expect(localTimeRows('ITALCOL', {}, undefined, 'America/New_York')[0]?.instant).toEqual(
      new Date('2026-03-01T13:00:00.000Z'),
    );
    expect(localTimeRows('ITALCOL', {}, undefined, 'Europe/Madrid')[0]?.instant).toEqual(
      new Date('2026-03-01T07:00:00.000Z'),
    );
    expect(localTimeRows('ITALCOL', { terceros: 5 })).toEqual([]);
    // The same instants, read on another zone's clock: Bogotá is UTC-5 all year, UTC shows 5 hours more.
    const bogota = [...generateCompany('ITALCOL', { terceros: 20 }, undefined, 'America/Bogota').terceros()];
    const utc = [...generateCompany('ITALCOL', { terceros: 20 }, undefined, 'UTC').terceros()];
    const instant = (text: string, zoneHours: number) =>
      Date.parse(`${text.slice(0, 23).replace(' ', 'T')}Z`) - zoneHours * 3_600_000;
    expect(bogota[0]?.fecha_modificacion).not.toBe(utc[0]?.fecha_modificacion);
    expect(instant(bogota[0]?.fecha_modificacion as string, -5)).toBe(
      instant(utc[0]?.fecha_modificacion as string, 0),
    );
    expect(() => generateCompany('ITALCOL', {}, undefined, 'Mars/Olympus')).toThrow(
      "unknown time zone 'Mars/Olympus': give an IANA name such as America/Bogota, America/New_York or UTC",
    );
  });

  it('keeps every other row clean: keys unique, required values, names within 255, valid emails, parents that exist', () => {
    for (const company of COMPANIES) {
      const g = generateCompany(company);
      const dirty = dirtyRows(company);
      const dirtyTerceros = new Set(
        dirty.filter((d) => d.view === 'terceros_view').flatMap((d) => d.indexes),
      );
      const terceros = [...g.terceros()];
      const sucursales = [...g.sucursales()];
      const acuerdos = [...g.acuerdos()];
      const nits = new Set(terceros.map((r) => r.nit));
      const codes = new Map(sucursales.map((s) => [s.codigo_sucursal, s.nit_tercero]));

      expect(nits.size).toBe(terceros.length - 1); // the one duplicate
      expect(codes.size).toBe(sucursales.length);
      expect(new Set(acuerdos.map((a) => a.id_acuerdo)).size).toBe(acuerdos.length);
      terceros.forEach((row, i) => {
        expect(row.nit).toMatch(NIT);
        const [, digits, dv] = NIT.exec(row.nit) as RegExpExecArray;
        expect(nitCheckDigit(digits as string)).toBe(Number(dv));
        if (dirtyTerceros.has(i)) return;
        expect(row.razon_social).not.toBeNull();
        expect(row.razon_social?.trim().length).toBeLessThanOrEqual(255);
        expect(row.razon_social).toBe(row.razon_social?.trim());
        if (row.email !== null) expect(row.email).toMatch(EMAIL);
        expect(['CLIENTE', 'PROVEEDOR', 'DISTRIBUIDOR']).toContain(row.tipo_tercero);
      });
      const variants = new Set(
        dirty.filter((d) => d.view === 'sucursales_view' && d.keys !== undefined).flatMap((d) => d.indexes),
      );
      sucursales.forEach((row, i) => {
        if (!variants.has(i)) expect(row.codigo_sucursal).toMatch(/^SUC-\d{6}$/);
        if (i !== ORPHAN_SUCURSAL_INDEX) expect(nits.has(row.nit_tercero)).toBe(true);
        expect(row.nombre?.length).toBeGreaterThan(0);
        expect(row.nombre?.length).toBeLessThanOrEqual(255);
      });
      const variantCodes = new Set(dirty.flatMap((d) => d.keys ?? []));
      for (const row of acuerdos) {
        expect(variantCodes.has(row.codigo_sucursal ?? '')).toBe(false);
        expect(nits.has(row.nit_tercero)).toBe(true);
        if (row.codigo_sucursal !== null) expect(codes.get(row.codigo_sucursal)).toBe(row.nit_tercero);
        if (row.fecha_fin !== null) expect(row.fecha_fin > row.fecha_inicio).toBe(true);
        expect(['DESCUENTO', 'REBATE', 'EXHIBICION', 'VOLUMEN', 'PRONTO_PAGO']).toContain(row.tipo_acuerdo);
      }
    }
  });

  it('holds Colombian-looking values: accents and ñ, phones, long descriptions, DECIMAL(18,2) credit limits', () => {
    const g = generateCompany('ITALCOL');
    const terceros = [...g.terceros()];
    const acuerdos = [...g.acuerdos()];

    expect(terceros.some((r) => /ñ/.test(r.razon_social ?? ''))).toBe(true);
    expect(terceros.some((r) => /[áéíóú]/.test(r.razon_social ?? ''))).toBe(true);
    expect(terceros.every((r) => r.telefono === null || /^\+57 \d{3} \d{3} \d{4}$/.test(r.telefono))).toBe(
      true,
    );
    expect(terceros.every((r) => r.cupo_credito === null || /^\d{1,16}\.\d{2}$/.test(r.cupo_credito))).toBe(
      true,
    );
    expect(
      terceros.every((r) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{7}$/.test(r.fecha_modificacion)),
    ).toBe(true);
    expect(acuerdos.filter((r) => (r.descripcion?.length ?? 0) > 4000).length).toBeGreaterThan(10);
    expect(acuerdos.every((r) => typeof r.id_acuerdo === 'bigint' && r.id_acuerdo > 2n ** 31n)).toBe(true);
  });
});
