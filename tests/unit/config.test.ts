import { readFileSync } from 'node:fs';
import { databaseSettings, dependencyWaves, loadConfig, parseConfig } from '../../src/core/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

// biome-ignore lint/suspicious/noExplicitAny: tests break the config on purpose
const shipped = () => JSON.parse(readFileSync('config/sync.config.json', 'utf8')) as Record<string, any>;

function expectConfigError(value: unknown, ...fragments: string[]): void {
  let error: unknown;
  try {
    parseConfig(value);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(ConfigError);
  for (const f of fragments) expect((error as Error).message).toContain(f);
}

describe('the sync configuration', () => {
  it('loads the shipped config with entities in dependency order', () => {
    const config = loadConfig('config/sync.config.json');
    expect(config.companies).toEqual(['ITALCOL', 'CASABLANCA', 'SANTA_REYES']);
    expect(config.entities.map((e) => e.name)).toEqual(['terceros', 'sucursales', 'acuerdos']);
    expect(config.entity('acuerdos').dependsOn.sort()).toEqual(['sucursales', 'terceros']);
    expect(config.entity('terceros').batchSize).toBe(200);
  });

  it('orders dependent entities into waves', () => {
    const config = loadConfig('config/sync.config.json');
    expect(dependencyWaves(config.entities)).toEqual([['terceros'], ['sucursales'], ['acuerdos']]);
    expect(dependencyWaves(config.entities.filter((e) => e.name !== 'sucursales'))).toEqual([
      ['terceros'],
      ['acuerdos'],
    ]);
  });

  it('names the key and the problem for a bad value', () => {
    const c = shipped();
    c.entities.terceros.batchSize = 500;
    expectConfigError(c, 'config.entities.terceros.batchSize', '200');
  });

  it('refuses unknown keys, naming them', () => {
    const c = shipped();
    c.entities.terceros.fields.Name.trimm = true;
    expectConfigError(c, 'config.entities.terceros.fields.Name', 'trimm');
  });

  it('refuses a reference to an unknown entity and a dependency cycle', () => {
    const c = shipped();
    c.entities.sucursales.fields.AccountId.ref.entity = 'clientes';
    expectConfigError(
      c,
      'config.entities.sucursales.fields.AccountId.ref.entity',
      'unknown entity "clientes"',
    );
    const d = shipped();
    d.entities.terceros.dependsOn = ['acuerdos'];
    expectConfigError(d, 'dependency cycle');
  });

  it('refuses a field with both a source column and a constant', () => {
    const c = shipped();
    c.entities.terceros.fields.Type = { from: 'tipo_tercero', const: 'Customer' };
    expectConfigError(c, 'config.entities.terceros.fields.Type', 'exactly one of "from"');
  });

  it('adds a company by config alone', () => {
    const c = shipped();
    c.companies.NUEVA = {
      database: { host: 'db.nueva', database: 'nueva', user: 'u', password: { env: 'NUEVA_PW' } },
    };
    const config = parseConfig(c);
    expect(config.companies).toContain('NUEVA');
    expect(() => databaseSettings(config, 'NUEVA', () => undefined)).toThrow(
      'config.companies.NUEVA.database.password: none of the environment variables NUEVA_PW is set',
    );
    expect(databaseSettings(config, 'NUEVA', (n) => (n === 'NUEVA_PW' ? 'x' : undefined))).toMatchObject({
      server: 'db.nueva',
      port: 1433,
      password: 'x',
    });
  });

  it("keeps the seed's environment variables working: DB_HOST_ITALCOL over DB_HOST, DB_NAME1 for CASABLANCA", () => {
    const config = loadConfig('config/sync.config.json');
    const env: Record<string, string> = {
      DB_HOST: 'sql.main',
      DB_HOST_ITALCOL: 'sql.italcol',
      DB_NAME: 'italcol_db',
      DB_NAME1: 'casablanca_db',
      DB_USER: 'sync',
      DB_PASSWORD: 'pw',
    };
    const lookup = (n: string) => env[n];
    expect(databaseSettings(config, 'ITALCOL', lookup)).toMatchObject({
      server: 'sql.italcol',
      database: 'italcol_db',
    });
    expect(databaseSettings(config, 'CASABLANCA', lookup)).toMatchObject({
      server: 'sql.main',
      database: 'casablanca_db',
    });
    expect(() => databaseSettings(config, 'SANTA_REYES', lookup)).toThrow('DB_NAME2');
  });

  it('names the file when it is not JSON', () => {
    expect(() => loadConfig('tests/fixtures/config/not-json.txt')).toThrow(/not-json.txt is not valid JSON/);
  });
});
