/**
 * One benchmark phase in a child process (forked by child.ts with tsx), so its memory is its own.
 * The emulators run in the parent; their addresses come through the environment (set by
 * startLocalEnvironment) and the task message. The child answers with one message and exits.
 */
import { loadConfig } from '../../src/core/config/load.js';
import { runBaseline } from '../baseline.js';
import { countDynamoCalls } from './dynamo-calls.js';
import { jwtLogin, loadRunRecords, runLimit } from './limit.js';
import { RssSampler } from './memory.js';
import type { PhaseReply, PhaseTask } from './phases.js';
import { startProfiler } from './profiler.js';

async function runTask(task: PhaseTask): Promise<unknown> {
  switch (task.phase) {
    case 'baseline': {
      const config = loadConfig();
      const dynamo = countDynamoCalls();
      const result = await runBaseline({
        config,
        salesforce: { ...task.salesforce, apiVersion: config.raw.salesforce.apiVersion },
        dynamodb: {
          endpoint: process.env.DYNAMODB_ENDPOINT,
          region: process.env.AWS_REGION ?? 'us-east-1',
          tableName: task.tableName,
        },
        onProgress: (line) => process.stderr.write(`${line}\n`),
      });
      dynamo.restore();
      return { ...result, dynamodbByKind: dynamo.figures() };
    }
    case 'sync': {
      const { runSync } = await import('../../src/local/run.js');
      const { syncObserver } = await import('./observe.js');
      const observer = syncObserver();
      const dynamo = countDynamoCalls();
      try {
        const result = await runSync({ input: task.input, onTaskEvent: observer.onTaskEvent });
        const { execution: _execution, ...rest } = result;
        return { ...rest, observed: observer.figures(), dynamodbByKind: dynamo.figures() };
      } finally {
        dynamo.restore();
      }
    }
    case 'initial': {
      const { runSync } = await import('../../src/local/run.js');
      const { syncObserver } = await import('./observe.js');
      const { LambdaContainers } = await import('./containers.js');
      const observer = syncObserver();
      const containers = new LambdaContainers(task.bundles, process.stdout);
      try {
        const result = await runSync({
          input: task.input,
          handlers: containers.handlers(),
          onTaskEvent: observer.onTaskEvent,
        });
        const { execution: _execution, ...rest } = result;
        return { ...rest, observed: observer.figures(), ...(await containers.figures()) };
      } finally {
        containers.stop();
      }
    }
    case 'limit': {
      const config = loadConfig();
      const { createSyncApp } = await import('../../src/core/app.js');
      const app = createSyncApp(process.env, { config });
      const groups = await loadRunRecords(app.store, config, task.runId).finally(() => app.close());
      const login = await jwtLogin(task.salesforce);
      const result = await runLimit({
        config,
        groups,
        concurrency: task.concurrency,
        session: { ...login, apiVersion: config.raw.salesforce.apiVersion },
      });
      return result;
    }
    case 'extract': {
      const { handler } = await import('../../functions/extract.js');
      const dynamo = countDynamoCalls();
      const started = performance.now();
      try {
        const out = await handler({
          runId: task.runId,
          company: task.company,
          entity: task.entity,
          mode: 'full',
        });
        const seconds = (performance.now() - started) / 1000;
        return { rows: out.rows, pages: out.pages.length, seconds, dynamodbByKind: dynamo.figures() };
      } finally {
        dynamo.restore();
      }
    }
  }
}

function reply(message: PhaseReply): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      process.stdout.write(`${JSON.stringify(message)}\n`);
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

process.once('message', (task: PhaseTask) => {
  void (async () => {
    // Loading the code (tsx compiles it on first import) is not part of the phase.
    if (task.phase === 'sync') await import('../../src/local/run.js');
    if (task.phase === 'extract') await import('../../functions/extract.js');
    const profiler = task.profileFile ? await startProfiler() : undefined;
    await profiler?.start();
    const sampler = new RssSampler(task.sampleMs ?? 50);
    const cpu0 = process.cpuUsage();
    const cpuSeconds = () => {
      const used = process.cpuUsage(cpu0);
      return Math.round((used.user + used.system) / 1e4) / 100;
    };
    try {
      const result = await runTask(task);
      const memory = sampler.stop();
      const cpu = cpuSeconds();
      if (profiler && task.profileFile) await profiler.stop(task.profileFile);
      await reply({ ok: true, result, memory, cpuSeconds: cpu });
    } catch (error) {
      const e = error as Error;
      await reply({
        ok: false,
        error: `${e.name}: ${e.message}`,
        stack: e.stack,
        memory: sampler.stop(),
        cpuSeconds: cpuSeconds(),
      });
    }
    process.exit(0);
  })();
});
