/** Watches a local run's task events: Upsert requests per company/entity and time spent per state. */

/** The part of the local runner's task events this reads. */
export interface TaskEventLike {
  type: string;
  stateName: string;
  input?: unknown;
  output?: unknown;
  /** Duration of a finished task, when the runner reports it. */
  ms?: number;
}

export interface ObservedFigures {
  /** Upsert requests per "COMPANY/entity". */
  upsertRequests: Record<string, number>;
  /** Remove requests (deletes or deactivations) per "COMPANY/entity". */
  removeRequests: Record<string, number>;
  /** Transform invocations per "COMPANY/entity" (retries included). */
  transforms: Record<string, number>;
  /** Task invocations per state name. */
  tasks: Record<string, number>;
  /** Summed task durations per state (ms), from start to success or failure. */
  taskMs: Record<string, number>;
  /** From the first task start to the last task end of each state (ms). */
  spanMs: Record<string, number>;
}

function keyOf(event: TaskEventLike): string {
  const input = (event.input ?? {}) as { company?: unknown; entity?: unknown; page?: unknown };
  return `${event.stateName}|${String(input.company)}|${String(input.entity)}|${String(input.page)}`;
}

function pairOf(event: TaskEventLike): string {
  const input = (event.input ?? {}) as { company?: unknown; entity?: unknown };
  return `${String(input.company)}/${String(input.entity)}`;
}

export function syncObserver(now: () => number = () => performance.now()): {
  onTaskEvent: (event: TaskEventLike) => void;
  figures: () => ObservedFigures;
} {
  const upsertRequests: Record<string, number> = {};
  const removeRequests: Record<string, number> = {};
  const transforms: Record<string, number> = {};
  const add = (counts: Record<string, number>, pair: string, n: number) => {
    counts[pair] = (counts[pair] ?? 0) + n;
  };
  const tasks: Record<string, number> = {};
  const taskMs: Record<string, number> = {};
  const first: Record<string, number> = {};
  const last: Record<string, number> = {};
  const open = new Map<string, number[]>();
  return {
    onTaskEvent(event) {
      const t = now();
      const key = keyOf(event);
      const state = event.stateName;
      if (/Start|Schedul/i.test(event.type)) {
        tasks[state] = (tasks[state] ?? 0) + 1;
        if (state === 'Transform') add(transforms, pairOf(event), 1);
        first[state] ??= t;
        const list = open.get(key) ?? [];
        list.push(t);
        open.set(key, list);
        return;
      }
      if (!/Succeed|Fail/i.test(event.type)) return;
      last[state] = t;
      const started = open.get(key)?.shift();
      const ms = event.ms ?? (started === undefined ? undefined : t - started);
      if (ms !== undefined) taskMs[state] = (taskMs[state] ?? 0) + ms;
      if (/Succeed/i.test(event.type) && (state === 'Upsert' || state === 'Remove')) {
        const output = (event.output ?? {}) as { requests?: number };
        add(
          state === 'Upsert' ? upsertRequests : removeRequests,
          pairOf(event),
          Number(output.requests ?? 0),
        );
      }
    },
    figures() {
      const spanMs: Record<string, number> = {};
      for (const [state, t0] of Object.entries(first)) {
        const t1 = last[state];
        if (t1 !== undefined) spanMs[state] = Math.round(t1 - t0);
      }
      const rounded = Object.fromEntries(Object.entries(taskMs).map(([k, v]) => [k, Math.round(v)]));
      return { upsertRequests, removeRequests, transforms, tasks, taskMs: rounded, spanMs };
    },
  };
}
