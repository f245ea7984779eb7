import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from '../logger.js';

/**
 * X-Ray through Powertools Tracer, built once per container (as Powertools' own examples do).
 * Enabled only inside Lambda (Powertools checks the execution environment); locally every call
 * is a no-op and nothing is sent. When enabled it also traces outgoing HTTP(S) requests, which
 * covers the Salesforce client.
 */
export const tracer = new Tracer({ serviceName: SERVICE_NAME });
