import { appOnce, type SyncApp } from '../src/core/app.js';
import { type LambdaContext, observe } from '../src/core/observability/index.js';
import { authenticateEvent, parseEvent } from '../src/core/sync/events.js';

type AuthenticateResult = { tokenRef: string; expiresAt: string };

/** Gets a Salesforce token into the token cache; returns only a reference, never the token. */
export function authenticateHandler(getApp: () => SyncApp) {
  return (event: unknown, context?: LambdaContext): Promise<AuthenticateResult> => {
    parseEvent(authenticateEvent, event, 'authenticate');
    const app = getApp();
    return observe('authenticate', app.log, context, async () => {
      await app.secrets.load();
      return app.authenticate();
    });
  };
}

/** Lambda's entry: one app per container. */
export const handler = authenticateHandler(appOnce());
