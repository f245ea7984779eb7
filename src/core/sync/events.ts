import { z } from 'zod';
import { InvalidInputError } from '../errors.js';

/** The shapes the state machine passes to each Lambda. Parse, don't trust. */
export const planEvent = z.object({ input: z.unknown(), executionName: z.string().min(1) });

export const authenticateEvent = z.object({ runId: z.string().min(1) });

export const entityEvent = z.object({
  runId: z.string().min(1),
  company: z.string().min(1),
  entity: z.string().min(1),
  mode: z.enum(['delta', 'full']),
  /**
   * The upsert function also runs the Remove step (operation "remove") and the Bulk API 2.0 path
   * (bulkStart, bulkPoll, bulkFinish: see src/core/sync/bulk.ts).
   */
  operation: z.enum(['upsert', 'remove', 'bulkStart', 'bulkPoll', 'bulkFinish']).optional(),
});

/** A Salesforce record or job Id: 15 or 18 letters and digits. */
const salesforceId = z
  .string()
  .regex(/^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$/, 'a 15- or 18-character Salesforce Id');

/**
 * The Bulk path's state between its tasks: job ids and counters only, never records. `finished`
 * jobs (from the start of `jobs`) are known to be done; `round` 0 is the first set of jobs, later
 * rounds resend the records Salesforce did not process.
 */
export const bulkEvent = entityEvent.extend({
  operation: z.enum(['bulkStart', 'bulkPoll', 'bulkFinish']),
  jobs: z.array(salesforceId).max(1000).default([]),
  finished: z.number().int().min(0).default(0),
  attempt: z.number().int().min(0).default(0),
  round: z.number().int().min(0).default(0),
});

export const pageEvent = entityEvent.extend({ page: z.number().int().positive() });

const stepFailure = z.object({ Error: z.string().optional(), Cause: z.string().optional() }).optional();

export const reportEvent = z.discriminatedUnion('action', [
  z.object({
    action: z.literal('recordFailure'),
    scope: z.enum(['page', 'entity', 'company', 'run']),
    runId: z.string().min(1),
    company: z.string().optional(),
    entity: z.string().optional(),
    page: z.number().int().positive().optional(),
    failure: stepFailure,
  }),
  z.object({
    action: z.literal('finish'),
    runId: z.string().min(1),
    companies: z.array(
      z.object({
        company: z.string(),
        waves: z.array(z.array(z.string())),
        removals: z.array(z.array(z.string())).default([]),
      }),
    ),
    failure: stepFailure,
  }),
]);

export type PlanEvent = z.infer<typeof planEvent>;
export type AuthenticateEvent = z.infer<typeof authenticateEvent>;
export type EntityEvent = z.infer<typeof entityEvent>;
export type BulkEvent = z.infer<typeof bulkEvent>;
export type PageEvent = z.infer<typeof pageEvent>;
export type ReportEvent = z.infer<typeof reportEvent>;
export type RecordFailureEvent = Extract<ReportEvent, { action: 'recordFailure' }>;
export type FinishEvent = Extract<ReportEvent, { action: 'finish' }>;

export function parseEvent<T extends z.ZodType>(schema: T, event: unknown, handler: string): z.infer<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'event'}: ${i.message}`)
      .join('; ');
    throw new InvalidInputError(`${handler} received an event it cannot use: ${problems}`);
  }
  return parsed.data;
}
