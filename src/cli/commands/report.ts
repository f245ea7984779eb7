import type { SyncStore } from '../../core/store/sync-store.js';
import { resolveRunId } from '../../report/data.js';
import { defaultReportPath, writeReport } from '../../report/write.js';
import { NO_RUNS, noRun, type Output } from './output.js';

export interface ReportOptions {
  runId?: string;
  out?: string;
  dataDir: string;
  json?: boolean;
}

/** `report [RUN_ID] [--out FILE]`: writes the run's HTML report and prints its path. */
export async function reportCommand(store: SyncStore, options: ReportOptions, io: Output): Promise<number> {
  const runId = await resolveRunId(store, options.runId);
  if (!runId) {
    io.stderr(NO_RUNS);
    return 1;
  }
  const file = await writeReport(store, runId, options.out ?? defaultReportPath(options.dataDir, runId));
  if (!file) {
    io.stderr(noRun(runId));
    return 1;
  }
  io.stdout(options.json ? `${JSON.stringify({ runId, report: file })}\n` : `${file}\n`);
  return 0;
}
