import { defaultContext } from '../src/core/sync/context.js';
import { pageEvent, parseEvent } from '../src/core/sync/events.js';
import { type TransformResult, transform } from '../src/core/sync/transform.js';

/** Maps one staged page, rejects invalid rows, drops unchanged ones and stages the rest for Upsert. */
export async function handler(event: unknown): Promise<TransformResult> {
  return transform(defaultContext(), parseEvent(pageEvent, event, 'transform'));
}
