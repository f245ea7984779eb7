/**
 * TDS framing: client packets reassembled into messages, and server messages cut into packets of the
 * negotiated size ([MS-TDS] 2.2.3). The header is 8 bytes: type, status, length (big-endian, header
 * included), SPID (big-endian), packet id, window.
 */
import { BufferWriter, ProtocolError } from './buffers.js';

export const PacketType = {
  SQL_BATCH: 0x01,
  RPC: 0x03,
  TABULAR_RESULT: 0x04,
  ATTENTION: 0x06,
  BULK_LOAD: 0x07,
  FEDAUTH_TOKEN: 0x08,
  TRANSACTION_MANAGER: 0x0e,
  LOGIN7: 0x10,
  SSPI: 0x11,
  PRELOGIN: 0x12,
} as const;

export const Status = {
  EOM: 0x01,
  IGNORE: 0x02,
  RESET_CONNECTION: 0x08,
  RESET_CONNECTION_SKIP_TRAN: 0x10,
} as const;

export const HEADER_LENGTH = 8;
const MAX_PACKET = 32768;
/** A client message larger than this is refused (the largest real one is a long query text). */
const MAX_MESSAGE = 64 * 1024 * 1024;

/** Where a message's packets go: the socket, or the TLS session over it. */
export interface PacketSink {
  write(data: Buffer): boolean;
  readonly destroyed: boolean;
}

export interface ClientMessage {
  type: number;
  /** Status bits of the first packet (RESETCONNECTION is only meaningful there). */
  status: number;
  /** The client set IGNORE on the last packet: the message is to be discarded. */
  ignore: boolean;
  payload: Buffer;
}

/** Reassembles client messages from socket chunks. */
export class PacketReader {
  private pending: Buffer = Buffer.alloc(0);
  private parts: Buffer[] = [];
  private partsLength = 0;
  private messageType = -1;
  private messageStatus = 0;

  /** Feeds bytes from the socket; returns the messages that are now complete. */
  push(chunk: Buffer): ClientMessage[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const messages: ClientMessage[] = [];
    while (this.pending.length >= HEADER_LENGTH) {
      const length = this.pending.readUInt16BE(2);
      if (length < HEADER_LENGTH || length > MAX_PACKET)
        throw new ProtocolError(`invalid packet length ${length}`);
      if (this.pending.length < length) break;
      const type = this.pending[0] as number;
      const status = this.pending[1] as number;
      const body = this.pending.subarray(HEADER_LENGTH, length);
      this.pending = this.pending.subarray(length);
      if (this.messageType === -1) {
        this.messageType = type;
        this.messageStatus = status;
      } else if (type !== this.messageType && type !== PacketType.ATTENTION) {
        throw new ProtocolError(
          `packet of type 0x${type.toString(16)} inside a message of type 0x${this.messageType.toString(16)}`,
        );
      }
      if (type === PacketType.ATTENTION && this.messageType !== PacketType.ATTENTION) {
        // An attention signal may arrive between the packets of nothing else; treat it as its own message.
        messages.push({ type, status, ignore: false, payload: Buffer.alloc(0) });
        continue;
      }
      this.parts.push(body);
      this.partsLength += body.length;
      if (this.partsLength > MAX_MESSAGE) throw new ProtocolError('client message larger than 64 MiB');
      if ((status & Status.EOM) !== 0) {
        const payload =
          this.parts.length === 1 ? Buffer.from(this.parts[0] as Buffer) : Buffer.concat(this.parts);
        messages.push({
          type: this.messageType,
          status: this.messageStatus,
          ignore: (status & Status.IGNORE) !== 0,
          payload,
        });
        this.parts = [];
        this.partsLength = 0;
        this.messageType = -1;
      }
    }
    if (this.pending.length > 0 && this.pending.byteOffset !== 0) this.pending = Buffer.from(this.pending);
    return messages;
  }
}

/**
 * One server message being written. Tokens are encoded into `out`; full packets are cut from it and
 * written to the socket as they fill, the last one with EOM by `end()`.
 */
export class MessageWriter {
  readonly out = new BufferWriter(64 * 1024);
  private packetId = 1;
  private readonly payloadSize: number;

  constructor(
    private readonly socket: PacketSink,
    packetSize: number,
    private readonly spid: number,
    private readonly type: number = PacketType.TABULAR_RESULT,
  ) {
    this.payloadSize = packetSize - HEADER_LENGTH;
  }

  /** Bytes encoded and not yet cut into packets. */
  get buffered(): number {
    return this.out.pos;
  }

  /** Writes every full packet held; returns false when the socket asks the writer to wait for 'drain'. */
  flushFull(): boolean {
    const count = Math.floor(this.out.pos / this.payloadSize);
    if (count === 0 || this.out.pos === this.payloadSize * count) {
      // Keep at least one byte back so that end() always has a last packet to mark EOM.
      return count <= 1 ? true : this.cut(count - 1, false);
    }
    return this.cut(count, false);
  }

  /** Writes what is left, the last packet with EOM. */
  end(): boolean {
    const count = Math.max(1, Math.ceil(this.out.pos / this.payloadSize));
    return this.cut(count, true);
  }

  private cut(count: number, last: boolean): boolean {
    const total = last ? this.out.pos : count * this.payloadSize;
    const packets = Buffer.allocUnsafe(total + count * HEADER_LENGTH);
    let src = 0;
    let dst = 0;
    for (let i = 0; i < count; i++) {
      const size = Math.min(this.payloadSize, total - src);
      const eom = last && i === count - 1;
      packets[dst] = this.type;
      packets[dst + 1] = eom ? Status.EOM : 0;
      packets.writeUInt16BE(size + HEADER_LENGTH, dst + 2);
      packets.writeUInt16BE(this.spid, dst + 4);
      packets[dst + 6] = this.packetId;
      packets[dst + 7] = 0;
      this.packetId = (this.packetId + 1) & 0xff;
      this.out.buf.copy(packets, dst + HEADER_LENGTH, src, src + size);
      src += size;
      dst += size + HEADER_LENGTH;
    }
    this.out.buf.copy(this.out.buf, 0, src, this.out.pos);
    this.out.pos -= src;
    if (this.socket.destroyed) return true;
    return this.socket.write(packets);
  }
}
