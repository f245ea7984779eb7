import { changeRows } from '../../../src/emulators/sqlserver/index.js';
import { bucketsAddUp, failuresOf, SIZES, startWorld, type TestWorld } from './helpers.js';

/**
 * The state machine of statemachines/sync.asl.yml, run in-process against the SQL Server
 * emulator, the Salesforce emulator and dynalite. Tests run in order on one world: each
 * builds on the data the previous runs left in Salesforce and DynamoDB.
 */
describe('the sync workflow, end to end', () => {
  let world: TestWorld;
  beforeAll(async () => {
    world = await startWorld();
  }, 120000);
  afterAll(async () => {
    await world?.stop();
  });

  const totalRows = Object.values(SIZES).reduce((a, s) => a + s.terceros + s.sucursales + s.acuerdos, 0);

  it('syncs every company and entity on the first run, rejecting dirty rows with reasons', async () => {
    const result = await world.run({});
    expect(result.status).toBe('SUCCEEDED');
    const s = result.summary;
    bucketsAddUp(s);
    expect(Object.keys(s?.companies ?? {})).toEqual(['ITALCOL', 'CASABLANCA', 'SANTA_REYES']);
    // The generator adds a duplicate-key row per company on top of the sizes.
    expect(s?.totals.extracted).toBeGreaterThanOrEqual(totalRows);
    expect(s?.totals.created).toBeGreaterThan(totalRows * 0.8);
    expect(s?.totals.updated).toBe(0);
    expect(s?.totals.failed).toBe(0);
    expect(s?.totals.rejected).toBeGreaterThan(0);

    const failures = await failuresOf(result.runId);
    const codes = new Set(
      failures.filter((f) => f.company === 'ITALCOL').map((f) => `${f.entity}:${f.code}`),
    );
    for (const expected of [
      'terceros:REQUIRED_FIELD_MISSING',
      'terceros:STRING_TOO_LONG',
      'terceros:INVALID_EMAIL_ADDRESS',
      'terceros:DUPLICATE_VALUE',
      'sucursales:INVALID_CROSS_REFERENCE_KEY',
    ]) {
      expect(codes).toContain(expected);
    }
    expect(failures.every((f) => f.bucket === 'rejected' && f.message.length > 0)).toBe(true);

    // What Salesforce holds matches what the summary says was created.
    const counters = world.env.salesforce?.counters();
    expect(counters?.byEndpoint['composite.sobjects.upsert']).toBe(result.salesforce.dataCalls);
    // 200 records per request at most: far fewer calls than records.
    expect(result.salesforce.dataCalls).toBeLessThan((s?.totals.created ?? 0) / 10);
  });

  it('sends parents before children in every company', async () => {
    const result = await world.run({ mode: 'full' });
    expect(result.status).toBe('SUCCEEDED');
    for (const company of Object.keys(SIZES)) {
      const index = (state: string, entity: string, type: string) =>
        result.events
          .map((e, i) => ({ e, i }))
          .filter(
            ({ e }) =>
              e.type === type &&
              e.stateName === state &&
              (e.input as { company?: string }).company === company &&
              (e.input as { entity?: string }).entity === entity,
          )
          .map(({ i }) => i);
      const lastParentUpsert = Math.max(...index('Upsert', 'terceros', 'TaskSucceeded'));
      const firstChildExtract = Math.min(
        ...index('Extract', 'sucursales', 'TaskStarted'),
        ...index('Extract', 'acuerdos', 'TaskStarted'),
      );
      expect(lastParentUpsert).toBeLessThan(firstChildExtract);
      const lastStoreUpsert = Math.max(...index('Upsert', 'sucursales', 'TaskSucceeded'));
      expect(lastStoreUpsert).toBeLessThan(Math.min(...index('Extract', 'acuerdos', 'TaskStarted')));
    }
    // full mode re-sends every valid row: all updated, none created.
    expect(result.summary?.totals.created).toBe(0);
    expect(result.summary?.totals.unchanged).toBe(0);
    bucketsAddUp(result.summary);
  });

  it('sends nothing to Salesforce when nothing changed', async () => {
    const before = world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert'] ?? 0;
    const result = await world.run({});
    expect(result.status).toBe('SUCCEEDED');
    expect(result.salesforce.dataCalls).toBe(0);
    expect(world.env.salesforce?.counters().byEndpoint['composite.sobjects.upsert'] ?? 0).toBe(before);
    const t = result.summary?.totals;
    expect(t?.created).toBe(0);
    expect(t?.updated).toBe(0);
    expect(t?.unchanged).toBeGreaterThan(totalRows * 0.8);
    bucketsAddUp(result.summary);
  });

  it('sends only the changed rows after some rows change', async () => {
    const changed = await changeRows({
      dataDir: `${world.dir}/sqlserver`,
      company: 'ITALCOL',
      view: 'terceros_view',
      share: 0.1,
      kinds: { updated: 1 },
      seed: 7,
    });
    expect(changed.updated).toBeGreaterThan(0);
    const result = await world.run({});
    expect(result.status).toBe('SUCCEEDED');
    const italcol = result.summary?.companies.ITALCOL?.entities.terceros;
    // A changed dirty row stays rejected; every other changed row is updated.
    expect(italcol?.updated).toBeGreaterThanOrEqual(changed.updated - 3);
    expect(italcol?.updated).toBeLessThanOrEqual(changed.updated);
    expect(result.summary?.totals.updated).toBe(italcol?.updated);
    expect(result.salesforce.dataCalls).toBe(1);
    bucketsAddUp(result.summary);
  });

  it('syncs one company only, with the legacy input too', async () => {
    const one = await world.run({ companies: ['CASABLANCA'], entities: ['acuerdos'], mode: 'full' });
    expect(one.status).toBe('SUCCEEDED');
    expect(Object.keys(one.summary?.companies ?? {})).toEqual(['CASABLANCA']);
    expect(Object.keys(one.summary?.companies.CASABLANCA?.entities ?? {})).toEqual(['acuerdos']);
    expect(one.summary?.totals.updated).toBeGreaterThan(0);

    const legacy = await world.run({ selected_company: 'SANTA_REYES' });
    expect(legacy.status).toBe('SUCCEEDED');
    expect(Object.keys(legacy.summary?.companies ?? {})).toEqual(['SANTA_REYES']);
    expect(Object.keys(legacy.summary?.companies.SANTA_REYES?.entities ?? {})).toEqual([
      'terceros',
      'sucursales',
      'acuerdos',
    ]);
  });

  it('refuses invalid input at Plan, listing what is accepted, and writes nothing', async () => {
    const { store } = world.env.app;
    const runsBefore = (await store.listRuns(100)).length;
    const result = await world.run({ companies: ['ACME'] });
    expect(result.status).toBe('FAILED');
    expect(result.execution.error).toBe('InvalidInputError');
    expect(result.error).toContain('Unknown company "ACME"');
    expect(result.error).toContain('ITALCOL, CASABLANCA, SANTA_REYES');
    expect(result.events.filter((e) => e.stateName !== 'Plan')).toEqual([]);
    expect((await store.listRuns(100)).length).toBe(runsBefore);
    expect(result.salesforce.apiCalls).toBe(0);
  });
});
