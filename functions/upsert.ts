import { appOnce, type SyncApp } from '../src/core/app.js';
import { addApiCallMetrics, type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { type BulkResult, bulkFinish, bulkOptions, bulkPoll, bulkStart } from '../src/core/sync/bulk.js';
import { bulkEvent, entityEvent, parseEvent } from '../src/core/sync/events.js';
import { remove } from '../src/core/sync/remove.js';
import { type UpsertResult, upsert } from '../src/core/sync/upsert.js';

const bulkSteps = { bulkStart, bulkPoll, bulkFinish };

/**
 * Sends an entity's staged changes to Salesforce through sObject Collections upserts. Returns
 * `done: false` when it stopped to stay inside its time limit; the state machine calls it again.
 * With `operation` it also runs the Remove step and the Bulk API 2.0 steps (src/core/sync/bulk.ts).
 */
export function upsertHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<UpsertResult | BulkResult> => {
    const task = parseEvent(entityEvent, event, 'upsert');
    const app = getApp();
    const remaining = context?.getRemainingTimeInMillis?.bind(context);
    return observe('upsert', app.log.child(runKeys(task)), context, async ({ log, metrics }) => {
      await app.secrets.load();
      const op = task.operation;
      if (op === 'bulkStart' || op === 'bulkPoll' || op === 'bulkFinish') {
        const bulkTask = parseEvent(bulkEvent, event, 'upsert');
        const result = await bulkSteps[op](app.with({ log }), bulkTask, bulkOptions(app.env));
        addApiCallMetrics(metrics, result.requests);
        return result;
      }
      const step = op === 'remove' ? remove : upsert;
      const result = await step(app.with({ log }), task, remaining ? { remainingMs: remaining } : {});
      addApiCallMetrics(metrics, result.requests);
      return result;
    });
  };
}

/** Lambda's entry: one app per container. */
export const handler = upsertHandler(appOnce());
