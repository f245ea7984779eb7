import type { ExtractResult } from '../core/sync/extract.js';
import type { TransformResult } from '../core/sync/transform.js';
import type { UpsertResult } from '../core/sync/upsert.js';
import type { TaskEvent } from '../local/stepfunctions.js';

interface EntityProgress {
  pages: number;
  done: number;
  sent: number;
  lastShown: number;
}

/** Turns the runner's task events into progress lines per company and entity (on stderr). */
export function progressReporter(write: (line: string) => void): (event: TaskEvent) => void {
  const started = Date.now();
  const entities = new Map<string, EntityProgress>();
  const stamp = () => `[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`;
  return (event) => {
    const input = (event.input ?? {}) as { company?: string; entity?: string; page?: number };
    const id = `${input.company ?? ''} ${input.entity ?? ''}`.trim();
    if (event.type === 'TaskFailed') {
      write(
        `${stamp()} ${event.stateName} ${id}${input.page ? ` page ${input.page}` : ''} attempt ${event.attempt}: ${event.error?.name ?? 'error'}`,
      );
      return;
    }
    if (event.type !== 'TaskSucceeded') return;
    const out = (event.output ?? {}) as Record<string, unknown>;
    switch (event.stateName) {
      case 'Plan': {
        const companies =
          (out.companies as Array<{ company: string }> | undefined)?.map((c) => c.company) ?? [];
        write(`${stamp()} run ${String(out.runId)} (${String(out.mode)}): ${companies.join(', ')}`);
        break;
      }
      case 'Authenticate':
        write(`${stamp()} Salesforce session ready`);
        break;
      case 'Extract': {
        const pages = (out.pages as number[] | undefined)?.length ?? 0;
        entities.set(id, { pages, done: 0, sent: 0, lastShown: 0 });
        write(
          `${stamp()} ${id}: ${out.skipped ? `skipped (parent failed), ${String(out.rows)} rows` : `extracted ${String(out.rows)} rows in ${pages} page(s)`}`,
        );
        break;
      }
      case 'Transform': {
        const p = entities.get(id);
        if (!p) break;
        p.done += 1;
        p.sent += Number(out.toSend ?? 0);
        const step = Math.max(1, Math.ceil(p.pages / 10));
        if (p.done === p.pages || p.done - p.lastShown >= step) {
          p.lastShown = p.done;
          write(`${stamp()} ${id}: ${p.done}/${p.pages} page(s) transformed, ${p.sent} record(s) to send`);
        }
        break;
      }
      case 'Upsert':
        write(
          `${stamp()} ${id}: sent ${String(out.sent)} record(s) in ${String(out.requests)} request(s): ${String(out.created)} created, ${String(out.updated)} updated, ${String(out.failed)} failed${out.done === false ? ' (continuing)' : ''}`,
        );
        break;
      default:
        break;
    }
  };
}

/** One company and entity as the live view shows it. */
export interface EntityLine {
  id: string;
  state: 'extracting' | 'transforming' | 'sending' | 'done' | 'skipped' | 'retrying';
  extracted: number;
  pages: number;
  transformed: number;
  staged: number;
  sent: number;
  failed: number;
  note?: string;
}

/** What the live view knows: the run's header lines and a line per company and entity, in order. */
export class ProgressModel {
  readonly header: string[] = [];
  readonly entities = new Map<string, EntityLine>();

  apply(event: TaskEvent): void {
    const input = (event.input ?? {}) as { company?: string; entity?: string };
    const id = `${input.company ?? ''} ${input.entity ?? ''}`.trim();
    const line = this.entities.get(id);
    if (event.type === 'TaskFailed') {
      if (line)
        Object.assign(line, {
          state: 'retrying',
          note: `${event.stateName}: ${event.error?.name ?? 'error'}`,
        });
      return;
    }
    if (event.type === 'TaskStarted') {
      if (event.stateName === 'Extract' && !line) this.entities.set(id, blank(id));
      return;
    }
    this.succeeded(event, id, line);
  }

  private succeeded(event: TaskEvent, id: string, line: EntityLine | undefined): void {
    const out = (event.output ?? {}) as Record<string, unknown>;
    if (event.stateName === 'Plan') {
      const companies =
        (out.companies as Array<{ company: string }> | undefined)?.map((c) => c.company) ?? [];
      this.header.push(`run ${String(out.runId)} (${String(out.mode)}): ${companies.join(', ')}`);
    } else if (event.stateName === 'Authenticate') {
      if (!this.header.includes('Salesforce session ready')) this.header.push('Salesforce session ready');
    } else if (event.stateName === 'Extract') {
      const r = out as Partial<ExtractResult>;
      const next = line ?? blank(id);
      Object.assign(next, { extracted: r.rows ?? 0, pages: r.pages?.length ?? 0, note: undefined });
      next.state = r.skipped ? 'skipped' : (r.pages?.length ?? 0) > 0 ? 'transforming' : 'done';
      this.entities.set(id, next);
    } else if (event.stateName === 'Transform' && line) {
      line.transformed += 1;
      line.staged += (out as Partial<TransformResult>).toSend ?? 0;
      line.state = line.transformed >= line.pages ? 'sending' : 'transforming';
      line.note = undefined;
    } else if (event.stateName === 'Upsert' && line) {
      const r = out as Partial<UpsertResult>;
      line.sent += r.sent ?? 0;
      line.failed += r.failed ?? 0;
      line.state = r.done === false ? 'sending' : 'done';
      line.note = undefined;
    }
  }

  /** The lines to show, each cut to `width` columns so none wraps. */
  lines(width: number): string[] {
    const pad = Math.max(0, ...[...this.entities.keys()].map((k) => k.length));
    const rows = [...this.entities.values()].map((e) => formatEntity(e, pad));
    return [...this.header, ...rows].map((l) =>
      l.length > width ? `${l.slice(0, Math.max(0, width - 1))}…` : l,
    );
  }
}

function blank(id: string): EntityLine {
  return { id, state: 'extracting', extracted: 0, pages: 0, transformed: 0, staged: 0, sent: 0, failed: 0 };
}

const count = (n: number) => n.toLocaleString('en-US');

function formatEntity(e: EntityLine, pad: number): string {
  const pages = e.pages > 0 ? ` (${e.transformed}/${e.pages} page(s))` : '';
  const failed = e.failed > 0 ? `, ${count(e.failed)} failed` : '';
  const note = e.note ? ` [${e.note}]` : '';
  return `${e.id.padEnd(pad)}  extracted ${count(e.extracted)}  staged ${count(e.staged)}${pages}  sent ${count(e.sent)}${failed}  ${e.state}${note}`;
}

/** A terminal stream as the live view needs it (process.stderr on a TTY; a fake in tests). */
export interface TerminalStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface Progress {
  onTaskEvent: (event: TaskEvent) => void;
  /** Draws the final state (the live view throttles redraws). */
  finish: () => void;
}

/**
 * Progress on `stream`: on a TTY a live block, a line per company and entity redrawn in place
 * (at most every `intervalMs`); otherwise the plain lines of `progressReporter`; nothing when quiet.
 */
export function createProgress(
  stream: TerminalStream,
  options: { quiet?: boolean; intervalMs?: number; now?: () => number } = {},
): Progress {
  if (options.quiet) return { onTaskEvent: () => undefined, finish: () => undefined };
  if (!stream.isTTY) {
    return { onTaskEvent: progressReporter((line) => stream.write(`${line}\n`)), finish: () => undefined };
  }
  return liveProgress(stream, options.intervalMs ?? 100, options.now ?? Date.now);
}

function liveProgress(stream: TerminalStream, intervalMs: number, now: () => number): Progress {
  const model = new ProgressModel();
  let drawn = 0;
  let lastDraw = Number.NEGATIVE_INFINITY;
  const draw = () => {
    const lines = model.lines(Math.max(20, (stream.columns ?? 80) - 1));
    const up = drawn > 0 ? `\x1b[${drawn}A` : '';
    stream.write(`${up}${lines.map((l) => `\r\x1b[2K${l}\n`).join('')}`);
    drawn = lines.length;
    lastDraw = now();
  };
  return {
    onTaskEvent: (event) => {
      model.apply(event);
      if (now() - lastDraw >= intervalMs) draw();
    },
    finish: draw,
  };
}
