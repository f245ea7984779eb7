import { appOnce, type SyncApp } from '../src/core/app.js';
import { addApiCallMetrics, type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { entityEvent, parseEvent } from '../src/core/sync/events.js';
import { remove } from '../src/core/sync/remove.js';
import { type UpsertResult, upsert } from '../src/core/sync/upsert.js';

/**
 * Sends an entity's staged changes to Salesforce through sObject Collections upserts. Returns
 * `done: false` when it stopped to stay inside its time limit; the state machine calls it again.
 */
export function upsertHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<UpsertResult> => {
    const task = parseEvent(entityEvent, event, 'upsert');
    const app = getApp();
    const remaining = context?.getRemainingTimeInMillis?.bind(context);
    return observe('upsert', app.log.child(runKeys(task)), context, async ({ log, metrics }) => {
      await app.secrets.load();
      const step = task.operation === 'remove' ? remove : upsert;
      const result = await step(app.with({ log }), task, remaining ? { remainingMs: remaining } : {});
      addApiCallMetrics(metrics, result.requests);
      return result;
    });
  };
}

/** Lambda's entry: one app per container. */
export const handler = upsertHandler(appOnce());
