import type { SyncStore } from '../../core/store/sync-store.js';
import { readRunHeader, recentRuns, resolveRunId } from '../../report/data.js';
import { formatRunDetail, formatRunList, runListJson } from '../format.js';
import { NO_RUNS, noRun, type Output } from './output.js';

/** `runs [--json]`: the latest runs, newest first. */
export async function runsCommand(
  store: SyncStore,
  options: { json?: boolean; limit?: number },
  io: Output,
): Promise<number> {
  const runs = await recentRuns(store, options.limit ?? 20);
  io.stdout(options.json ? `${JSON.stringify(runListJson(runs), null, 2)}\n` : `${formatRunList(runs)}\n`);
  return 0;
}

/** `show [RUN_ID] [--json]`: a readable summary of a run (default: the latest); raw JSON with --json. */
export async function showCommand(
  store: SyncStore,
  options: { runId?: string; json?: boolean },
  io: Output,
): Promise<number> {
  const runId = await resolveRunId(store, options.runId);
  if (!runId) {
    io.stderr(NO_RUNS);
    return 1;
  }
  const run = await readRunHeader(store, runId);
  if (!run) {
    io.stderr(noRun(runId));
    return 1;
  }
  const failures = await store.getFailures(runId);
  if (options.json) {
    const { runId: id, status, startedAt, finishedAt, input, summary, apiCalls } = run;
    io.stdout(
      `${JSON.stringify({ runId: id, status, startedAt, finishedAt, input, summary, apiCalls, failures }, null, 2)}\n`,
    );
  } else {
    io.stdout(`${formatRunDetail(run, failures)}\n`);
  }
  return 0;
}
