import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The local stand-ins' folder is one process's at a time (dynalite's LevelDB, the emulators' SQLite). */
export class DataFolderInUseError extends Error {
  override readonly name = 'DataFolderInUseError';
}

const LOCK_FILE = 'sf-sync.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function holder(lockPath: string): number | undefined {
  let text = '';
  try {
    text = readFileSync(lockPath, 'utf8').trim();
  } catch {
    return undefined;
  }
  const pid = Number(text);
  return Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid) ? pid : undefined;
}

export function inUseMessage(shownDir: string, pid?: number): string {
  const who = pid === undefined ? 'another sf-sync process' : `another sf-sync process (pid ${pid})`;
  return `the data folder ${shownDir} is in use by ${who} — wait for it or use --data-dir`;
}

export interface DataFolderLock {
  /** Writes the lock again (after --reset emptied the folder). */
  renew(): void;
  release(): void;
}

/**
 * Claims `dataDir` for this process with a pid file, or throws DataFolderInUseError naming the
 * live process that holds it. A lock left by a process that died is taken over.
 */
export function lockDataFolder(dataDir: string, shownDir: string): DataFolderLock {
  const dir = path.resolve(dataDir);
  const lockPath = path.join(dir, LOCK_FILE);
  mkdirSync(dir, { recursive: true });
  const claim = (): void => {
    try {
      const fd = openSync(lockPath, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const pid = holder(lockPath);
      if (pid !== undefined) throw new DataFolderInUseError(inUseMessage(shownDir, pid));
      writeFileSync(lockPath, String(process.pid)); // stale: its process is gone
    }
  };
  claim();
  return {
    renew: () => {
      mkdirSync(dir, { recursive: true });
      writeFileSync(lockPath, String(process.pid));
    },
    release: () => {
      if (holder(lockPath) === undefined) rmSync(lockPath, { force: true });
    },
  };
}
