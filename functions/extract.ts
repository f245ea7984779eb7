import { appOnce, type SyncApp } from '../src/core/app.js';
import { type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { entityEvent, parseEvent } from '../src/core/sync/events.js';
import { type ExtractResult, extract } from '../src/core/sync/extract.js';

/** Streams one company's view into staged pages; returns page numbers, never rows. */
export function extractHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<ExtractResult> => {
    const task = parseEvent(entityEvent, event, 'extract');
    const app = getApp();
    return observe('extract', app.log.child(runKeys(task)), context, async ({ log }) => {
      await app.secrets.load();
      return extract(app.with({ log }), task);
    });
  };
}

/** Lambda's entry: one app per container. */
export const handler = extractHandler(appOnce());
