import { loadSecrets } from '../src/core/secrets.js';
import { defaultContext } from '../src/core/sync/context.js';
import { entityEvent, parseEvent } from '../src/core/sync/events.js';
import { type UpsertResult, upsert } from '../src/core/sync/upsert.js';

interface LambdaContext {
  getRemainingTimeInMillis?: () => number;
}

/**
 * Sends an entity's staged changes to Salesforce through sObject Collections upserts. Returns
 * `done: false` when it stopped to stay inside its time limit; the state machine calls it again.
 */
export async function handler(event: unknown, context?: LambdaContext): Promise<UpsertResult> {
  const task = parseEvent(entityEvent, event, 'upsert');
  await loadSecrets();
  const remaining = context?.getRemainingTimeInMillis?.bind(context);
  return upsert(defaultContext(), task, remaining ? { remainingMs: remaining } : {});
}
