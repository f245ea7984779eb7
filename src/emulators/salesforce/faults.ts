/**
 * Faults on demand, reproducible: every random decision comes from one seeded PRNG (mulberry32),
 * so the same seed and the same sequence of requests give the same failures. The sticky
 * `UNKNOWN_EXCEPTION` share draws from a hash of the request instead, so one payload fails every
 * time it is sent (as Salesforce's 500s often do) whatever else happened before.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';

export interface SalesforceFaults {
  seed?: number; // deterministic PRNG
  unavailableShare?: number; // 0..1 of REST requests (not OAuth) answer 503 SERVER_UNAVAILABLE
  /** 0..1 of written records fail UNABLE_TO_LOCK_ROW at random (parent locks are modelled apart, always on). */
  lockRowShare?: number;
  expireSessionAfterCalls?: number; // every token becomes invalid after N REST calls made with it (0/undefined = off)
  latencyMs?: number; // added to every request
  /** The next N REST requests answer 500 UNKNOWN_EXCEPTION (counts down; setFaults restarts it). */
  unknownExceptionNext?: number;
  /** 0..1 of distinct REST payloads (method, path, body) answer 500 UNKNOWN_EXCEPTION, every time they are sent. */
  unknownExceptionShare?: number;
  /** REST requests whose body contains any of these strings answer 500 UNKNOWN_EXCEPTION, every time. */
  unknownExceptionMatch?: string[];
  /** The next N REST requests run (a write commits) and then lose their answer: the socket is destroyed. */
  lostResponseNext?: number;
  /** 0..1 of REST requests that run and then lose their answer (draws only when the share is set). */
  lostResponseShare?: number;
}

export const faultsSchema = z.strictObject({
  seed: z.number().int().optional(),
  unavailableShare: z.number().min(0).max(1).optional(),
  lockRowShare: z.number().min(0).max(1).optional(),
  expireSessionAfterCalls: z.number().int().min(0).optional(),
  latencyMs: z.number().min(0).max(600000).optional(),
  unknownExceptionNext: z.number().int().min(0).optional(),
  unknownExceptionShare: z.number().min(0).max(1).optional(),
  unknownExceptionMatch: z.array(z.string().min(1)).optional(),
  lostResponseNext: z.number().int().min(0).optional(),
  lostResponseShare: z.number().min(0).max(1).optional(),
});

const ACCEPTED =
  '{seed?: integer, unavailableShare?: 0..1, lockRowShare?: 0..1, expireSessionAfterCalls?: integer >= 0, latencyMs?: 0..600000, unknownExceptionNext?: integer >= 0, unknownExceptionShare?: 0..1, unknownExceptionMatch?: non-empty strings[], lostResponseNext?: integer >= 0, lostResponseShare?: 0..1}';

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
    throw new FaultsError(`invalid faults: ${issues}. Accepted: ${ACCEPTED}`);
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

/** What identifies a payload for the sticky UNKNOWN_EXCEPTION fault. */
export interface Payload {
  method: string;
  path: string;
  body: string;
}

/**
 * Salesforce's 500 body: `[{"message": "An unexpected error occurred. Please include this ErrorId
 * if you contact support: 1717804919-93512 (-1371860698)", "errorCode": "UNKNOWN_EXCEPTION"}]`.
 * The ErrorId is derived from the payload, so the same request shows the same ErrorId.
 */
export function unknownExceptionBody(payload: Payload): Array<{ message: string; errorCode: string }> {
  const digest = createHash('sha256').update(`${payload.method} ${payload.path}\n${payload.body}`).digest();
  const errorId = `${digest.readUInt32BE(0) % 2000000000}-${digest.readUInt16BE(4) % 100000} (${digest.readInt32BE(6)})`;
  return [
    {
      message: `An unexpected error occurred. Please include this ErrorId if you contact support: ${errorId}`,
      errorCode: 'UNKNOWN_EXCEPTION',
    },
  ];
}

export class Faults {
  private current: SalesforceFaults = {};
  private random: () => number = mulberry32(0);
  private unknownLeft = 0;
  private lostLeft = 0;

  constructor(initial: SalesforceFaults = {}) {
    this.set(initial);
  }

  /** Replaces the fault configuration and restarts the PRNG from the seed. */
  set(faults: SalesforceFaults): void {
    this.current = parseFaults(faults);
    this.random = mulberry32(this.current.seed ?? 1);
    this.unknownLeft = this.current.unknownExceptionNext ?? 0;
    this.lostLeft = this.current.lostResponseNext ?? 0;
  }

  /** Whether this REST request, once run, loses its answer (the connection is cut, nothing is sent back). */
  lostResponse(): boolean {
    if (this.lostLeft > 0) {
      this.lostLeft -= 1;
      return true;
    }
    const share = this.current.lostResponseShare ?? 0;
    return share > 0 && this.random() < share;
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

  /** Whether this REST request answers 500 UNKNOWN_EXCEPTION (no PRNG draw: sticky by payload). */
  unknownException(payload: Payload): boolean {
    if (this.unknownLeft > 0) {
      this.unknownLeft -= 1;
      return true;
    }
    if ((this.current.unknownExceptionMatch ?? []).some((s) => payload.body.includes(s))) return true;
    const share = this.current.unknownExceptionShare ?? 0;
    if (share <= 0) return false;
    const digest = createHash('sha256')
      .update(`${this.current.seed ?? 1}\n${payload.method} ${payload.path}\n${payload.body}`)
      .digest();
    return digest.readUInt32BE(0) / 4294967296 < share;
  }
}
