import sql from 'mssql';
import { SourceUnavailableError } from '../errors.js';
import { translateSqlError } from './errors.js';
import { type Row, RowConverter } from './rows.js';

export interface StreamOptions {
  pageSize: number;
  /** Where the rows come from, for messages. */
  where: string;
  timeZone: string;
  /** A stream without a row for this long is cancelled and fails as transient. */
  idleRowTimeoutMs: number;
  /** Pages read ahead before the server is paused (the server waits only when the consumer is this far behind). */
  readAheadPages?: number;
}

/** What the server saw of a stream: how often and how long it was paused. */
export interface StreamStats {
  rows: number;
  pauses: number;
  /** The longest time the server was kept waiting by a pause, in ms. */
  longestPauseMs: number;
  /** Longest pause per 1,000 rows read, in ms. */
  longestPausePer1000Rows: number[];
}

/** The state shared by a request's event handlers and the consumer. */
class PageBuffer {
  buffer: Row[] = [];
  readonly ready: Row[][] = [];
  done = false;
  failure: Error | undefined;
  private wake: (() => void) | undefined;
  private idle: NodeJS.Timeout | undefined;
  private pausedAt: number | undefined;
  readonly stats: StreamStats = { rows: 0, pauses: 0, longestPauseMs: 0, longestPausePer1000Rows: [] };

  readonly readAhead: number;

  constructor(
    private readonly request: sql.Request,
    private readonly options: StreamOptions,
  ) {
    this.readAhead = Math.max(1, options.readAheadPages ?? 2);
  }

  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  waitForWork(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.wake = resolve;
    });
  }

  fail(error: Error): void {
    this.failure ??= error;
    this.stopIdle();
    this.notify();
  }

  /** (Re)starts the stall timer; it does not run while we keep the server paused. */
  armIdle(): void {
    this.stopIdle();
    const ms = this.options.idleRowTimeoutMs;
    this.idle = setTimeout(() => {
      this.request.cancel();
      this.fail(
        new SourceUnavailableError(
          `${this.options.where}: the server sent no row for ${ms} ms (idleRowTimeoutMs); the query was cancelled`,
        ),
      );
    }, ms);
  }

  stopIdle(): void {
    if (this.idle) clearTimeout(this.idle);
    this.idle = undefined;
  }

  pause(): void {
    this.request.pause();
    this.stopIdle();
    this.pausedAt = performance.now();
    this.stats.pauses++;
  }

  resume(): void {
    if (this.pausedAt === undefined) return;
    const ms = performance.now() - this.pausedAt;
    this.pausedAt = undefined;
    this.stats.longestPauseMs = Math.max(this.stats.longestPauseMs, ms);
    const bucket = Math.floor(Math.max(0, this.stats.rows - 1) / 1000);
    const per = this.stats.longestPausePer1000Rows;
    per[bucket] = Math.max(per[bucket] ?? 0, Math.round(ms));
    this.armIdle();
    this.request.resume();
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }
}

function listen(request: sql.Request, state: PageBuffer, options: StreamOptions): void {
  const converter = new RowConverter(options.timeZone);
  request.on('recordset', (columns) => {
    converter.columns(columns);
    state.armIdle();
  });
  request.on('row', (row: Row) => {
    state.stats.rows++;
    state.buffer.push(converter.convert(row));
    if (state.buffer.length >= options.pageSize) {
      state.ready.push(state.buffer);
      state.buffer = [];
      state.notify();
    }
    if (state.ready.length >= state.readAhead && !state.paused) state.pause();
    else if (!state.paused) state.armIdle();
  });
  request.on('error', (error: unknown) => state.fail(translateSqlError(error, options.where)));
  request.on('done', () => {
    state.stopIdle();
    if (state.buffer.length > 0) state.ready.push(state.buffer);
    state.buffer = [];
    state.done = true;
    state.notify();
  });
}

/**
 * Streams a query's rows in pages of `pageSize`. The server streams on while up to
 * `readAheadPages` pages wait for the consumer, and is paused only beyond that; a stall (no row
 * for `idleRowTimeoutMs` while not paused) cancels the query. `stats` tells how long the server
 * was kept waiting.
 */
export async function* streamPages(
  pool: sql.ConnectionPool,
  query: string,
  options: StreamOptions,
  stats?: (s: StreamStats) => void,
): AsyncGenerator<Row[]> {
  const request = new sql.Request(pool);
  request.stream = true;
  const state = new PageBuffer(request, options);
  listen(request, state, options);
  // In stream mode the rows arrive as events; the returned promise only repeats the error event.
  const pending = request.query(query) as unknown;
  if (pending instanceof Promise) pending.catch(() => undefined);
  try {
    for (;;) {
      if (state.failure) throw state.failure;
      const page = state.ready.shift();
      if (page) {
        // Let the server stream on while the consumer works on this page.
        if (state.paused && state.ready.length < state.readAhead && !state.done) state.resume();
        yield page;
        continue;
      }
      if (state.done) return;
      await state.waitForWork();
    }
  } finally {
    state.stopIdle();
    if (!state.done && !state.failure) request.cancel();
    stats?.(state.stats);
  }
}
