import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncConfig } from '../../core/config/load.js';
import type { SyncStore } from '../../core/store/sync-store.js';
import { type EntityTarget, failuresCsv } from '../../report/csv.js';
import { readRunHeader } from '../../report/data.js';
import { noRun, type Output } from './output.js';

export interface FailuresOptions {
  runId: string;
  csv?: string;
  json?: boolean;
}

function targets(config: SyncConfig): (entity: string) => EntityTarget | undefined {
  return (name) => {
    const e = config.entities.find((x) => x.name === name);
    return e ? { object: e.object, externalIdField: e.externalIdField, strategy: e.strategy } : undefined;
  };
}

/** `failures RUN_ID --csv FILE`: the run's rejected and failed rows as a Data Loader–style error file. */
export async function failuresCommand(
  store: SyncStore,
  config: SyncConfig,
  options: FailuresOptions,
  io: Output,
): Promise<number> {
  if (!(await readRunHeader(store, options.runId))) {
    io.stderr(noRun(options.runId));
    return 1;
  }
  const failures = await store.getFailures(options.runId);
  if (options.json) {
    io.stdout(`${JSON.stringify(failures, null, 2)}\n`);
  }
  if (options.csv) {
    writeFileSync(options.csv, failuresCsv(failures, targets(config)), 'utf8');
    io.stderr(`${failures.length} rejected or failed rows written to ${path.resolve(options.csv)}\n`);
  }
  return 0;
}
