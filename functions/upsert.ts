import { addApiCallMetrics, type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { loadSecrets } from '../src/core/secrets.js';
import { defaultContext } from '../src/core/sync/context.js';
import { entityEvent, parseEvent } from '../src/core/sync/events.js';
import { remove } from '../src/core/sync/remove.js';
import { type UpsertResult, upsert } from '../src/core/sync/upsert.js';

/**
 * Sends an entity's staged changes to Salesforce through sObject Collections upserts. Returns
 * `done: false` when it stopped to stay inside its time limit; the state machine calls it again.
 */
export async function handler(event: unknown, context?: LambdaContext): Promise<UpsertResult> {
  const task = parseEvent(entityEvent, event, 'upsert');
  const ctx = defaultContext();
  const remaining = context?.getRemainingTimeInMillis?.bind(context);
  return observe('upsert', ctx.log.child(runKeys(task)), context, async ({ log, metrics }) => {
    await loadSecrets();
    const step = task.operation === 'remove' ? remove : upsert;
    const result = await step({ ...ctx, log }, task, remaining ? { remainingMs: remaining } : {});
    addApiCallMetrics(metrics, result.requests);
    return result;
  });
}
