import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RunSummary } from '../sync/report.js';

export const NAMESPACE = 'SfSync';

/** Metric names per bucket of the run's totals (the dashboard and alarms read these). */
export const BUCKET_METRICS = {
  extracted: 'RecordsExtracted',
  created: 'RecordsCreated',
  updated: 'RecordsUpdated',
  unchanged: 'RecordsUnchanged',
  rejected: 'RecordsRejected',
  failed: 'RecordsFailed',
  skipped: 'RecordsSkipped',
} as const;

/**
 * What Report adds when a run closes: records by bucket, the run's duration (from its start, when
 * known) and `RunsWithFailures` (1 when a part of the run failed or a record
 * failed in Salesforce; an alarm mails on it).
 */
export function addRunMetrics(metrics: Metrics, summary: RunSummary, durationMs?: number): void {
  for (const [bucket, name] of Object.entries(BUCKET_METRICS)) {
    metrics.addMetric(name, MetricUnit.Count, summary.totals[bucket as keyof typeof BUCKET_METRICS] ?? 0);
  }
  const hadFailures = summary.status !== 'SUCCEEDED' || summary.totals.failed > 0;
  metrics.addMetric('RunsWithFailures', MetricUnit.Count, hadFailures ? 1 : 0);
  if (durationMs !== undefined && Number.isFinite(durationMs) && durationMs >= 0) {
    metrics.addMetric('RunDuration', MetricUnit.Milliseconds, durationMs);
  }
}

/** What Upsert adds per invocation: the Salesforce API requests it made (sum them per run). */
export function addApiCallMetrics(metrics: Metrics, requests: number): void {
  metrics.addMetric('SalesforceApiCalls', MetricUnit.Count, requests);
}
