import { type LambdaContext, observe, runKeys } from '../src/core/observability/index.js';
import { defaultContext } from '../src/core/sync/context.js';
import { pageEvent, parseEvent } from '../src/core/sync/events.js';
import { type TransformResult, transform } from '../src/core/sync/transform.js';

/** Maps one staged page, rejects invalid rows, drops unchanged ones and stages the rest for Upsert. */
export async function handler(event: unknown, context?: LambdaContext): Promise<TransformResult> {
  const task = parseEvent(pageEvent, event, 'transform');
  const ctx = defaultContext();
  return observe('transform', ctx.log.child(runKeys(task)), context, ({ log }) =>
    transform({ ...ctx, log }, task),
  );
}
