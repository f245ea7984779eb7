import { type LambdaContext, observe } from '../src/core/observability/index.js';
import { defaultContext } from '../src/core/sync/context.js';
import { parseEvent, planEvent } from '../src/core/sync/events.js';
import { type Plan, plan } from '../src/core/sync/plan.js';

/** Validates the execution input, orders entities into dependency waves and opens the run record. */
export async function handler(event: unknown, context?: LambdaContext): Promise<Plan> {
  const { input, executionName } = parseEvent(planEvent, event, 'plan');
  const ctx = defaultContext();
  return observe('plan', ctx.log.child({ executionName }), context, () =>
    plan(ctx.store, ctx.config, executionName, input),
  );
}
