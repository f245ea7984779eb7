import { readFileSync } from 'node:fs';
import { loadConfig, parseConfig } from '../../src/core/config/load.js';
import { InvalidInputError } from '../../src/core/errors.js';
import { planRun } from '../../src/core/sync/plan.js';

const config = loadConfig('config/sync.config.json');
const all = [['terceros'], ['sucursales'], ['acuerdos']];

describe('planRun', () => {
  it('plans every company and entity in delta mode for the schedule input {}', () => {
    expect(planRun(config, 'r1', {})).toEqual({
      runId: 'r1',
      mode: 'delta',
      companies: [
        { company: 'ITALCOL', waves: all, removals: [] },
        { company: 'CASABLANCA', waves: all, removals: [] },
        { company: 'SANTA_REYES', waves: all, removals: [] },
      ],
    });
  });

  it('accepts the legacy {"selected_company": ...}', () => {
    expect(planRun(config, 'r1', { selected_company: 'CASABLANCA' }).companies).toEqual([
      { company: 'CASABLANCA', waves: all, removals: [] },
    ]);
  });

  it('narrows to companies, entities and mode', () => {
    expect(planRun(config, 'r1', { companies: ['ITALCOL'], entities: ['acuerdos'], mode: 'full' })).toEqual({
      runId: 'r1',
      mode: 'full',
      companies: [{ company: 'ITALCOL', waves: [['acuerdos']], removals: [] }],
    });
  });

  it.each([
    [{ companies: ['ACME'] }, 'Unknown company "ACME"'],
    [{ entities: ['clientes'] }, 'Unknown entity "clientes"'],
    [{ mode: 'fast' }, 'mode'],
    [{ company: 'ITALCOL' }, 'unknown field(s) "company"'],
    [{ companies: [] }, 'companies'],
    [{ companies: ['ITALCOL'], selected_company: 'ITALCOL' }, 'not both'],
    [[], 'must be a JSON object'],
    ['ITALCOL', 'must be a JSON object'],
  ])('refuses %j, saying what is accepted', (input, problem) => {
    let error: unknown;
    try {
      planRun(config, 'r1', input);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).name).toBe('InvalidInputError');
    expect((error as Error).message).toContain(problem);
    expect((error as Error).message).toContain('ITALCOL, CASABLANCA, SANTA_REYES');
    expect((error as Error).message).toContain('"mode": "delta"');
  });

  it('marks a dry run, and a dry run with diff, in the plan', () => {
    expect(planRun(config, 'r1', { companies: ['ITALCOL'], dryRun: true })).toEqual({
      runId: 'r1',
      mode: 'delta',
      companies: [{ company: 'ITALCOL', waves: all, removals: [] }],
      dryRun: true,
    });
    const withDiff = planRun(config, 'r1', { dryRun: true, diff: true });
    expect([withDiff.dryRun, withDiff.diff]).toEqual([true, true]);
    const real = planRun(config, 'r1', { dryRun: false });
    expect(['dryRun' in real, 'diff' in real]).toEqual([false, false]);
  });

  it('refuses diff without a dry run, and non-boolean dryRun, naming what is accepted', () => {
    expect(() => planRun(config, 'r1', { diff: true })).toThrow(
      '"diff": true compares a dry run\'s updates with Salesforce: give it with "dryRun": true.',
    );
    expect(() => planRun(config, 'r1', { dryRun: 'yes' })).toThrow(InvalidInputError);
    expect(() => planRun(config, 'r1', { dryRun: 'yes' })).toThrow(
      /Invalid execution input: dryRun: .*boolean[\s\S]*"dryRun": true to run Plan, Extract and Transform/,
    );
  });
});

describe('the Remove phase in the plan', () => {
  it('lists the waves last first, holding only the entities whose onDelete removes records', () => {
    const raw = JSON.parse(readFileSync('config/sync.config.json', 'utf8'));
    raw.entities.terceros.onDelete = 'delete';
    raw.entities.acuerdos.onDelete = { deactivate: { field: 'ti_activo__c', value: false } };
    const removing = parseConfig(raw);
    expect(planRun(removing, 'r1', { companies: ['ITALCOL'] }).companies).toEqual([
      { company: 'ITALCOL', waves: all, removals: [['acuerdos'], ['terceros']] },
    ]);
  });

  it('accepts "allowMassDelete" as true or a list, and refuses anything else', () => {
    expect(() => planRun(config, 'r1', { allowMassDelete: true })).not.toThrow();
    expect(() => planRun(config, 'r1', { allowMassDelete: ['terceros', 'ITALCOL/acuerdos'] })).not.toThrow();
    expect(() => planRun(config, 'r1', { allowMassDelete: 'yes' })).toThrow(/allowMassDelete/);
  });
});
