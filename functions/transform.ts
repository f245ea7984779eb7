import { appOnce, type SyncApp } from '../src/core/app.js';
import { type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { pageEvent, parseEvent } from '../src/core/sync/events.js';
import { type TransformResult, transform } from '../src/core/sync/transform.js';

/** Maps one staged page, rejects invalid rows, drops unchanged ones and stages the rest for Upsert. */
export function transformHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<TransformResult> => {
    const task = parseEvent(pageEvent, event, 'transform');
    const app = getApp();
    return observe('transform', app.log.child(runKeys(task)), context, ({ log }) =>
      transform(app.with({ log }), task),
    );
  };
}

/** Lambda's entry: one app per container. */
export const handler = transformHandler(appOnce());
