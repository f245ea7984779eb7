import { Metrics } from '@aws-lambda-powertools/metrics';
import { type Logger, SERVICE_NAME } from '../logger.js';
import { NAMESPACE } from './metrics.js';
import { tracer } from './tracer.js';

export { addApiCallMetrics, addRunMetrics, BUCKET_METRICS, NAMESPACE } from './metrics.js';
export { tracer } from './tracer.js';

/** The parts of the Lambda context the wrappers read (absent when the local runner calls them). */
export interface LambdaContext {
  awsRequestId?: string;
  getRemainingTimeInMillis?: () => number;
}

export interface Invocation {
  log: Logger;
  metrics: Metrics;
}

/** The keys that say which run, company, entity and page a line is about; nothing else of the event. */
export function runKeys(event: object): Record<string, string | number> {
  const keys: Record<string, string | number> = {};
  for (const name of ['runId', 'company', 'entity', 'page'] as const) {
    const value = (event as Record<string, unknown>)[name];
    if (typeof value === 'string' || typeof value === 'number') keys[name] = value;
  }
  return keys;
}

/** EMF metrics for one invocation: namespace `SfSync`, dimensions `service` and `stage` (env STAGE). */
export function createMetrics(): Metrics {
  return new Metrics({
    namespace: NAMESPACE,
    serviceName: SERVICE_NAME,
    defaultDimensions: { stage: process.env.STAGE ?? 'local' },
  });
}

/**
 * Runs one handler's work inside an X-Ray subsegment `## <step>` (in Lambda), with a logger
 * carrying the step and request id, and flushes its metrics as one EMF line on stdout at the end
 * (also when it fails). Locally (no AWS_LAMBDA_FUNCTION_NAME) metrics are dropped, not printed.
 */
export async function observe<T>(
  step: string,
  log: Logger,
  context: LambdaContext | undefined,
  work: (inv: Invocation) => Promise<T>,
): Promise<T> {
  const metrics = createMetrics();
  const inv = {
    log: log.child({ step, ...(context?.awsRequestId ? { requestId: context.awsRequestId } : {}) }),
    metrics,
  };
  const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
  const sub = parent?.addNewSubsegment(`## ${step}`);
  if (sub) {
    tracer.setSegment(sub);
    tracer.annotateColdStart();
    tracer.addServiceNameAnnotation();
  }
  try {
    return await work(inv);
  } catch (error) {
    if (sub) tracer.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    sub?.close();
    if (parent) tracer.setSegment(parent);
    flush(metrics);
  }
}

function flush(metrics: Metrics): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME && metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  else metrics.clearMetrics();
}
