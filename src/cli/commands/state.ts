import type { SyncConfig } from '../../core/config/load.js';
import { externalId } from '../../core/mapping.js';
import { keyOf, type SnapEntry } from '../../core/snapshot/entry.js';
import { SnapshotStore } from '../../core/snapshot/store.js';
import type { SyncStore } from '../../core/store/sync-store.js';
import { shown } from '../../core/sync/input.js';
import type { Output } from './output.js';

export interface StateOptions {
  company: string;
  entity: string;
  key?: string;
  json?: boolean;
  /** Rows printed in the table (the JSON holds them all). */
  limit?: number;
}

/** Why the company or entity cannot be looked up, or undefined. */
function unknownTarget(config: SyncConfig, { company, entity }: StateOptions): string | undefined {
  if (!config.companies.includes(company))
    return `--company ${shown(company)}: not in the config (known: ${config.companies.join(', ')})`;
  const names = config.entities.map((e) => e.name);
  if (!names.includes(entity))
    return `--entity ${shown(entity)}: not in the config (known: ${names.join(', ')})`;
  return undefined;
}

interface StateRow {
  key: string;
  status: string;
  sfId: string;
  externalId: string;
  hash: string;
  /** Salesforce's or our code, for failed and rejected records. */
  code: string;
}

function stateTable(rows: readonly StateRow[], total: number, limit: number): string {
  const header = ['key', 'status', 'Salesforce Id', 'external ID', 'content hash', 'code'];
  const cells = rows
    .slice(0, limit)
    .map((r) => [r.key, r.status, r.sfId, r.externalId, r.hash.slice(0, 12), r.code]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length)));
  const fmt = (r: string[]) =>
    r
      .map((v, i) => v.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  const lines = [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(fmt)];
  if (total > limit) lines.push(`... and ${total - limit} more (all of them with --json)`);
  return lines.join('\n');
}

/**
 * `state --company C --entity E [--key K]`: what the sync believes Salesforce holds, from the
 * entity's snapshot — per key, its status (synced, failed, rejected, deleted), Salesforce Id,
 * external ID, content hash and error code. A key with no entry was never sent (new, or not yet
 * extracted).
 */
export async function stateCommand(
  store: SyncStore,
  config: SyncConfig,
  options: StateOptions,
  io: Output,
): Promise<number> {
  const problem = unknownTarget(config, options);
  if (problem) {
    io.stderr(`sf-sync: ${problem}\n`);
    return 2;
  }
  const { company, entity, key } = options;
  const snapshots = new SnapshotStore(store.table);
  const entries: readonly SnapEntry[] =
    key === undefined
      ? (await snapshots.load(company, entity)).snapshot.entries
      : [...(await snapshots.lookupKeys(company, entity, [key])).values()];
  const lease = await snapshots.holder(company, entity);
  const leaseLine = lease
    ? `Run ${lease.holder} is syncing ${company} ${entity} (its lease runs until ${new Date(lease.until).toISOString()}; an execution that was stopped lets it run out).\n`
    : '';
  const rows: StateRow[] = entries.map((e) => ({
    key: keyOf(e),
    status: e.status,
    sfId: e.sfId ?? '',
    externalId: externalId(company, keyOf(e)),
    hash: e.hash,
    code: e.code ?? '',
  }));
  if (options.json) {
    const held = lease ? { lease: { holder: lease.holder, until: new Date(lease.until).toISOString() } } : {};
    io.stdout(`${JSON.stringify({ company, entity, ...held, records: rows }, null, 2)}\n`);
    return key !== undefined && rows.length === 0 ? 1 : 0;
  }
  if (leaseLine) io.stderr(leaseLine);
  if (rows.length === 0) {
    io.stdout(
      key === undefined
        ? `sf-sync holds no record of ${company} ${entity} yet.\n`
        : `sf-sync holds nothing for key ${shown(key)} of ${company} ${entity}: it was never sent (new, or not extracted yet).\n`,
    );
    return key === undefined ? 0 : 1;
  }
  io.stdout(`${stateTable(rows, rows.length, options.limit ?? 50)}\n`);
  return 0;
}
