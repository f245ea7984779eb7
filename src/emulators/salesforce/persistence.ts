/**
 * Durable state in the data folder: one SQLite database (better-sqlite3, WAL journal) plus the
 * credentials and the JWT key pair as files.
 *
 * Why SQLite in WAL mode: every write request commits one transaction before it is answered, so
 * a `kill -9` loses nothing that a client saw acknowledged (WAL with synchronous=NORMAL survives
 * a process crash; only a power loss can drop the last commits). A 200-record upsert is one
 * transaction of 200 row writes, well under a millisecond of disk work, and startup reads 100k
 * records with one sequential scan. An append-only log would need its own compaction and
 * recovery code for the same result.
 *
 * The in-memory indexes (by Id, by external ID) are the source for reads; the database is only
 * read at startup.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';

export interface RecordRow {
  id: string;
  object: string;
  data: string;
}

export interface JobResultRow {
  seq: number;
  kind: 's' | 'f' | 'u';
  line: string;
}

const DB_FILE = 'emulator.sqlite';

/** Data folders open in this process (the lock file only guards against other processes). */
const openFolders = new Set<string>();

export class DataFolderBusyError extends Error {
  override readonly name = 'DataFolderBusyError';
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The SQLite side of the emulator's state, with prepared statements for the hot paths. */
export class Persistence {
  private readonly db: Database.Database;
  private readonly lockPath: string;
  private readonly upsertRecord: Database.Statement<[string, string, string]>;
  private readonly deleteRecord: Database.Statement<[string]>;
  private readonly setMeta: Database.Statement<[string, string]>;
  private readonly putToken: Database.Statement<[string, string]>;
  private readonly dropToken: Database.Statement<[string]>;
  private readonly putJob: Database.Statement<[string, string]>;
  private readonly putJobData: Database.Statement<[string, string]>;
  private readonly putJobResult: Database.Statement<[string, number, string, string]>;
  private readonly writeRecords: (
    writes: RecordRow[],
    deletes: string[],
    meta: Array<[string, string]>,
  ) => void;

  constructor(
    readonly dataDir: string,
    reset: boolean,
  ) {
    mkdirSync(dataDir, { recursive: true });
    if (openFolders.has(resolve(dataDir))) {
      throw new DataFolderBusyError(`data folder ${dataDir} is in use by another emulator in this process`);
    }
    this.lockPath = join(dataDir, 'emulator.lock');
    if (existsSync(this.lockPath)) {
      const pid = Number(readFileSync(this.lockPath, 'utf8').trim());
      if (Number.isInteger(pid) && pid !== process.pid && pidAlive(pid)) {
        throw new DataFolderBusyError(
          `data folder ${dataDir} is in use by another emulator (pid ${pid}); stop it or choose another --data-dir`,
        );
      }
    }
    writeFileSync(this.lockPath, String(process.pid));
    if (reset) {
      for (const suffix of ['', '-wal', '-shm']) rmSync(join(dataDir, DB_FILE + suffix), { force: true });
    }
    this.db = new Database(join(dataDir, DB_FILE));
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS records (id TEXT PRIMARY KEY, object TEXT NOT NULL, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS tokens (token TEXT PRIMARY KEY, data TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS jobs (id TEXT PRIMARY KEY, info TEXT NOT NULL, data TEXT);
      CREATE TABLE IF NOT EXISTS job_results (
        job_id TEXT NOT NULL, seq INTEGER NOT NULL, kind TEXT NOT NULL, line TEXT NOT NULL,
        PRIMARY KEY (job_id, seq)
      );
    `);
    this.upsertRecord = this.db.prepare(
      'INSERT INTO records (id, object, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET data = excluded.data',
    );
    this.deleteRecord = this.db.prepare('DELETE FROM records WHERE id = ?');
    this.setMeta = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.putToken = this.db.prepare(
      'INSERT INTO tokens (token, data) VALUES (?, ?) ON CONFLICT(token) DO UPDATE SET data = excluded.data',
    );
    this.dropToken = this.db.prepare('DELETE FROM tokens WHERE token = ?');
    this.putJob = this.db.prepare(
      'INSERT INTO jobs (id, info) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET info = excluded.info',
    );
    this.putJobData = this.db.prepare('UPDATE jobs SET data = ? WHERE id = ?');
    this.putJobResult = this.db.prepare(
      'INSERT OR REPLACE INTO job_results (job_id, seq, kind, line) VALUES (?, ?, ?, ?)',
    );
    this.writeRecords = this.db.transaction(
      (writes: RecordRow[], deletes: string[], meta: Array<[string, string]>) => {
        for (const w of writes) this.upsertRecord.run(w.id, w.object, w.data);
        for (const id of deletes) this.deleteRecord.run(id);
        for (const [k, v] of meta) this.setMeta.run(k, v);
      },
    );
    openFolders.add(resolve(dataDir));
  }

  /** Every stored record, for the startup load. */
  *records(): Generator<RecordRow> {
    yield* this.db.prepare('SELECT id, object, data FROM records').iterate() as Iterable<RecordRow>;
  }

  /** One transaction: record writes, deletes and meta values (e.g. id sequences) together. */
  commit(writes: RecordRow[], deletes: string[], meta: Array<[string, string]> = []): void {
    if (writes.length === 0 && deletes.length === 0 && meta.length === 0) return;
    this.writeRecords(writes, deletes, meta);
  }

  meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      | { value: string }
      | undefined;
    return row?.value;
  }

  saveMeta(key: string, value: string): void {
    this.setMeta.run(key, value);
  }

  tokens(): Array<{ token: string; data: string }> {
    return this.db.prepare('SELECT token, data FROM tokens').all() as Array<{ token: string; data: string }>;
  }

  saveToken(token: string, data: string): void {
    this.putToken.run(token, data);
  }

  deleteToken(token: string): void {
    this.dropToken.run(token);
  }

  jobs(): Array<{ id: string; info: string }> {
    return this.db.prepare('SELECT id, info FROM jobs').all() as Array<{ id: string; info: string }>;
  }

  saveJob(id: string, info: string): void {
    this.putJob.run(id, info);
  }

  saveJobData(id: string, data: string): void {
    this.putJobData.run(data, id);
  }

  jobData(id: string): string | undefined {
    const row = this.db.prepare('SELECT data FROM jobs WHERE id = ?').get(id) as
      | { data: string | null }
      | undefined;
    return row?.data ?? undefined;
  }

  jobResults(id: string): JobResultRow[] {
    return this.db
      .prepare('SELECT seq, kind, line FROM job_results WHERE job_id = ? ORDER BY seq')
      .all(id) as JobResultRow[];
  }

  deleteJob(id: string): void {
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM jobs WHERE id = ?').run(id);
      this.db.prepare('DELETE FROM job_results WHERE job_id = ?').run(id);
    })();
  }

  /** A chunk of Bulk job processing: record changes, result lines and the job's new info, atomically. */
  commitJobChunk(
    jobId: string,
    info: string,
    results: JobResultRow[],
    writes: RecordRow[],
    deletes: string[],
    meta: Array<[string, string]>,
  ): void {
    this.db.transaction(() => {
      this.writeRecords(writes, deletes, meta);
      for (const r of results) this.putJobResult.run(jobId, r.seq, r.kind, r.line);
      this.putJob.run(jobId, info);
    })();
  }

  close(): void {
    if (this.db?.open) this.db.close();
    if (openFolders.delete(resolve(this.dataDir))) rmSync(this.lockPath, { force: true });
  }
}
