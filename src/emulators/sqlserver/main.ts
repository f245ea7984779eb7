/**
 * `npm run emulator:sqlserver -- [options]`: serves until killed and prints one ready line of JSON;
 * `npm run emulator:sqlserver -- change ...`: changes rows in the data folder. See `--help`.
 */
import { HELP, parseCliArgs, UsageError } from './cli.js';
import { changeRows, startSqlServerEmulator } from './index.js';

async function main(argv: string[]): Promise<number> {
  let command: ReturnType<typeof parseCliArgs>;
  try {
    command = parseCliArgs(argv);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`emulator:sqlserver: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  if (command.command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command.command === 'change') {
    const { command: _, ...options } = command;
    const counts = await changeRows(options);
    process.stdout.write(`${JSON.stringify(counts)}\n`);
    return 0;
  }
  const log = command.quiet
    ? () => undefined
    : (message: string) => process.stderr.write(`emulator:sqlserver: ${message}\n`);
  const emulator = await startSqlServerEmulator({
    port: command.port,
    reset: command.reset,
    log,
    ...(command.host === undefined ? {} : { host: command.host }),
    ...(command.dataDir === undefined ? {} : { dataDir: command.dataDir }),
    ...(command.sizes === undefined ? {} : { sizes: command.sizes }),
    ...(command.seed === undefined ? {} : { seed: command.seed }),
    ...(command.csvDir === undefined ? {} : { csvDir: command.csvDir }),
    ...(command.user === undefined ? {} : { user: command.user }),
    ...(command.password === undefined ? {} : { password: command.password }),
    ...(command.tls === undefined ? {} : { tls: command.tls }),
    ...(command.certificateNames === undefined ? {} : { certificateNames: command.certificateNames }),
    ...(command.timeZone === undefined ? {} : { timeZone: command.timeZone }),
    ...(command.faults === undefined ? {} : { faults: command.faults }),
    ...(command.orderSeed === undefined ? {} : { orderSeed: command.orderSeed }),
  });
  process.stdout.write(
    `${JSON.stringify({
      ready: true,
      host: emulator.host,
      port: emulator.port,
      user: emulator.user,
      password: emulator.password,
      databases: emulator.databases,
      tls: { mode: emulator.tls.mode, caPath: emulator.tls.caPath },
      timeZone: emulator.timeZone,
    })}\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  log('stopping');
  await emulator.stop();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`emulator:sqlserver: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
