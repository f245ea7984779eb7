/**
 * The deletes phase's world: a copy of the sync's config with `onDelete: "delete"` for every
 * entity (the phase's child process reads it through SYNC_CONFIG_PATH), and which company/entity
 * pairs would trip the mass-deletion guard only because their views are tiny (--quick).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `<dir>/deletes.config.json`: the source config with every entity's onDelete "delete". */
export function writeDeletesConfig(source: string, dir: string): string {
  const raw = JSON.parse(readFileSync(source, 'utf8')) as {
    entities?: Record<string, Record<string, unknown>>;
  };
  if (!raw.entities || Object.keys(raw.entities).length === 0) {
    throw new Error(`${source} has no entities to turn onDelete "delete" on`);
  }
  for (const entity of Object.values(raw.entities)) entity.onDelete = 'delete';
  const file = path.join(dir, 'deletes.config.json');
  writeFileSync(file, `${JSON.stringify(raw, null, 2)}\n`);
  return file;
}

export interface PairRemoval {
  company: string;
  entity: string;
  /** Rows of the view before anything was removed. */
  viewRows: number;
  /** Keys removed from the view since the snapshot last removed any (the delta's and this phase's). */
  removed: number;
}

/**
 * Pairs whose removals exceed `maxDeletePercent` of their view (the guard's base is the records in
 * Salesforce, a little fewer than the view's rows, hence the margin): at 10,000 rows 1% never
 * does; at --quick's 400 rows one row of a 10-row view is 10%. Those pairs are confirmed in the
 * execution input (`allowMassDelete: ["CO/entity"]`), and the report says so.
 */
export function pairsOverGuard(pairs: PairRemoval[], maxDeletePercent = 10, margin = 0.9): string[] {
  return pairs
    .filter((p) => p.removed * 100 > maxDeletePercent * margin * p.viewRows)
    .map((p) => `${p.company}/${p.entity}`);
}
