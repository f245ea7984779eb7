/** SQL_BATCH and RPC request payloads ([MS-TDS] 2.2.6.7 and 2.2.6.6). */
import { BufferReader, ProtocolError } from './buffers.js';
import { type DecodedValue, readTypedValue } from './types.js';

/** Skips ALL_HEADERS (TDS 7.2 and later): its first four bytes are its total length. */
function skipAllHeaders(r: BufferReader, hasHeaders: boolean): void {
  if (!hasHeaders) return;
  const total = r.u32();
  if (total < 4 || total > r.buf.length) throw new ProtocolError(`ALL_HEADERS length ${total} is invalid`);
  r.pos = total;
}

export function parseSqlBatch(payload: Buffer, hasHeaders: boolean): string {
  const r = new BufferReader(payload);
  skipAllHeaders(r, hasHeaders);
  if ((payload.length - r.pos) % 2 !== 0) throw new ProtocolError('SQL_BATCH text is not UCS-2');
  return payload.toString('utf16le', r.pos);
}

export interface RpcParameter {
  /** With its '@', or '' for a positional parameter. */
  name: string;
  output: boolean;
  value: DecodedValue;
}

export interface RpcRequest {
  /** The procedure's id (10 is sp_executesql) or its name. */
  procedure: number | string;
  parameters: RpcParameter[];
}

export const ProcId = {
  SP_CURSOR: 1,
  SP_CURSOROPEN: 2,
  SP_EXECUTESQL: 10,
  SP_PREPARE: 11,
  SP_EXECUTE: 12,
  SP_PREPEXEC: 13,
  SP_UNPREPARE: 15,
} as const;

export const PROC_NAMES: Record<number, string> = {
  1: 'sp_cursor',
  2: 'sp_cursoropen',
  3: 'sp_cursorprepare',
  4: 'sp_cursorexecute',
  5: 'sp_cursorprepexec',
  6: 'sp_cursorunprepare',
  7: 'sp_cursorfetch',
  8: 'sp_cursoroption',
  9: 'sp_cursorclose',
  10: 'sp_executesql',
  11: 'sp_prepare',
  12: 'sp_execute',
  13: 'sp_prepexec',
  14: 'sp_prepexecrpc',
  15: 'sp_unprepare',
};

export function parseRpc(payload: Buffer, hasHeaders: boolean): RpcRequest {
  const r = new BufferReader(payload);
  skipAllHeaders(r, hasHeaders);
  const nameLength = r.u16();
  const procedure: number | string = nameLength === 0xffff ? r.u16() : r.ucs2(nameLength);
  r.u16(); // option flags (WithRecomp, NoMetaData, ReuseMetaData)
  const parameters: RpcParameter[] = [];
  while (r.remaining > 0) {
    // 0xFF (or 0x80 before TDS 7.2) where a parameter name's length is expected separates batched
    // RPCs; no parameter name is 255 characters long.
    if (r.buf[r.pos] === 0xff) throw new ProtocolError('batched RPC requests are not supported');
    const name = r.bVarchar();
    const status = r.u8();
    const value = readTypedValue(r);
    parameters.push({ name, output: (status & 0x01) !== 0, value });
  }
  return { procedure, parameters };
}
