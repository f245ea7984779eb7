/** One JSON logger: a line per event with the service name and per-run keys; never rows or tokens. */
export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(keys: Record<string, unknown>): Logger;
}

export function createLogger(
  keys: Record<string, unknown> = {},
  write: (line: string) => void = defaultWrite,
): Logger {
  const setting = process.env.LOG_LEVEL ?? 'info';
  const threshold = setting === 'silent' ? Number.POSITIVE_INFINITY : (ORDER[setting as Level] ?? ORDER.info);
  const emit = (level: Level, message: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < threshold) return;
    write(
      JSON.stringify({
        level,
        time: new Date().toISOString(),
        service: 'sf-sync',
        ...keys,
        message,
        ...fields,
      }),
    );
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (more) => createLogger({ ...keys, ...more }, write),
  };
}

/** In Lambda, stdout (CloudWatch Logs; embedded metrics are read from it); locally, stderr, beside the progress. */
function defaultWrite(line: string): void {
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) process.stdout.write(`${line}\n`);
  else process.stderr.write(`${line}\n`);
}
