/** PRELOGIN and LOGIN7 ([MS-TDS] 2.2.6.4 and 2.2.6.5). */
import { Encryption } from '../tls/negotiate.js';
import { BufferReader, BufferWriter, ProtocolError } from './buffers.js';

const PreloginOption = {
  VERSION: 0x00,
  ENCRYPTION: 0x01,
  INSTOPT: 0x02,
  THREADID: 0x03,
  MARS: 0x04,
  TRACEID: 0x05,
  FEDAUTHREQUIRED: 0x06,
  TERMINATOR: 0xff,
} as const;

export { Encryption };

export interface Prelogin {
  encryption?: number;
  mars?: number;
}

export function parsePrelogin(payload: Buffer): Prelogin {
  const r = new BufferReader(payload);
  const out: Prelogin = {};
  for (let guard = 0; guard < 64; guard++) {
    const option = r.u8();
    if (option === PreloginOption.TERMINATOR) return out;
    const offset = new BufferReader(payload, r.pos).bytes(2).readUInt16BE(0);
    r.pos += 2;
    const length = new BufferReader(payload, r.pos).bytes(2).readUInt16BE(0);
    r.pos += 2;
    if (offset + length > payload.length) throw new ProtocolError('PRELOGIN option outside the payload');
    if (option === PreloginOption.ENCRYPTION && length >= 1) out.encryption = payload[offset] as number;
    if (option === PreloginOption.MARS && length >= 1) out.mars = payload[offset] as number;
  }
  throw new ProtocolError('PRELOGIN without terminator');
}

/**
 * The server's PRELOGIN answer: version, the negotiated encryption (see tls/negotiate.ts), no
 * instance, no thread id, MARS off.
 */
export function buildPreloginResponse(
  version: [number, number, number, number],
  encryption: number = Encryption.NOT_SUP,
): Buffer {
  const options: [number, Buffer][] = [
    [
      PreloginOption.VERSION,
      Buffer.from([
        version[0],
        version[1],
        (version[2] >> 8) & 0xff,
        version[2] & 0xff,
        (version[3] >> 8) & 0xff,
        version[3] & 0xff,
      ]),
    ],
    [PreloginOption.ENCRYPTION, Buffer.from([encryption])],
    [PreloginOption.INSTOPT, Buffer.from([0x00])],
    [PreloginOption.THREADID, Buffer.alloc(0)],
    [PreloginOption.MARS, Buffer.from([0x00])],
  ];
  const w = new BufferWriter(128);
  let dataOffset = options.length * 5 + 1;
  for (const [token, data] of options) {
    w.u8(token);
    w.u16be(dataOffset);
    w.u16be(data.length);
    dataOffset += data.length;
  }
  w.u8(PreloginOption.TERMINATOR);
  for (const [, data] of options) w.bytes(data);
  return w.take();
}

export interface Login7 {
  tdsVersion: number;
  packetSize: number;
  hostName: string;
  userName: string;
  password: string;
  appName: string;
  serverName: string;
  libraryName: string;
  language: string;
  database: string;
  /** Integrated (SSPI/NTLM) login requested instead of a SQL login. */
  integratedSecurity: boolean;
}

/** The password is sent with each byte's nibbles swapped and XORed with 0xA5: undo both. */
export function decodePassword(bytes: Buffer): string {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) {
    const b = (bytes[i] as number) ^ 0xa5;
    out[i] = ((b & 0x0f) << 4) | (b >> 4);
  }
  return out.toString('utf16le');
}

export function parseLogin7(payload: Buffer): Login7 {
  if (payload.length < 94) throw new ProtocolError('LOGIN7 shorter than its fixed part');
  const r = new BufferReader(payload);
  r.u32(); // length
  const tdsVersion = r.u32();
  const packetSize = r.u32();
  r.pos = 25;
  const optionFlags2 = r.u8();
  const text = (at: number): string => {
    const offset = payload.readUInt16LE(at);
    const chars = payload.readUInt16LE(at + 2);
    if (chars === 0) return '';
    if (offset + chars * 2 > payload.length) throw new ProtocolError('LOGIN7 string outside the payload');
    return payload.toString('utf16le', offset, offset + chars * 2);
  };
  const passwordOffset = payload.readUInt16LE(44);
  const passwordChars = payload.readUInt16LE(46);
  if (passwordOffset + passwordChars * 2 > payload.length)
    throw new ProtocolError('LOGIN7 password outside the payload');
  return {
    tdsVersion,
    packetSize,
    hostName: text(36),
    userName: text(40),
    password: decodePassword(payload.subarray(passwordOffset, passwordOffset + passwordChars * 2)),
    appName: text(48),
    serverName: text(52),
    libraryName: text(60),
    language: text(64),
    database: text(68),
    integratedSecurity: (optionFlags2 & 0x80) !== 0,
  };
}

/** TDS versions as LOGIN7 carries them (little-endian) and LOGINACK answers them (big-endian). */
export const TdsVersion = {
  V7_1: 0x71000001,
  V7_2: 0x72090002,
  V7_3A: 0x730a0003,
  V7_3B: 0x730b0003,
  V7_4: 0x74000004,
} as const;
