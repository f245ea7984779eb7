import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createLogger } from '../../../src/core/logger.js';

describe('logger (Powertools Logger behind the Logger interface)', () => {
  const saved = { ...process.env };
  let stdout: string[];
  let stderr: string[];

  beforeEach(() => {
    stdout = [];
    stderr = [];
    jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });

  const parsed = (chunks: string[]) =>
    chunks
      .join('')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('writes JSON lines with service, level, message and the keys of every child', () => {
    process.env.LOG_LEVEL = 'debug';
    const lines: string[] = [];
    const log = createLogger({ runId: 'r-1' }, (l) => lines.push(l)).child({ company: 'ITALCOL' });
    log.child({ entity: 'terceros' }).debug('page staged', { page: 2 });
    log.warn('slow');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({
        level: 'DEBUG',
        service: 'sf-sync',
        message: 'page staged',
        runId: 'r-1',
        company: 'ITALCOL',
        entity: 'terceros',
        page: 2,
      }),
      expect.objectContaining({ level: 'WARN', message: 'slow', runId: 'r-1', company: 'ITALCOL' }),
    ]);
    expect(JSON.parse(lines[1] ?? '{}')).not.toHaveProperty('entity');
  });

  it('honours LOG_LEVEL in any case; silent writes nothing; an unknown value means info', () => {
    const levels: Array<[string, string[]]> = [
      ['warn', ['WARN', 'ERROR']],
      ['ERROR', ['ERROR']],
      ['silent', []],
      ['loud', ['INFO', 'WARN', 'ERROR']],
    ];
    for (const [setting, expected] of levels) {
      process.env.LOG_LEVEL = setting;
      const lines: string[] = [];
      const log = createLogger({}, (l) => lines.push(l));
      log.debug('d');
      log.info('i');
      log.warn('w');
      log.error('e');
      expect({ setting, levels: lines.map((l) => JSON.parse(l).level) }).toEqual({
        setting,
        levels: expected,
      });
    }
  });

  it('locally writes every level to stderr, never stdout (stdout is the summary)', () => {
    delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    process.env.LOG_LEVEL = 'info';
    const log = createLogger({ runId: 'r-2' });
    log.info('one');
    log.error('two');
    expect(stdout).toEqual([]);
    expect(parsed(stderr).map((l) => [l.level, l.message, l.runId])).toEqual([
      ['INFO', 'one', 'r-2'],
      ['ERROR', 'two', 'r-2'],
    ]);
  });

  it('in Lambda writes info to stdout (CloudWatch Logs)', () => {
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'sf-sync-test-extract';
    process.env.LOG_LEVEL = 'info';
    createLogger({ runId: 'r-3' }).info('extracted', { rows: 20 });
    expect(parsed(stdout)).toEqual([
      expect.objectContaining({ level: 'INFO', message: 'extracted', runId: 'r-3', rows: 20 }),
    ]);
  });
});
