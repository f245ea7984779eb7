import { describe, expect, it } from '@jest/globals';
import { createProgress } from '../../src/cli/progress.js';
import type { TaskEvent } from '../../src/local/stepfunctions.js';

/** A control sequence the live view writes: ESC [ n A (cursor up) or ESC [ 2 K (clear line). */
const CSI = new RegExp(`^${String.fromCharCode(27)}\\[(\\d*)([AK])`);

/** A fake terminal: keeps what was written and replays the cursor moves the live view uses. */
class FakeTerminal {
  readonly chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
  ) {}
  write(chunk: string): boolean {
    this.chunks.push(chunk);
    return true;
  }
  /** The screen after every chunk: handles ESC[nA (up), ESC[2K (clear line), \r and \n. */
  screen(): string[] {
    const rows: string[] = [];
    let row = 0;
    const text = this.chunks.join('');
    for (let i = 0; i < text.length; ) {
      const esc = CSI.exec(text.slice(i));
      if (esc) {
        if (esc[2] === 'A') row = Math.max(0, row - Number(esc[1] || 1));
        else rows[row] = '';
        i += esc[0].length;
      } else if (text[i] === '\n') {
        row += 1;
        i += 1;
      } else if (text[i] === '\r') {
        i += 1;
      } else {
        rows[row] = (rows[row] ?? '') + text[i];
        i += 1;
      }
    }
    return rows.map((r) => r ?? '');
  }
}

const ok = (stateName: string, input: object, output: object): TaskEvent => ({
  type: 'TaskSucceeded',
  stateName,
  functionName: stateName.toLowerCase(),
  input,
  output,
  attempt: 1,
});
const started = (stateName: string, input: object): TaskEvent => ({
  type: 'TaskStarted',
  stateName,
  functionName: stateName.toLowerCase(),
  input,
  attempt: 1,
});

const T = { company: 'ITALCOL', entity: 'terceros' };
const S = { company: 'ITALCOL', entity: 'sucursales' };
const RUN: TaskEvent[] = [
  ok('Plan', {}, { runId: 'run-1', mode: 'full', companies: [{ company: 'ITALCOL' }] }),
  ok('Authenticate', {}, { tokenRef: 'ref', expiresAt: 'x' }),
  started('Extract', T),
  started('Extract', S),
  ok('Extract', T, { rows: 2500, pages: [1, 2, 3], skipped: false }),
  ok('Transform', { ...T, page: 1 }, { rows: 1000, unchanged: 10, rejected: 2, toSend: 988 }),
  ok('Transform', { ...T, page: 2 }, { rows: 1000, unchanged: 0, rejected: 0, toSend: 1000 }),
  {
    type: 'TaskFailed',
    stateName: 'Transform',
    functionName: 'transform',
    input: { ...T, page: 3 },
    error: { name: 'SourceUnavailableError', cause: 'x' },
    attempt: 1,
  },
  ok('Transform', { ...T, page: 3 }, { rows: 500, unchanged: 0, rejected: 0, toSend: 500 }),
  ok('Upsert', T, { done: false, sent: 2000, requests: 10, created: 1500, updated: 500, failed: 0 }),
  ok('Upsert', T, { done: true, sent: 488, requests: 3, created: 480, updated: 5, failed: 3 }),
];

describe('terminal progress', () => {
  it('on a TTY keeps one live line per company and entity, redrawn in place', () => {
    const term = new FakeTerminal(true);
    const progress = createProgress(term, { intervalMs: 0 });
    for (const e of RUN) progress.onTaskEvent(e);
    progress.finish();
    expect(term.screen()).toEqual([
      'run run-1 (full): ITALCOL',
      'Salesforce session ready',
      'ITALCOL terceros    extracted 2,500  staged 2,488 (3/3 page(s))  sent 2,488, 3 failed  done',
      'ITALCOL sucursales  extracted 0  staged 0  sent 0  extracting',
    ]);
  });

  it('shows a retry on the entity line until the step succeeds', () => {
    const term = new FakeTerminal(true);
    const progress = createProgress(term, { intervalMs: 0 });
    for (const e of RUN.slice(0, 8)) progress.onTaskEvent(e);
    expect(term.screen()[2]).toBe(
      'ITALCOL terceros    extracted 2,500  staged 1,988 (2/3 page(s))  sent 0  retrying [Transform: SourceUnavailableError]',
    );
  });

  it('cuts lines to the terminal width so none wraps', () => {
    const term = new FakeTerminal(true, 40);
    const progress = createProgress(term, { intervalMs: 0 });
    for (const e of RUN) progress.onTaskEvent(e);
    progress.finish();
    const screen = term.screen();
    expect(screen[2]).toBe('ITALCOL terceros    extracted 2,500  s…');
    for (const line of screen) expect(line.length).toBeLessThanOrEqual(39);
  });

  it('redraws at most once per interval, and finish draws the last state', () => {
    const term = new FakeTerminal(true);
    let clock = 0;
    const progress = createProgress(term, { intervalMs: 100, now: () => clock });
    for (const e of RUN) progress.onTaskEvent(e); // all at t=0: only the first event draws
    expect(term.chunks).toHaveLength(1);
    clock = 250;
    progress.finish();
    expect(term.chunks).toHaveLength(2);
    expect(term.chunks[1]?.startsWith('\x1b[1A')).toBe(true); // back over the one line drawn first
    expect(term.screen()[2]).toContain('sent 2,488, 3 failed  done');
  });

  it('without a TTY writes plain lines, no escape codes', () => {
    const term = new FakeTerminal(false);
    const progress = createProgress(term);
    for (const e of RUN) progress.onTaskEvent(e);
    progress.finish();
    const text = term.chunks.join('');
    expect(text).not.toContain('\x1b');
    const lines = text
      .trimEnd()
      .split('\n')
      .map((l) => l.replace(/^\[\s*[\d.]+s\] /, ''));
    expect(lines).toEqual([
      'run run-1 (full): ITALCOL',
      'Salesforce session ready',
      'ITALCOL terceros: extracted 2500 rows in 3 page(s)',
      'ITALCOL terceros: 1/3 page(s) transformed, 988 record(s) to send',
      'ITALCOL terceros: 2/3 page(s) transformed, 1988 record(s) to send',
      'Transform ITALCOL terceros page 3 attempt 1: SourceUnavailableError',
      'ITALCOL terceros: 3/3 page(s) transformed, 2488 record(s) to send',
      'ITALCOL terceros: sent 2000 record(s) in 10 request(s): 1500 created, 500 updated, 0 failed (continuing)',
      'ITALCOL terceros: sent 488 record(s) in 3 request(s): 480 created, 5 updated, 3 failed',
    ]);
  });

  it('writes nothing when quiet, TTY or not', () => {
    for (const tty of [true, false]) {
      const term = new FakeTerminal(tty);
      const progress = createProgress(term, { quiet: true });
      for (const e of RUN) progress.onTaskEvent(e);
      progress.finish();
      expect(term.chunks).toEqual([]);
    }
  });
});
