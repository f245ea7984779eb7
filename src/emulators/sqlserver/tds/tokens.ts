/** Encoders for the reply tokens the emulator sends ([MS-TDS] 2.2.7). */
import { ACCEPTED_COLLATIONS, DEFAULT_COLLATION, parseCollation } from '../sql/collation.js';
import { SqlServerError } from '../sql/errors.js';
import type { BufferWriter } from './buffers.js';

export const Token = {
  RETURNSTATUS: 0x79,
  COLMETADATA: 0x81,
  ERROR: 0xaa,
  INFO: 0xab,
  LOGINACK: 0xad,
  ROW: 0xd1,
  NBCROW: 0xd2,
  ENVCHANGE: 0xe3,
  DONE: 0xfd,
  DONEPROC: 0xfe,
  DONEINPROC: 0xff,
} as const;

export const DoneStatus = {
  FINAL: 0x00,
  MORE: 0x01,
  ERROR: 0x02,
  INXACT: 0x04,
  COUNT: 0x10,
  ATTN: 0x20,
  SRVERROR: 0x100,
} as const;

/** CurCmd of a DONE token: the statement that finished. */
export const CurCmd = { NONE: 0x00, SELECT: 0xc1, SET: 0xbe, USE: 0x00 } as const;

export const EnvChangeType = {
  DATABASE: 1,
  LANGUAGE: 2,
  PACKET_SIZE: 4,
  COLLATION: 7,
  RESET_CONNECTION: 18,
} as const;

/**
 * The 5-byte TDS COLLATION ([MS-TDS] 2.2.5.1.2) of a collation name, from its one encoder,
 * `Collation.wire` (sql/collation.ts). Modern_Spanish_CI_AS is 0A 0C D0 00 00 (LCID 0x0C0A, ignore
 * case/kana/width, version 0, sort id 0); tedious picks the code page (1252) from the LCID.
 */
export function collationBytes(name: string): Buffer {
  try {
    return parseCollation(name).wire;
  } catch (error) {
    if (error instanceof SqlServerError)
      throw new RangeError(`unknown collation '${name}'; supported: ${ACCEPTED_COLLATIONS}`);
    throw error;
  }
}

/** The database's default collation (sent in the login's ENVCHANGE): Modern_Spanish_CI_AS. */
export const COLLATION = collationBytes(DEFAULT_COLLATION);

export function writeLoginAck(
  w: BufferWriter,
  tdsVersion: number,
  progName: string,
  version: [number, number, number],
): void {
  const length = 1 + 4 + 1 + progName.length * 2 + 4;
  w.u8(Token.LOGINACK);
  w.u16(length);
  w.u8(1); // SQL_TSQL
  w.u32be(tdsVersion);
  w.bVarchar(progName);
  w.u8(version[0]);
  w.u8(version[1]);
  w.u8((version[2] >> 8) & 0xff);
  w.u8(version[2] & 0xff);
}

export function writeEnvChangeText(w: BufferWriter, type: number, newValue: string, oldValue: string): void {
  w.u8(Token.ENVCHANGE);
  w.u16(1 + 1 + newValue.length * 2 + 1 + oldValue.length * 2);
  w.u8(type);
  w.bVarchar(newValue);
  w.bVarchar(oldValue);
}

export function writeEnvChangeBytes(w: BufferWriter, type: number, newValue: Buffer, oldValue: Buffer): void {
  w.u8(Token.ENVCHANGE);
  w.u16(1 + 1 + newValue.length + 1 + oldValue.length);
  w.u8(type);
  w.u8(newValue.length);
  w.bytes(newValue);
  w.u8(oldValue.length);
  w.bytes(oldValue);
}

export interface MessageFields {
  number: number;
  state: number;
  severity: number;
  message: string;
  serverName: string;
  procName?: string;
  line?: number;
}

function writeMessage(w: BufferWriter, token: number, m: MessageFields): void {
  const proc = m.procName ?? '';
  const length = 4 + 1 + 1 + 2 + m.message.length * 2 + 1 + m.serverName.length * 2 + 1 + proc.length * 2 + 4;
  w.u8(token);
  w.u16(length);
  w.i32(m.number);
  w.u8(m.state);
  w.u8(m.severity);
  w.usVarchar(m.message);
  w.bVarchar(m.serverName);
  w.bVarchar(proc);
  w.i32(m.line ?? 1);
}

export function writeError(w: BufferWriter, m: MessageFields): void {
  writeMessage(w, Token.ERROR, m);
}

export function writeInfo(w: BufferWriter, m: MessageFields): void {
  writeMessage(w, Token.INFO, m);
}

export function writeDone(
  w: BufferWriter,
  token: number,
  status: number,
  curCmd: number,
  rowCount: bigint | number,
): void {
  w.u8(token);
  w.u16(status);
  w.u16(curCmd);
  w.u64(BigInt(rowCount));
}

export function writeReturnStatus(w: BufferWriter, value: number): void {
  w.u8(Token.RETURNSTATUS);
  w.i32(value);
}
