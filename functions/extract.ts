import { type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { loadSecrets } from '../src/core/secrets.js';
import { defaultContext } from '../src/core/sync/context.js';
import { entityEvent, parseEvent } from '../src/core/sync/events.js';
import { type ExtractResult, extract } from '../src/core/sync/extract.js';

/** Streams one company's view into staged pages; returns page numbers, never rows. */
export async function handler(event: unknown, context?: LambdaContext): Promise<ExtractResult> {
  const task = parseEvent(entityEvent, event, 'extract');
  const ctx = defaultContext();
  return observe('extract', ctx.log.child(runKeys(task)), context, async ({ log }) => {
    await loadSecrets();
    return extract({ ...ctx, log }, task);
  });
}
