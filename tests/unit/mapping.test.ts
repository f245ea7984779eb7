import { loadConfig } from '../../src/core/config/load.js';
import { externalId, mapRow, sourceKey } from '../../src/core/mapping.js';
import { truncateUtf16 } from '../../src/core/values/utf16.js';

const config = loadConfig('config/sync.config.json');
const ext = (name: string) => config.entity(name).externalIdField ?? 'Id';

const tercero = {
  nit: ' 900123456-7 ',
  razon_social: '  Distribuidora La Española S.A.S.  ',
  nombre_comercial: null,
  tipo_tercero: 'cliente',
  direccion: 'Cra 7 # 12-34',
  ciudad: 'Bogotá',
  departamento: 'Cundinamarca',
  telefono: '6015551234',
  email: ' Ventas@LaEspanola.CO ',
  cupo_credito: 1500000.5,
  activo: true,
  fecha_modificacion: '2025-03-01T10:20:30.123Z',
};

describe('mapRow', () => {
  it('renames, trims, changes case and converts types', () => {
    const out = mapRow(tercero, config.entity('terceros'), 'ITALCOL', ext);
    expect(out).toEqual({
      ok: true,
      key: '900123456-7',
      parents: [],
      payload: {
        Name: 'Distribuidora La Española S.A.S.',
        AccountNumber: '900123456-7',
        Type: 'Customer - Direct',
        ti_nombre_comercial__c: null,
        BillingStreet: 'Cra 7 # 12-34',
        BillingCity: 'Bogotá',
        BillingStateCode: 'CUN',
        BillingCountryCode: 'CO',
        Phone: '6015551234',
        ti_email__c: 'ventas@laespanola.co',
        ti_cupo_credito__c: 1500000.5,
        ti_activo__c: true,
        ti_fecha_modificacion__c: '2025-03-01T10:20:30.123Z',
      },
    });
  });

  it('uses the default for a missing value', () => {
    const out = mapRow({ ...tercero, cupo_credito: null }, config.entity('terceros'), 'ITALCOL', ext);
    expect(out.ok && out.payload.ti_cupo_credito__c).toBe(0);
  });

  it.each([
    [{ razon_social: null }, 'REQUIRED_FIELD_MISSING', 'Name'],
    [{ razon_social: '   ' }, 'REQUIRED_FIELD_MISSING', 'Name'],
    [{ razon_social: 'x'.repeat(256) }, 'STRING_TOO_LONG', 'Name'],
    [{ email: 'ventas@@dominio' }, 'INVALID_EMAIL_ADDRESS', 'ti_email__c'],
    [{ cupo_credito: 'mucho' }, 'INVALID_TYPE_ON_FIELD_IN_RECORD', 'ti_cupo_credito__c'],
    [{ activo: 'quizas' }, 'INVALID_TYPE_ON_FIELD_IN_RECORD', 'ti_activo__c'],
  ])('rejects %j with %s on %s', (change, code, field) => {
    const out = mapRow({ ...tercero, ...change }, config.entity('terceros'), 'ITALCOL', ext);
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.key).toBe('900123456-7');
      expect(out.reasons).toEqual([expect.objectContaining({ code, field })]);
    }
  });

  it('counts characters, not bytes, against maxLength (accents and ñ)', () => {
    const out = mapRow(
      { ...tercero, razon_social: 'ñ'.repeat(255) },
      config.entity('terceros'),
      'ITALCOL',
      ext,
    );
    expect(out.ok).toBe(true);
  });

  it('truncates where the mapping allows it', () => {
    const out = mapRow(
      { ...tercero, nombre_comercial: 'á'.repeat(300) },
      config.entity('terceros'),
      'ITALCOL',
      ext,
    );
    expect(out.ok && out.payload.ti_nombre_comercial__c).toBe('á'.repeat(255));
  });

  it('points children at parents by the parent external ID', () => {
    const out = mapRow(
      {
        id_acuerdo: 42,
        nit_tercero: '900123456-7',
        codigo_sucursal: null,
        tipo_acuerdo: 'rebate',
        fecha_inicio: '2025-01-01T00:00:00.000Z',
        fecha_fin: null,
        valor: 10.005,
        porcentaje_descuento: 2.5,
        cantidad_minima: 10,
        descripcion: 'x',
        activo: false,
        fecha_modificacion: '2025-01-02T00:00:00.000Z',
      },
      config.entity('acuerdos'),
      'CASABLANCA',
      ext,
    );
    expect(out.ok).toBe(true);
    if (out.ok) {
      expect(out.payload.ti_cuenta__r).toEqual({ ti_external_id__c: 'CASABLANCA-900123456-7' });
      expect(out.payload.ti_sucursal__c).toBeNull();
      expect(out.payload.ti_fecha_inicio__c).toBe('2025-01-01');
      expect(out.payload.ti_valor__c).toBe(10.01);
      expect(out.payload.Name).toBe('42');
      expect(out.parents).toEqual([
        { field: 'ti_cuenta__c', relationship: 'ti_cuenta__r', entity: 'terceros', key: '900123456-7' },
      ]);
    }
  });

  it('rejects a row without a key', () => {
    const out = mapRow({ ...tercero, nit: '  ' }, config.entity('terceros'), 'ITALCOL', ext);
    expect(out).toMatchObject({ ok: false, reasons: [{ code: 'REQUIRED_FIELD_MISSING' }] });
  });
});

describe('keys', () => {
  it('joins composite keys and prefixes the company', () => {
    expect(sourceKey({ a: ' 1 ', b: 'x' }, ['a', 'b'])).toBe('1|x');
    expect(sourceKey({ a: null }, ['a'])).toBeUndefined();
    expect(externalId('ITALCOL', '1|x')).toBe('ITALCOL-1|x');
  });
});

describe("lookups: source values to the org's codes", () => {
  const terceros = config.entity('terceros');
  const map = (change: Record<string, unknown>) =>
    mapRow({ ...tercero, ...change }, terceros, 'ITALCOL', ext);

  it.each([
    ['Bogotá D.C.', 'DC'],
    ['BOGOTA D.C.', 'DC'],
    ['Bogotá', 'DC'],
    ['bogota dc', 'DC'],
    ['Santafé de Bogotá', 'DC'],
    ['Distrito Capital de Bogotá', 'DC'],
    ['Antioquia', 'ANT'],
    ['ANTIOQUIA', 'ANT'],
    ['  atlantico ', 'ATL'],
    ['Norte de Santander', 'NSA'],
    ['Santander', 'SAN'],
    ['San Andrés y Providencia', 'SAP'],
    ['Archipiélago de San Andrés, Providencia y Santa Catalina', 'SAP'],
    ['Valle', 'VAC'],
    ['Valle del Cauca', 'VAC'],
    ['Nariño', 'NAR'],
    ['NARINO', 'NAR'],
    ['Guajira', 'LAG'],
    ['CO-ANT', 'ANT'],
    ['cun', 'CUN'],
  ])('sends departamento %j as BillingStateCode %s, with BillingCountryCode CO', (departamento, code) => {
    const out = map({ departamento });
    expect(out.ok && [out.payload.BillingStateCode, out.payload.BillingCountryCode]).toEqual([code, 'CO']);
  });

  it('ships all 33 first-level subdivisions of Colombia (32 departments and Bogotá D.C.)', async () => {
    const { COLOMBIA_DEPARTMENT_CODES } = await import('../../src/core/lookups/colombia.js');
    expect([...COLOMBIA_DEPARTMENT_CODES].sort()).toEqual(
      'AMA ANT ARA ATL BOL BOY CAL CAQ CAS CAU CES CHO COR CUN DC GUA GUV HUI LAG MAG MET NAR NSA PUT QUI RIS SAN SAP SUC TOL VAC VAU VID'.split(
        ' ',
      ),
    );
  });

  it('sends no state but the country for an empty departamento', () => {
    const out = map({ departamento: null });
    expect(out.ok && [out.payload.BillingStateCode, out.payload.BillingCountryCode]).toEqual([null, 'CO']);
  });

  it('rejects an unknown departamento, naming the value and the table', () => {
    expect(map({ departamento: 'Cundinamarka' })).toEqual({
      ok: false,
      key: '900123456-7',
      reasons: [
        {
          code: 'INVALID_LOOKUP_VALUE',
          field: 'BillingStateCode',
          message: 'BillingStateCode: "Cundinamarka" (from departamento) is not in colombia-departments',
        },
      ],
    });
  });

  it.each([
    ['CLIENTE', 'Customer - Direct'],
    ['cliente', 'Customer - Direct'],
    ['DISTRIBUIDOR', 'Channel Partner / Reseller'],
    ['PROVEEDOR', 'Other'],
  ])('maps tipo_tercero %j to the restricted Account.Type value %j', (tipo_tercero, type) => {
    const out = map({ tipo_tercero });
    expect(out.ok && out.payload.Type).toBe(type);
  });

  it('rejects a tipo_tercero the inline lookup does not list', () => {
    const out = map({ tipo_tercero: 'EMPLEADO' });
    expect(out.ok || out.reasons).toEqual([
      {
        code: 'INVALID_LOOKUP_VALUE',
        field: 'Type',
        message: 'Type: "EMPLEADO" (from tipo_tercero) is not in the inline lookup',
      },
    ]);
  });

  it('refuses an unknown lookup table, or a lookup on a const, in the config', async () => {
    const { parseConfig } = await import('../../src/core/config/load.js');
    const { readFileSync } = await import('node:fs');
    const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
    raw.entities.terceros.fields.BillingStateCode.lookup = 'peru-regions';
    raw.entities.terceros.fields.BillingCountryCode.lookup = 'colombia-departments';
    expect(() => parseConfig(raw)).toThrow(
      [
        'Invalid sync configuration:',
        '  config.entities.terceros.fields.BillingStateCode.lookup: unknown lookup table (shipped: colombia-departments; or give an inline map {"source value": "Salesforce value"})',
        '  config.entities.terceros.fields.BillingCountryCode.lookup: "lookup" translates a source column ("from") of type string, not a const or a reference',
      ].join('\n'),
    );
  });
});

describe("values: UTF-16 lengths and Salesforce's date range", () => {
  const terceros = config.entity('terceros');
  const acuerdos = config.entity('acuerdos');
  const acuerdo = {
    id_acuerdo: 42,
    nit_tercero: '900123456-7',
    codigo_sucursal: null,
    tipo_acuerdo: 'rebate',
    fecha_inicio: '2025-01-01T00:00:00.000Z',
    fecha_fin: null,
    valor: 10,
    porcentaje_descuento: 2.5,
    cantidad_minima: 10,
    descripcion: 'x',
    activo: true,
    fecha_modificacion: '2025-01-02T00:00:00.000Z',
  };

  it('counts an emoji as 2 against maxLength, as Salesforce does', () => {
    const ok = mapRow({ ...tercero, razon_social: `${'a'.repeat(253)}😀` }, terceros, 'ITALCOL', ext);
    expect(ok.ok).toBe(true);
    const long = mapRow({ ...tercero, razon_social: `${'a'.repeat(254)}😀` }, terceros, 'ITALCOL', ext);
    expect(long).toMatchObject({
      ok: false,
      reasons: [
        {
          code: 'STRING_TOO_LONG',
          field: 'Name',
          message: 'Name: data value too large: 256 UTF-16 code units, at most 255',
        },
      ],
    });
  });

  it('truncates to the UTF-16 limit without cutting a surrogate pair', () => {
    const out = mapRow({ ...tercero, nombre_comercial: `${'a'.repeat(254)}😀😀` }, terceros, 'ITALCOL', ext);
    expect(out.ok && out.payload.ti_nombre_comercial__c).toBe('a'.repeat(254));
    expect(truncateUtf16('ab😀', 3)).toBe('ab');
    expect(truncateUtf16('ab😀', 4)).toBe('ab😀');
    expect(truncateUtf16('😀😀', 1)).toBe('');
    expect(truncateUtf16('abc', 5)).toBe('abc');
  });

  it.each([
    ['ti_fecha_inicio__c', { fecha_inicio: '1699-12-31' }, '1699-12-31'],
    ['ti_fecha_fin__c', { fecha_fin: '4001-01-01' }, '4001-01-01'],
    ['ti_fecha_fin__c', { fecha_fin: new Date(Date.UTC(9999, 11, 31)) }, '9999-12-31'],
    [
      'ti_fecha_modificacion__c',
      { fecha_modificacion: '1600-05-05T10:00:00.000Z' },
      '1600-05-05T10:00:00.000Z',
    ],
  ])('rejects %s outside 1700-01-01..4000-12-31 (%j)', (field, change, shown) => {
    const out = mapRow({ ...acuerdo, ...change }, acuerdos, 'ITALCOL', ext);
    expect(out.ok || out.reasons).toEqual([
      {
        code: 'INVALID_DATE_RANGE',
        field,
        message: `${field}: ${shown} is outside the dates Salesforce stores (1700-01-01 to 4000-12-31)`,
      },
    ]);
  });

  it('accepts the first and last dates Salesforce stores', () => {
    const out = mapRow(
      { ...acuerdo, fecha_inicio: '1700-01-01', fecha_fin: '4000-12-31' },
      acuerdos,
      'ITALCOL',
      ext,
    );
    expect(out.ok && [out.payload.ti_fecha_inicio__c, out.payload.ti_fecha_fin__c]).toEqual([
      '1700-01-01',
      '4000-12-31',
    ]);
  });
});

describe('source types in the mapping', () => {
  const entity = (fields: Record<string, unknown>, key = ['codigo']) =>
    ({ ...config.entity('terceros'), key, fields }) as unknown as ReturnType<typeof config.entity>;

  it('resolves column names case-insensitively, as SQL Server does', () => {
    const out = mapRow(
      { CODIGO: 'x-1', Razon_Social: 'ACME' },
      entity({
        Name: { from: 'razon_social', type: 'string', trim: true, truncate: false, required: false },
      }),
      'ITALCOL',
      ext,
    );
    expect(out).toEqual({ ok: true, key: 'x-1', payload: { Name: 'ACME' }, parents: [] });
  });

  it('keeps a DECIMAL(38,2) and a BIGINT beyond 2^53 exact within the 18 digits Salesforce holds, and reads es-CO numbers when the field says so', () => {
    const fields = {
      A__c: { from: 'd', type: 'number', scale: 2, trim: true, truncate: false, required: false },
      B__c: { from: 'b', type: 'integer', trim: true, truncate: false, required: false },
      C__c: {
        from: 'c',
        type: 'number',
        numberFormat: 'es-CO',
        trim: true,
        truncate: false,
        required: false,
      },
    };
    const out = mapRow(
      { codigo: 'k', d: '1234567890123456.789', b: '123456789012345678', c: '1.234.567,89' },
      entity(fields),
      'ITALCOL',
      ext,
    );
    expect(out.ok && out.payload).toEqual({
      A__c: '1234567890123456.79',
      B__c: '123456789012345678',
      C__c: 1234567.89,
    });
  });

  it('sends VARBINARY only with an explicit encoding, never as "[object Object]"', () => {
    const row = { codigo: 'k', bin: Buffer.from('ñ', 'utf8') };
    const base = { from: 'bin', type: 'string', trim: true, truncate: false, required: false };
    const hex = mapRow(row, entity({ H__c: { ...base, encoding: 'hex' } }), 'ITALCOL', ext);
    expect(hex.ok && hex.payload).toEqual({ H__c: 'c3b1' });
    const none = mapRow(row, entity({ H__c: base }), 'ITALCOL', ext);
    expect(none).toMatchObject({
      ok: false,
      reasons: [{ code: 'INVALID_TYPE_ON_FIELD_IN_RECORD', field: 'H__c' }],
    });
  });

  it('keeps multi-column keys from colliding by concatenation, single-column keys as they are', () => {
    expect(sourceKey({ a: 'x|y', b: 'z' }, ['a', 'b'])).toBe('x\\|y|z');
    expect(sourceKey({ a: 'x', b: 'y|z' }, ['a', 'b'])).toBe('x|y\\|z');
    expect(sourceKey({ a: 'a|b\\c' }, ['A'])).toBe('a|b\\c');
  });
});
