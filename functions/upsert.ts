import { loadSecrets } from '../src/core/secrets.js';
import { defaultContext } from '../src/core/sync/context.js';
import { pageEvent, parseEvent } from '../src/core/sync/events.js';
import { type UpsertResult, upsert } from '../src/core/sync/upsert.js';

/** Sends one staged page to Salesforce through sObject Collections upserts. */
export async function handler(event: unknown): Promise<UpsertResult> {
  const task = parseEvent(pageEvent, event, 'upsert');
  await loadSecrets();
  return upsert(defaultContext(), task);
}
