import { type LambdaContext, observe } from '../src/core/observability/index.js';
import { loadSecrets } from '../src/core/secrets.js';
import { authenticate } from '../src/core/sync/auth.js';
import { defaultContext } from '../src/core/sync/context.js';
import { authenticateEvent, parseEvent } from '../src/core/sync/events.js';

/** Gets a Salesforce token into the token cache; returns only a reference, never the token. */
export async function handler(
  event: unknown,
  context?: LambdaContext,
): Promise<{ tokenRef: string; expiresAt: string }> {
  parseEvent(authenticateEvent, event, 'authenticate');
  const ctx = defaultContext();
  return observe('authenticate', ctx.log, context, async () => {
    await loadSecrets();
    return authenticate(ctx.store, ctx.config);
  });
}
