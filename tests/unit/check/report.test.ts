import { formatCheck, wrapText } from '../../../src/cli/format.js';
import { buildReport, forCompany, problemError, problemWarning } from '../../../src/core/check/problems.js';

describe('check: the report', () => {
  const missing = problemError(
    'entities.terceros.fields.Phone',
    'view terceros_view has no column tel',
    'add it',
  );
  const long = problemWarning(
    'entities.terceros.fields.Name',
    'razon_social NVARCHAR(400) can hold 400 characters; Name takes 255: longer values are rejected',
    'truncate',
  );

  it('merges one problem found in several companies, keeps errors and warnings apart, ok only without errors', () => {
    const report = buildReport([
      ...forCompany('ITALCOL', [missing, long]),
      ...forCompany('CASABLANCA', [missing]),
      problemWarning('salesforce', 'slow', 'wait'),
    ]);
    expect(report).toEqual({
      ok: false,
      errors: [{ ...missing, companies: ['ITALCOL', 'CASABLANCA'] }],
      warnings: [{ ...long, companies: ['ITALCOL'] }, problemWarning('salesforce', 'slow', 'wait')],
    });
    expect(buildReport([long]).ok).toBe(true);
  });

  it('prints a table for people: severity, config key, problem (wrapped), what to do', () => {
    const report = buildReport([...forCompany('ITALCOL', [missing]), long]);
    expect(formatCheck(report).split('\n')).toEqual([
      'severity  config key                      problem                                                              what to do',
      '--------  ------------------------------  -------------------------------------------------------------------  ----------',
      'error     entities.terceros.fields.Phone  [ITALCOL] view terceros_view has no column tel                       add it',
      'warning   entities.terceros.fields.Name   razon_social NVARCHAR(400) can hold 400 characters; Name takes 255:  truncate',
      '                                          longer values are rejected',
      '',
      'sf-sync check: 1 error, 1 warning (exit 1: fix the errors before syncing).',
    ]);
    expect(formatCheck(buildReport([]))).toBe('sf-sync check: no problems found.');
  });

  it('wraps long text at word boundaries', () => {
    expect(wrapText('one two three four', 9)).toEqual(['one two', 'three', 'four']);
    expect(wrapText('', 9)).toEqual(['']);
  });
});
