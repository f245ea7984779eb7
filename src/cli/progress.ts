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
