/** Messages between the bench (parent) and a phase's child process (worker.ts). */
import type { MemoryFigures } from './memory.js';

export interface SalesforceLogin {
  loginUrl: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** The JWT signing key the sync uses (the limit phase authenticates as the sync does). */
  privateKeyPath: string;
}

export type PhaseTask = {
  sampleMs?: number;
  /** Write a CPU profile of the phase (the phase only, not the process start) to this file. */
  profileFile?: string;
} & (
  | { phase: 'baseline'; salesforce: SalesforceLogin; tableName: string }
  | { phase: 'sync'; input: unknown }
  | { phase: 'limit'; runId: string; salesforce: SalesforceLogin; concurrency: number }
  | { phase: 'extract'; runId: string; company: string; entity: string }
  /** A sync run whose functions run in containers of their own (bundles: function key → bundle). */
  | { phase: 'initial'; input: unknown; bundles: Record<string, string> }
);

export type PhaseReply =
  | { ok: true; result: unknown; memory: MemoryFigures; cpuSeconds: number }
  | { ok: false; error: string; stack?: string; memory: MemoryFigures; cpuSeconds: number };
