import { Console } from 'node:console';
import { Writable } from 'node:stream';
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';

/**
 * One JSON logger: Powertools for AWS Lambda's Logger (service `sf-sync`, a line per event with
 * `level`, `message`, `timestamp`, `service`, the X-Ray trace id in Lambda, and the per-run keys
 * given to `child`). Never give it rows or tokens.
 *
 * The level comes from `LOG_LEVEL` (debug, info, warn, error, silent; Powertools reads it). In
 * Lambda lines go to stdout/stderr (CloudWatch Logs); locally all go to stderr, beside the
 * progress, so stdout stays the summary's alone.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(keys: Record<string, unknown>): Logger;
}

export const SERVICE_NAME = 'sf-sync';

export function createLogger(keys: Record<string, unknown> = {}, write?: (line: string) => void): Logger {
  const out = write ? lineSink(write) : undefined;
  const make = (persistentKeys: Record<string, unknown>): Logger => {
    const pt = new PowertoolsLogger({ serviceName: SERVICE_NAME, logLevel: levelSetting(), persistentKeys });
    redirect(pt, out);
    return adapt(pt, persistentKeys, make);
  };
  return make(keys);
}

const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;

/** `LOG_LEVEL` in any case (Powertools itself only reads it upper case); unknown values mean info. */
function levelSetting(): (typeof LEVELS)[number] {
  const wanted = (process.env.LOG_LEVEL ?? 'info').toUpperCase();
  return LEVELS.find((l) => l === wanted) ?? 'INFO';
}

function adapt(
  pt: PowertoolsLogger,
  keys: Record<string, unknown>,
  make: (keys: Record<string, unknown>) => Logger,
): Logger {
  return {
    debug: (m, f) => pt.debug(m, f ?? {}),
    info: (m, f) => pt.info(m, f ?? {}),
    warn: (m, f) => pt.warn(m, f ?? {}),
    error: (m, f) => pt.error(m, f ?? {}),
    child: (more) => make({ ...keys, ...more }),
  };
}

/**
 * Powertools prints through a `Console` of its own; locally (or when a test hands a writer) it
 * is pointed at stderr (or the writer) so stdout carries only what the CLI prints.
 */
function redirect(pt: PowertoolsLogger, out: Writable | undefined): void {
  const stream = out ?? (process.env.AWS_LAMBDA_FUNCTION_NAME ? undefined : process.stderr);
  if (!stream) return;
  (pt as unknown as { console: Console }).console = new Console({ stdout: stream, stderr: stream });
}

/** A stream that hands each complete line to `write`. */
function lineSink(write: (line: string) => void): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      pending += chunk.toString();
      let at = pending.indexOf('\n');
      while (at >= 0) {
        write(pending.slice(0, at));
        pending = pending.slice(at + 1);
        at = pending.indexOf('\n');
      }
      done();
    },
  });
}
