import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { LocalDynamo } from './dynamodb.js';

const SERVER = fileURLToPath(new URL('./dynamo-server.ts', import.meta.url));

/** Starts dynalite in a child process (see dynamo-server.ts) and resolves once it listens. */
export function startDynamoProcess(options: { dataDir?: string; port?: number } = {}): Promise<LocalDynamo> {
  const args = ['--import', 'tsx', SERVER, '--port', String(options.port ?? 0)];
  if (options.dataDir) args.push('--data-dir', options.dataDir);
  const child = spawn(process.execPath, args, {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise<LocalDynamo>((resolve, reject) => {
    let buffer = '';
    const onExit = (code: number | null) => {
      reject(new Error(`dynalite process exited (${code}) before it was ready: ${stderr.trim()}`));
    };
    child.once('exit', onExit);
    child.once('error', reject);
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      const line = buffer.split('\n')[0];
      if (buffer.includes('\n') && line) {
        child.off('exit', onExit);
        const ready = JSON.parse(line) as { endpoint: string };
        let stopped: Promise<void> | undefined;
        resolve({
          endpoint: ready.endpoint,
          stop() {
            stopped ??= new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            });
            return stopped;
          },
        });
      }
    });
  });
}
