/**
 * API usage against the daily limit (a rolling 24 hours, counted in hourly buckets and
 * persisted), and per-endpoint request counters for tests and benchmarks (in memory only).
 *
 * What counts toward the limit: every authenticated REST request the org accepts (not OAuth
 * token requests, not requests refused with 401, 403 REQUEST_LIMIT_EXCEEDED or an injected 503).
 * `byEndpoint` counts every request received per endpoint key, whatever its outcome.
 */
import type { Persistence } from './persistence.js';

const HOUR_MS = 3600 * 1000;
const FLUSH_MS = 1000;

export class Usage {
  private buckets = new Map<number, number>();
  private readonly endpoints = new Map<string, number>();
  private dirty = false;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly limit: number,
    private readonly persistence: Persistence,
  ) {
    const saved = persistence.meta('usage');
    if (saved) this.buckets = new Map(JSON.parse(saved) as Array<[number, number]>);
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  /** Requests counted in the last 24 hours. */
  used(now = Date.now()): number {
    const hour = Math.floor(now / HOUR_MS);
    let total = 0;
    for (const [h, n] of this.buckets) {
      if (h > hour - 24) total += n;
      else this.buckets.delete(h);
    }
    return total;
  }

  exceeded(now = Date.now()): boolean {
    return this.used(now) >= this.limit;
  }

  count(now = Date.now()): void {
    const hour = Math.floor(now / HOUR_MS);
    this.buckets.set(hour, (this.buckets.get(hour) ?? 0) + 1);
    this.dirty = true;
  }

  hit(endpoint: string): void {
    this.endpoints.set(endpoint, (this.endpoints.get(endpoint) ?? 0) + 1);
  }

  byEndpoint(): Record<string, number> {
    return Object.fromEntries([...this.endpoints].sort(([a], [b]) => a.localeCompare(b)));
  }

  /** Clears the per-endpoint counters and the daily usage. */
  reset(): void {
    this.endpoints.clear();
    this.buckets.clear();
    this.dirty = true;
    this.flush();
  }

  flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.persistence.saveMeta('usage', JSON.stringify([...this.buckets]));
  }

  stop(): void {
    clearInterval(this.timer);
    this.flush();
  }
}

/**
 * The concurrent long-running request limit: Salesforce refuses a new API request with 403
 * REQUEST_LIMIT_EXCEEDED "ConcurrentRequests (Concurrent API Requests) Limit exceeded." while
 * `limit` requests (25 in production and sandboxes) have been running `thresholdMs` (20 s) or longer.
 */
export class LongRequests {
  private readonly running = new Set<{ start: number }>();
  private refusedCount = 0;

  constructor(
    readonly limit: number,
    readonly thresholdMs: number,
  ) {}

  /** Requests refused by this limit since the last reset. */
  get refused(): number {
    return this.refusedCount;
  }

  resetCounters(): void {
    this.refusedCount = 0;
  }

  /** Whether a request arriving now is refused (and counts it when it is). */
  refuse(now = Date.now()): boolean {
    let long = 0;
    for (const r of this.running) if (now - r.start >= this.thresholdMs) long++;
    if (long < this.limit) return false;
    this.refusedCount++;
    return true;
  }

  /** Marks a request as running; call the returned function when it ends. */
  begin(now = Date.now()): () => void {
    const entry = { start: now };
    this.running.add(entry);
    return () => {
      this.running.delete(entry);
    };
  }
}
