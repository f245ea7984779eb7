/**
 * One client connection: PRELOGIN, LOGIN7, then SQL_BATCH and RPC requests answered one at a time,
 * with ATTENTION honoured mid-stream. Each connection has its own SQLite handle, so a paused stream
 * on one connection never blocks another.
 */
import type { Socket } from 'node:net';
import Database from 'better-sqlite3';
import { type FaultSet, faultError, type QueryFault } from '../faults.js';
import { notSupported, SqlServerError } from '../sql/errors.js';
import { parseBatch, parseParamDeclarations, type Statement } from '../sql/parser.js';
import { type BoundParam, compileSelect, describeProcedureCall, type ObjectDef } from '../sql/translate.js';
import { convertValue } from '../sql/values.js';
import { parseSqlType, type SqlType, type SqlValue, type ZoneOffset, zoneOffsets } from '../sql-type.js';
import { ProtocolError } from '../tds/buffers.js';
import { buildPreloginResponse, parseLogin7, parsePrelogin, TdsVersion } from '../tds/login.js';
import { type ClientMessage, MessageWriter, type PacketSink, PacketType, Status } from '../tds/packets.js';
import { PROC_NAMES, ProcId, parseRpc, parseSqlBatch, type RpcParameter } from '../tds/requests.js';
import {
  COLLATION,
  CurCmd,
  DoneStatus,
  EnvChangeType,
  Token,
  writeDone,
  writeEnvChangeBytes,
  writeEnvChangeText,
  writeError,
  writeInfo,
  writeLoginAck,
  writeReturnStatus,
} from '../tds/tokens.js';
import { type ResultColumn, rowEncoder, writeColMetadata } from '../tds/types.js';
import {
  type EncryptionOutcome,
  encryptionName,
  negotiateEncryption,
  type TlsMode,
} from '../tls/negotiate.js';
import { TdsTransport, type TlsContexts } from '../tls/transport.js';
import { registerFunctions } from './functions.js';

export interface DatabaseEntry {
  name: string;
  /** SQLite file, or null for an empty database (master). */
  file: string | null;
  catalog: Map<string, ObjectDef>;
}

export interface ServerContext {
  user: string;
  password: string;
  /** By lower-case database name. */
  databases: Map<string, DatabaseEntry>;
  defaultDatabase: string;
  serverName: string;
  version: string;
  /** PRELOGIN encryption setting; contexts are absent when mode is 'off' (no certificate). */
  tls: { mode: TlsMode; contexts?: TlsContexts };
  /** IANA zone whose wall-clock time GETDATE() returns. */
  timeZone: string;
  /** Seed of the order of ORDER BY ties (BindContext.tieSeed). */
  tieSeed: number;
  /** Armed fault injections (this emulator's own). */
  faults: FaultSet;
  /** What the server observed, for tests (this emulator's own). */
  stats: ServerStats;
  log(message: string): void;
}

/**
 * A declared parameter's type (`@p time(7)` in sp_executesql's @params): its family (what the
 * translation compares and converts by), except TIME, DATETIMEOFFSET and VARBINARY, kept exact as
 * SQL Server keeps them: their values are not a DATETIME2's or an NVARCHAR's.
 */
export function parameterType(declared: string): SqlType {
  if (/^\s*(time|datetimeoffset|varbinary)\b/i.test(declared)) return parseSqlType(declared);
  return parseSqlType(declared, { lenient: true });
}

/**
 * The zone's wall-clock time at `instant`, as a Date whose UTC fields read that wall-clock time (the
 * way a DATETIME carries it: no zone), and the zone's offset from UTC in minutes. The offsets are the
 * generator's (`zoneOffsets`), remembered per hour.
 */
export function wallClock(instant: Date, offsets: ZoneOffset): { local: Date; offsetMinutes: number } {
  const offset = offsets(instant.getTime());
  return { local: new Date(instant.getTime() + offset), offsetMinutes: Math.round(offset / 60000) };
}

/**
 * Waits the server saw: while a client does not read, a streaming SELECT waits for the socket to drain
 * (SQL Server's ASYNC_NETWORK_IO wait, during which a real server keeps its shared locks).
 */
export interface ServerStats {
  /** The longest single wait for a client to read, in ms. */
  longestClientWaitMs: number;
  /** How many times a stream had to wait for its client. */
  clientWaits: number;
  /** Rows sent by SELECTs. */
  rowsSent: number;
}

export function emptyStats(): ServerStats {
  return { longestClientWaitMs: 0, clientWaits: 0, rowsSent: 0 };
}

export const PRODUCT_VERSION: [number, number, number, number] = [16, 0, 1000, 6];
const DEFAULT_PACKET_SIZE = 4096;
/** Encode this many bytes of rows before cutting packets and writing them. */
const FLUSH_BYTES = 32 * 1024;
/** Let the event loop run (other connections, ATTENTION) after this many flushes without backpressure. */
const FLUSHES_PER_YIELD = 8;

type State = 'prelogin' | 'login' | 'ready' | 'closed';

interface Execution {
  kind: 'batch' | 'rpc';
  params: Map<string, BoundParam>;
  missing: Set<string>;
  /** A fault for this request's first SELECT, taken when the request arrived. */
  fault?: QueryFault | undefined;
}

/** The transport, cut after a number of reply bytes when a 'drop' fault is armed. */
class ReplySink implements PacketSink {
  /** Bytes still to send before the connection is cut; undefined: no cut planned. */
  remaining: number | undefined;

  constructor(
    private readonly transport: TdsTransport,
    private readonly onCut: () => void,
  ) {}

  get destroyed(): boolean {
    return this.transport.destroyed;
  }

  write(data: Buffer): boolean {
    if (this.remaining === undefined) return this.transport.write(data);
    if (data.length < this.remaining) {
      this.remaining -= data.length;
      return this.transport.write(data);
    }
    if (this.remaining > 0) this.transport.write(data.subarray(0, this.remaining));
    this.remaining = undefined;
    this.onCut();
    return true;
  }
}

export class TdsConnection {
  private state: State = 'prelogin';
  private readonly transport: TdsTransport;
  /** What PRELOGIN negotiated: LOGIN7 must then come through TLS. */
  private encryption: EncryptionOutcome = 'none';
  private readonly zone: ZoneOffset;
  private readonly sink: ReplySink;
  private readonly queue: ClientMessage[] = [];
  private processing = false;
  private packetSize = DEFAULT_PACKET_SIZE;
  private attentionPending = false;
  private waiters: (() => void)[] = [];
  private db: Database.Database | undefined;
  private database: DatabaseEntry | undefined;
  private loginDatabase: DatabaseEntry | undefined;
  private nocount = false;
  private tdsVersion: number = TdsVersion.V7_4;
  private readonly statements = new Map<string, Database.Statement>();
  private released: () => void = () => undefined;
  /** Settles once the socket is closed and the SQLite handle with it. */
  readonly finished = new Promise<void>((resolve) => {
    this.released = resolve;
  });

  constructor(
    socket: Socket,
    private readonly ctx: ServerContext,
    readonly spid: number,
  ) {
    socket.setNoDelay(true);
    this.zone = zoneOffsets(ctx.timeZone);
    this.transport = new TdsTransport(
      socket,
      {
        message: (message) => this.onMessage(message),
        drain: () => this.wake(),
        failure: (reason) => {
          this.ctx.log(`connection ${this.spid}: ${reason}; closing it`);
          this.destroy();
        },
      },
      ctx.tls.contexts,
    );
    this.sink = new ReplySink(this.transport, () => {
      this.ctx.log(`connection ${this.spid}: fault: connection dropped mid-reply`);
      this.transport.end();
      this.onClose();
    });
    socket.on('error', () => undefined); // 'close' follows
    socket.on('close', () => this.onClose());
  }

  /** Closes the socket; the SQLite handle is closed once the request in progress has let go of it. */
  destroy(): void {
    this.transport.destroy();
    this.onClose();
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  private onClose(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.queue.length = 0;
    this.wake();
    if (!this.processing) this.release();
  }

  private release(): void {
    this.closeHandle();
    this.released();
  }

  private closeHandle(): void {
    this.statements.clear();
    if (this.db?.open) this.db.close();
    this.db = undefined;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** waitDrain(), timed into the emulator's stats. */
  private async waitForClient(): Promise<void> {
    const started = performance.now();
    await this.waitDrain();
    const waited = performance.now() - started;
    const stats = this.ctx.stats;
    stats.clientWaits += 1;
    if (waited > stats.longestClientWaitMs) stats.longestClientWaitMs = Math.round(waited);
  }

  private waitDrain(): Promise<void> {
    if (this.closed || this.attentionPending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private onMessage(message: ClientMessage): void {
    if (message.type === PacketType.ATTENTION) {
      if (this.state !== 'ready') return;
      this.attentionPending = true;
      this.wake();
    } else {
      this.queue.push(message);
    }
    void this.pump();
  }

  private async pump(): Promise<void> {
    if (this.processing) return;
    this.processing = true;
    try {
      for (;;) {
        if (this.closed) break;
        const message = this.queue.shift();
        if (message === undefined) {
          // An ATTENTION that arrived between requests still gets its acknowledgement.
          if (this.attentionPending) this.sendAttentionAck();
          break;
        }
        await this.handle(message);
        if (this.attentionPending) this.sendAttentionAck();
      }
    } catch (error) {
      this.ctx.log(
        `connection ${this.spid}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
      this.destroy();
    } finally {
      this.processing = false;
      if (this.closed) this.release();
    }
  }

  private writer(): MessageWriter {
    return new MessageWriter(this.sink, this.packetSize, this.spid);
  }

  private sendAttentionAck(): void {
    this.attentionPending = false;
    const w = this.writer();
    writeDone(w.out, Token.DONE, DoneStatus.ATTN, CurCmd.NONE, 0);
    w.end();
  }

  private async handle(message: ClientMessage): Promise<void> {
    switch (this.state) {
      case 'prelogin':
        if (message.type === PacketType.PRELOGIN) {
          this.prelogin(message);
          return;
        }
        if (message.type === PacketType.LOGIN7) {
          if (this.ctx.tls.mode === 'required' && !this.transport.encrypted)
            throw new ProtocolError('LOGIN7 without PRELOGIN while the server requires encryption');
          this.login(message);
          return;
        }
        throw new ProtocolError(`expected PRELOGIN, got packet type 0x${message.type.toString(16)}`);
      case 'login':
        if (message.type !== PacketType.LOGIN7) {
          throw new ProtocolError(`expected LOGIN7, got packet type 0x${message.type.toString(16)}`);
        }
        this.login(message);
        return;
      case 'ready':
        await this.request(message);
        return;
      case 'closed':
        return;
    }
  }

  /* ------------------------------------------------------------ login ------------------------------------------------------------ */

  /** Answers PRELOGIN with the negotiated encryption and starts the in-band TLS handshake if any. */
  private prelogin(message: ClientMessage): void {
    const prelogin = parsePrelogin(message.payload);
    const negotiated = this.transport.strict
      ? { answer: 0x01, outcome: 'none' as const } // TDS 8: already inside TLS
      : negotiateEncryption(this.ctx.tls.mode, prelogin.encryption);
    const w = new MessageWriter(this.transport, this.packetSize, 0);
    w.out.bytes(buildPreloginResponse(PRODUCT_VERSION, negotiated.answer));
    w.end();
    this.encryption = negotiated.outcome;
    if (negotiated.outcome === 'refuse') {
      this.ctx.log(
        `connection ${this.spid}: the client sent ${encryptionName(prelogin.encryption)} but the server requires encryption (--tls required); closing it`,
      );
      this.transport.end();
      this.state = 'closed';
      return;
    }
    if (negotiated.outcome !== 'none') this.transport.startHandshake();
    this.state = 'login';
  }

  private login(message: ClientMessage): void {
    if (this.encryption !== 'none' && !this.transport.encrypted) {
      throw new ProtocolError('LOGIN7 arrived in plain text although PRELOGIN negotiated encryption');
    }
    if (this.encryption === 'login') this.transport.dropTls();
    const login = parseLogin7(message.payload);
    const w = this.writer();
    const fail = (errors: { number: number; severity: number; state: number; message: string }[]): void => {
      for (const e of errors) writeError(w.out, { ...e, serverName: this.ctx.serverName, line: 1 });
      writeDone(w.out, Token.DONE, DoneStatus.ERROR, CurCmd.NONE, 0);
      w.end();
      this.transport.end();
      this.state = 'closed';
    };
    const loginFailed = (state: number) => ({
      number: 18456,
      severity: 14,
      state,
      message: `Login failed for user '${login.userName}'.`,
    });
    if (login.tdsVersion < TdsVersion.V7_3A) {
      const major = login.tdsVersion >>> 28;
      const minor = (login.tdsVersion >>> 24) & 0xf;
      fail([
        {
          number: 40517,
          severity: 16,
          state: 1,
          message: `TDS version ${major}.${minor} is not supported; the sf-sync SQL Server emulator speaks TDS 7.3 and 7.4 (set the client's TDS version to 7.4).`,
        },
        loginFailed(1),
      ]);
      return;
    }
    if (login.integratedSecurity) {
      fail([
        {
          number: 18452,
          severity: 14,
          state: 1,
          message:
            'Login failed. The login is from an untrusted domain and cannot be used with Integrated authentication.',
        },
      ]);
      return;
    }
    if (login.userName.toLowerCase() !== this.ctx.user.toLowerCase()) {
      fail([loginFailed(5)]);
      return;
    }
    if (login.password !== this.ctx.password) {
      fail([loginFailed(8)]);
      return;
    }
    const requested = login.database === '' ? this.ctx.defaultDatabase : login.database;
    const injected = this.loginFault(requested, login.userName);
    if (injected !== undefined) {
      fail(injected);
      return;
    }
    const database = this.ctx.databases.get(requested.toLowerCase());
    if (database === undefined) {
      fail([
        {
          number: 4060,
          severity: 11,
          state: 1,
          message: `Cannot open database "${requested}" requested by the login. The login failed.`,
        },
        loginFailed(1),
      ]);
      return;
    }
    this.tdsVersion = Math.min(login.tdsVersion, TdsVersion.V7_4);
    const requestedSize = login.packetSize === 0 ? DEFAULT_PACKET_SIZE : login.packetSize;
    const packetSize = Math.max(512, Math.min(32767, requestedSize));
    this.openDatabase(database);
    this.loginDatabase = database;

    writeEnvChangeText(w.out, EnvChangeType.DATABASE, database.name, 'master');
    this.changedDatabaseInfo(w, database.name);
    writeEnvChangeBytes(w.out, EnvChangeType.COLLATION, COLLATION, Buffer.alloc(0));
    writeEnvChangeText(w.out, EnvChangeType.LANGUAGE, 'us_english', '');
    writeInfo(w.out, {
      number: 5703,
      state: 1,
      severity: 0,
      message: 'Changed language setting to us_english.',
      serverName: this.ctx.serverName,
    });
    writeLoginAck(w.out, this.tdsVersion, 'Microsoft SQL Server', [
      PRODUCT_VERSION[0],
      PRODUCT_VERSION[1],
      PRODUCT_VERSION[2],
    ]);
    writeEnvChangeText(w.out, EnvChangeType.PACKET_SIZE, String(packetSize), String(this.packetSize));
    writeDone(w.out, Token.DONE, DoneStatus.FINAL, CurCmd.NONE, 0);
    w.end();
    this.packetSize = packetSize;
    this.state = 'ready';
  }

  /** The errors of an armed login fault, if one matches: 4060 and others are followed by 18456. */
  private loginFault(database: string, user: string): ReturnType<typeof faultError>[] | undefined {
    const injected = this.ctx.faults.takeLogin(database);
    if (injected === undefined) return undefined;
    this.ctx.log(`connection ${this.spid}: fault: login fails with ${injected.number}`);
    const context = { spid: this.spid, database, serverName: this.ctx.serverName, user };
    const error = faultError(injected.number, context);
    return injected.number === 18456 ? [error] : [error, faultError(18456, context)];
  }

  private changedDatabaseInfo(w: MessageWriter, name: string): void {
    writeInfo(w.out, {
      number: 5701,
      state: 2,
      severity: 0,
      message: `Changed database context to '${name}'.`,
      serverName: this.ctx.serverName,
    });
  }

  private openDatabase(database: DatabaseEntry): void {
    this.closeHandle();
    const db =
      database.file === null
        ? new Database(':memory:')
        : new Database(database.file, { readonly: true, fileMustExist: true });
    registerFunctions(db);
    this.db = db;
    this.database = database;
  }

  /* ------------------------------------------------------------ requests ------------------------------------------------------------ */

  private async request(message: ClientMessage): Promise<void> {
    const w = this.writer();
    if ((message.status & Status.RESET_CONNECTION) !== 0) {
      this.nocount = false;
      if (this.loginDatabase !== undefined && this.database !== this.loginDatabase)
        this.openDatabase(this.loginDatabase);
      writeEnvChangeBytes(w.out, EnvChangeType.RESET_CONNECTION, Buffer.alloc(0), Buffer.alloc(0));
    }
    if (message.ignore) {
      // The client abandoned this request while sending it; answer it with an empty result.
      writeDone(w.out, Token.DONE, DoneStatus.FINAL, CurCmd.NONE, 0);
      w.end();
      return;
    }
    const hasHeaders = this.tdsVersion >= TdsVersion.V7_2;
    let kind: 'batch' | 'rpc';
    try {
      if (message.type === PacketType.SQL_BATCH) {
        kind = 'batch';
        const text = parseSqlBatch(message.payload, hasHeaders);
        const statements = parseBatch(text);
        const fault = this.takeFault(text, statements);
        await this.run(w, statements, { kind, params: new Map(), missing: new Set(), fault });
      } else if (message.type === PacketType.RPC) {
        kind = 'rpc';
        const rpc = parseRpc(message.payload, hasHeaders);
        const { statements, params, missing } = this.prepareExecuteSql(rpc.procedure, rpc.parameters);
        const fault = this.takeFault(String(rpc.parameters[0]?.value.value ?? ''), statements);
        await this.run(w, statements, { kind, params, missing, fault });
      } else if (message.type === PacketType.TRANSACTION_MANAGER) {
        throw notSupported('transactions (BEGIN/COMMIT TRANSACTION)');
      } else {
        throw notSupported(`requests of TDS packet type 0x${message.type.toString(16)}`);
      }
    } catch (error) {
      if (error instanceof ProtocolError) throw error;
      this.writeFailure(w, error, message.type === PacketType.RPC ? 'rpc' : 'batch');
      w.end();
      if (error instanceof SqlServerError && error.severity >= 20) {
        // A fatal error (class 20 and above) ends the connection, as SQL Server does.
        this.transport.end();
        this.onClose();
      }
    }
  }

  /** The armed fault for this request, if it runs a SELECT and matches; a drop is armed at once. */
  private takeFault(text: string, statements: Statement[]): QueryFault | undefined {
    if (!statements.some((s) => s.k === 'select')) return undefined;
    const fault = this.ctx.faults.takeQuery(this.database?.name ?? '', text);
    if (fault !== undefined) this.ctx.log(`connection ${this.spid}: fault: ${fault.kind} for this query`);
    if (fault?.kind === 'drop') this.sink.remaining = fault.bytes;
    return fault;
  }

  /** The SQL Server error an 'error' fault raises. */
  private injectedError(number: number): SqlServerError {
    const e = faultError(number, {
      spid: this.spid,
      database: this.database?.name ?? '',
      serverName: this.ctx.serverName,
      user: this.ctx.user,
    });
    return new SqlServerError(e.number, e.message, { severity: e.severity, state: e.state });
  }

  /** Applies a query fault at row `row` (0: before the first row): raises its error or stalls. */
  private async applyFault(fault: QueryFault, row: number, w: MessageWriter): Promise<void> {
    if (fault.kind === 'error' && (fault.row ?? 0) === row) throw this.injectedError(fault.number);
    if (fault.kind === 'stall' && fault.row === row) {
      w.flushPartial();
      await this.pause(fault.ms === 'forever' ? Infinity : fault.ms);
    }
  }

  /** Waits `ms` (Infinity: until cancelled), returning early on ATTENTION or a closed connection. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      let over = false;
      const done = (): void => {
        if (over) return;
        over = true;
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      const timer = Number.isFinite(ms) ? setTimeout(done, ms) : undefined;
      const check = (): void => {
        if (over) return;
        if (this.attentionPending || this.closed) done();
        else this.waiters.push(check);
      };
      check();
    });
  }

  private writeFailure(w: MessageWriter, error: unknown, kind: 'batch' | 'rpc'): void {
    let e: SqlServerError;
    if (error instanceof SqlServerError) e = error;
    else {
      const text = error instanceof Error ? error.message : String(error);
      this.ctx.log(
        `connection ${this.spid}: internal error: ${error instanceof Error ? (error.stack ?? text) : text}`,
      );
      e = new SqlServerError(50000, `Internal error in the sf-sync SQL Server emulator: ${text}`);
    }
    writeError(w.out, {
      number: e.number,
      state: e.state,
      severity: e.severity,
      message: e.message,
      serverName: this.ctx.serverName,
      procName: kind === 'rpc' ? 'sp_executesql' : '',
      line: 1,
    });
    if (kind === 'rpc') {
      writeDone(w.out, Token.DONEINPROC, DoneStatus.ERROR | DoneStatus.MORE, CurCmd.NONE, 0);
      writeReturnStatus(w.out, 1);
      writeDone(w.out, Token.DONEPROC, DoneStatus.ERROR, CurCmd.NONE, 0);
    } else {
      writeDone(w.out, Token.DONE, DoneStatus.ERROR, CurCmd.NONE, 0);
    }
  }

  /** sp_executesql's @statement, @params and values, converted to the declared types. */
  private prepareExecuteSql(
    procedure: number | string,
    parameters: RpcParameter[],
  ): { statements: Statement[]; params: Map<string, BoundParam>; missing: Set<string> } {
    const name =
      typeof procedure === 'number' ? (PROC_NAMES[procedure] ?? `procedure id ${procedure}`) : procedure;
    const isExecuteSql =
      procedure === ProcId.SP_EXECUTESQL ||
      (typeof procedure === 'string' &&
        /^((\[?sys\]?|\[?dbo\]?|master\.\[?sys\]?)\.)?\[?sp_executesql\]?$/i.test(procedure.trim()));
    if (!isExecuteSql) {
      if (typeof procedure === 'number' || /^sp_(prepare|execute|prepexec|unprepare|cursor)/i.test(name)) {
        throw notSupported(`${name} (use sp_executesql, as mssql's request.query() does)`);
      }
      // request.execute('sp_describe_first_result_set'): an RPC by procedure name.
      const describe = describeProcedureCall(
        name,
        parameters.map((p) => ({ name: p.name, value: p.value.value })),
      );
      if (describe !== undefined) {
        return { statements: [describe.statement], params: describe.params, missing: new Set() };
      }
      throw new SqlServerError(2812, `Could not find stored procedure '${name}'.`, { state: 62 });
    }
    const statementParam = parameters[0];
    if (statementParam === undefined || typeof statementParam.value.value !== 'string') {
      throw new SqlServerError(
        214,
        "Procedure expects parameter '@statement' of type 'ntext/nchar/nvarchar'.",
        { state: 2 },
      );
    }
    const text = statementParam.value.value;
    const declParam = parameters[1];
    const declarationText =
      declParam === undefined || declParam.value.value === null ? '' : String(declParam.value.value);
    if (
      declParam !== undefined &&
      declParam.value.value !== null &&
      typeof declParam.value.value !== 'string'
    ) {
      throw new SqlServerError(214, "Procedure expects parameter '@params' of type 'ntext/nchar/nvarchar'.", {
        state: 2,
      });
    }
    const declarations = parseParamDeclarations(declarationText);
    const values = parameters.slice(2);
    const params = new Map<string, BoundParam>();
    const missing = new Set<string>();
    const byName = new Map(declarations.map((d, i) => [d.name.toLowerCase(), { ...d, index: i }]));
    const supplied = new Map<string, SqlValue>();
    values.forEach((v, i) => {
      if (v.output) throw notSupported('OUTPUT parameters');
      let declared: { name: string; type: string } | undefined;
      if (v.name === '') declared = declarations[i];
      else declared = byName.get(v.name.toLowerCase());
      if (declared === undefined) {
        throw new SqlServerError(
          8145,
          `${v.name || `Parameter ${i + 3}`} is not a parameter for procedure sp_executesql.`,
        );
      }
      const type = parameterType(declared.type);
      supplied.set(declared.name.toLowerCase(), convertValue(v.value.value, v.value.type, type));
    });
    for (const d of declarations) {
      if (d.output) throw notSupported('OUTPUT parameters');
      const type = parameterType(d.type);
      const key = d.name.toLowerCase();
      if (supplied.has(key)) params.set(key, { name: d.name, type, value: supplied.get(key) ?? null });
      else missing.add(key);
    }
    const first = [...missing][0];
    if (first !== undefined) {
      throw new SqlServerError(
        8178,
        `The parameterized query '(${declarationText})${text.slice(0, 200)}' expects the parameter '${first}', which was not supplied.`,
      );
    }
    return { statements: parseBatch(text), params, missing };
  }

  /** Runs the statements of a batch or sp_executesql, streaming each result set. */
  private async run(w: MessageWriter, statements: Statement[], exec: Execution): Promise<void> {
    let tokensWritten = false;
    for (let i = 0; i < statements.length; i++) {
      const statement = statements[i] as Statement;
      const last = i === statements.length - 1;
      const more = last && exec.kind === 'batch' ? 0 : DoneStatus.MORE;
      const doneToken = exec.kind === 'batch' ? Token.DONE : Token.DONEINPROC;
      if (statement.k === 'set') {
        if (statement.option.split(',').includes('NOCOUNT')) this.nocount = statement.value === 'ON';
        continue;
      }
      if (statement.k === 'use') {
        const database = this.ctx.databases.get(statement.database.toLowerCase());
        if (database === undefined) {
          throw new SqlServerError(
            911,
            `Database '${statement.database}' does not exist. Make sure that the name is entered correctly.`,
          );
        }
        const old = this.database?.name ?? 'master';
        if (database !== this.database) this.openDatabase(database);
        writeEnvChangeText(w.out, EnvChangeType.DATABASE, database.name, old);
        this.changedDatabaseInfo(w, database.name);
        writeDone(w.out, doneToken, more, CurCmd.USE, 0);
        tokensWritten = true;
        continue;
      }
      const fault = exec.fault;
      exec.fault = undefined; // the first SELECT only
      const completed = await this.select(w, statement, exec, doneToken, more, fault);
      tokensWritten = true;
      if (!completed) return; // cancelled or the client went away: the attention ack follows
    }
    if (exec.kind === 'rpc') {
      writeReturnStatus(w.out, 0);
      writeDone(w.out, Token.DONEPROC, DoneStatus.FINAL, CurCmd.NONE, 0);
    } else if (!tokensWritten || statements.length === 0 || statements[statements.length - 1]?.k === 'set') {
      writeDone(w.out, Token.DONE, DoneStatus.FINAL, CurCmd.NONE, 0);
    }
    w.end();
  }

  private prepare(sql: string): Database.Statement {
    const db = this.db;
    if (db === undefined) throw new SqlServerError(50000, 'No database is open on this connection.');
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      try {
        statement = db.prepare(sql);
      } catch (error) {
        throw new SqlServerError(8630, `Internal Query Processor Error: ${(error as Error).message}`);
      }
      if (this.statements.size > 64) this.statements.clear();
      this.statements.set(sql, statement);
    }
    return statement;
  }

  /** Streams one SELECT; returns false when it stopped early (ATTENTION, closed socket). */
  private async select(
    w: MessageWriter,
    statement: Extract<Statement, { k: 'select' }>,
    exec: Execution,
    doneToken: number,
    more: number,
    fault?: QueryFault,
  ): Promise<boolean> {
    const database = this.database as DatabaseEntry;
    const instant = new Date();
    const clock = wallClock(instant, this.zone);
    const bind = {
      database: database.name,
      lookup: (name: string) => database.catalog.get(name.toLowerCase()),
      params: exec.params,
      missingParams: exec.missing,
      // GETDATE()/SYSDATETIME()/CURRENT_TIMESTAMP: the server zone's wall-clock time. The UTC
      // instant and the offset are there for GETUTCDATE()/SYSUTCDATETIME()/SYSDATETIMEOFFSET().
      now: clock.local,
      utcNow: instant,
      timeZone: this.ctx.timeZone,
      offsetMinutes: clock.offsetMinutes,
      version: this.ctx.version,
      spid: this.spid,
      serverName: this.ctx.serverName,
      tieSeed: this.ctx.tieSeed,
    };
    const compiled = compileSelect(statement, bind);
    const prepared = this.prepare(compiled.sql);
    prepared.raw(true);
    prepared.safeIntegers(compiled.safeIntegers);
    const columns: ResultColumn[] = compiled.columns.map((c) => ({ ...c, fromTable: true }));
    const encode = rowEncoder(columns);
    let iterator: IterableIterator<unknown[]>;
    try {
      const hasBinds = Object.keys(compiled.binds).length > 0;
      iterator = (hasBinds ? prepared.iterate(compiled.binds) : prepared.iterate()) as IterableIterator<
        unknown[]
      >;
    } catch (error) {
      throw new SqlServerError(8630, `Internal Query Processor Error: ${(error as Error).message}`);
    }
    if (fault?.kind === 'slow') await this.pause(fault.ms);
    if (fault?.kind === 'error' && (fault.row ?? 0) === 0) {
      iterator.return?.();
      throw this.injectedError(fault.number);
    }
    writeColMetadata(w.out, columns);
    if (fault?.kind === 'stall') await this.applyFault(fault, 0, w);
    let count = 0n;
    let flushes = 0;
    let stopped = false;
    try {
      for (;;) {
        if (this.attentionPending || this.closed) {
          stopped = true;
          break;
        }
        const next = iterator.next();
        if (next.done) break;
        encode(w.out, next.value);
        count++;
        if (fault !== undefined) await this.applyFault(fault, Number(count), w);
        if (w.buffered >= FLUSH_BYTES) {
          if (!w.flushFull()) await this.waitForClient();
          else if (++flushes % FLUSHES_PER_YIELD === 0)
            await new Promise<void>((resolve) => setImmediate(resolve));
        }
      }
    } catch (error) {
      if (error instanceof SqlServerError) throw error;
      throw new SqlServerError(8630, `Internal Query Processor Error: ${(error as Error).message}`);
    } finally {
      iterator.return?.();
    }
    this.ctx.stats.rowsSent += Number(count);
    // A query with fewer rows than the fault's row still fails, after its last row.
    if (!stopped && fault?.kind === 'error') throw this.injectedError(fault.number);
    if (stopped) {
      if (!this.closed) {
        writeDone(w.out, doneToken, DoneStatus.FINAL, CurCmd.SELECT, count);
        w.end();
      }
      return false;
    }
    const status = more | (this.nocount ? 0 : DoneStatus.COUNT);
    writeDone(w.out, doneToken, status, CurCmd.SELECT, count);
    return true;
  }
}
