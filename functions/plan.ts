import { appOnce, type SyncApp } from '../src/core/app.js';
import { type LambdaContext, observe } from '../src/core/observability/index.js';
import { parseEvent, planEvent } from '../src/core/sync/events.js';
import { type Plan, plan } from '../src/core/sync/plan.js';

/** Validates the execution input, orders entities into dependency waves and opens the run record. */
export function planHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<Plan> => {
    const e = parseEvent(planEvent, event, 'plan');
    const app = getApp();
    return observe('plan', app.log.child({ executionName: e.executionName }), context, () => plan(app, e));
  };
}

/** Lambda's entry: one app per container. */
export const handler = planHandler(appOnce());
