/**
 * Counts DynamoDB calls by operation in this process, with the time they took (summed over
 * concurrent calls), by wrapping DynamoDBClient.prototype.send. Bench instrumentation only.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export type DynamoCallFigures = Record<string, { calls: number; ms: number }>;

type Send = (this: DynamoDBClient, command: object, ...rest: unknown[]) => unknown;

export function countDynamoCalls(): { figures: () => DynamoCallFigures; restore: () => void } {
  const byKind: DynamoCallFigures = {};
  const prototype = DynamoDBClient.prototype as unknown as { send: Send };
  const original = prototype.send;
  prototype.send = function (this: DynamoDBClient, command: object, ...rest: unknown[]) {
    const kind = command.constructor.name.replace(/^_+/, '').replace(/Command$/, '');
    const entry = byKind[kind] ?? { calls: 0, ms: 0 };
    byKind[kind] = entry;
    entry.calls += 1;
    const started = performance.now();
    const out = original.call(this, command, ...rest);
    if (out instanceof Promise) {
      return out.finally(() => {
        entry.ms += performance.now() - started;
      });
    }
    return out;
  };
  return {
    figures: () =>
      Object.fromEntries(
        Object.entries(byKind)
          .sort((a, b) => b[1].calls - a[1].calls)
          .map(([k, v]) => [k, { calls: v.calls, ms: Math.round(v.ms) }]),
      ),
    restore: () => {
      prototype.send = original;
    },
  };
}
