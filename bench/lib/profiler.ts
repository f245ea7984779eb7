/** CPU profiles of this process (the emulators and dynalite) through the inspector, phase by phase. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import path from 'node:path';

export interface Profiler {
  start(): Promise<void>;
  /** Stops the profile started last and writes it as a .cpuprofile (Chrome DevTools format). */
  stop(file: string): Promise<void>;
}

export async function startProfiler(intervalMicros = 1000): Promise<Profiler> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalMicros });
  return {
    start: async () => {
      await session.post('Profiler.start');
    },
    stop: async (file) => {
      const { profile } = await session.post('Profiler.stop');
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, JSON.stringify(profile));
    },
  };
}
