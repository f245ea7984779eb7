/**
 * Faults on demand, reproducible: every random decision comes from one seeded PRNG (mulberry32),
 * so the same seed and the same sequence of requests give the same failures.
 */
import { z } from 'zod';

export interface SalesforceFaults {
  seed?: number; // deterministic PRNG
  unavailableShare?: number; // 0..1 of REST requests (not OAuth) answer 503 SERVER_UNAVAILABLE
  lockRowShare?: number; // 0..1 of records in writes fail with UNABLE_TO_LOCK_ROW
  expireSessionAfterCalls?: number; // every token becomes invalid after N REST calls made with it (0/undefined = off)
  latencyMs?: number; // added to every request
}

export const faultsSchema = z.strictObject({
  seed: z.number().int().optional(),
  unavailableShare: z.number().min(0).max(1).optional(),
  lockRowShare: z.number().min(0).max(1).optional(),
  expireSessionAfterCalls: z.number().int().min(0).optional(),
  latencyMs: z.number().min(0).max(600000).optional(),
});

export class FaultsError extends Error {
  override readonly name = 'FaultsError';
}

/** Validates a faults object, naming what is wrong and what is accepted. */
export function parseFaults(input: unknown): SalesforceFaults {
  const parsed = faultsSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const issues = parsed.error.issues
      .map((i) => `${i.path.join('.') || '(faults)'}: ${i.message}`)
      .join('; ');
    throw new FaultsError(
      `invalid faults: ${issues}. Accepted: {seed?: integer, unavailableShare?: 0..1, lockRowShare?: 0..1, expireSessionAfterCalls?: integer >= 0, latencyMs?: 0..600000}`,
    );
  }
  return parsed.data;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  private current: SalesforceFaults = {};
  private random: () => number = mulberry32(0);

  constructor(initial: SalesforceFaults = {}) {
    this.set(initial);
  }

  /** Replaces the fault configuration and restarts the PRNG from the seed. */
  set(faults: SalesforceFaults): void {
    this.current = parseFaults(faults);
    this.random = mulberry32(this.current.seed ?? 1);
  }

  get config(): SalesforceFaults {
    return { ...this.current };
  }

  get latencyMs(): number {
    return this.current.latencyMs ?? 0;
  }

  get expireSessionAfterCalls(): number {
    return this.current.expireSessionAfterCalls ?? 0;
  }

  /** Whether this REST request answers 503 (draws only when the share is set). */
  unavailable(): boolean {
    const share = this.current.unavailableShare ?? 0;
    return share > 0 && this.random() < share;
  }

  /** Whether this record write fails with UNABLE_TO_LOCK_ROW (draws only when the share is set). */
  lockRow(): boolean {
    const share = this.current.lockRowShare ?? 0;
    return share > 0 && this.random() < share;
  }
}
