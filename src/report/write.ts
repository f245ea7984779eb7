import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SyncStore } from '../core/store/sync-store.js';
import { gatherReport } from './data.js';
import { renderReport } from './html.js';

/** Where a run's report goes unless --out says otherwise: <data dir>/reports/<runId>.html. */
export function defaultReportPath(dataDir: string, runId: string): string {
  return path.join(dataDir, 'reports', `${runId}.html`);
}

/** Gathers a run from the store and writes its HTML report; undefined when the run is unknown. */
export async function writeReport(
  store: SyncStore,
  runId: string,
  file: string,
): Promise<string | undefined> {
  const data = await gatherReport(store, runId);
  if (!data) return undefined;
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  writeFileSync(file, renderReport(data), 'utf8');
  return path.resolve(file);
}
