import { loadConfig } from '../../src/core/config/load.js';
import { externalId, mapRow, sourceKey } from '../../src/core/mapping.js';

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
        Type: 'CLIENTE',
        ti_nombre_comercial__c: null,
        BillingStreet: 'Cra 7 # 12-34',
        BillingCity: 'Bogotá',
        BillingState: 'Cundinamarca',
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

  it('keeps a DECIMAL(38,2) and a BIGINT exact, and reads es-CO numbers when the field says so', () => {
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
      { codigo: 'k', d: '12345678901234567.891', b: '9223372036854775807', c: '1.234.567,89' },
      entity(fields),
      'ITALCOL',
      ext,
    );
    expect(out.ok && out.payload).toEqual({
      A__c: '12345678901234567.89',
      B__c: '9223372036854775807',
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
