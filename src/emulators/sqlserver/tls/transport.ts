/**
 * The bytes under one TDS connection: plain TDS packets, then possibly TLS as SQL Server carries it.
 *
 * - In-band TLS (TDS 7.x): after the PRELOGIN answer ON/OFF/REQ the client's TLS handshake arrives
 *   inside PRELOGIN (0x12) packets, one message per flight, and each server flight goes back as one
 *   PRELOGIN message. Once the handshake is done, TLS records travel bare on the socket with the TDS
 *   packets inside them. Login-only encryption (ENCRYPT_OFF) drops TLS again after LOGIN7.
 * - TDS 8 (`encrypt: 'strict'`): the first byte is a TLS record (0x16): TLS first, ALPN `tds/8.0`,
 *   then PRELOGIN and everything else inside it.
 */
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type SecureContext, TLSSocket } from 'node:tls';
import {
  type ClientMessage,
  MessageWriter,
  PacketReader,
  type PacketSink,
  PacketType,
} from '../tds/packets.js';
import { FlightTracker } from './flight.js';

export interface TlsContexts {
  /** TLS inside PRELOGIN packets: at most TLS 1.2, as SQL Server before TDS 8. */
  inband: SecureContext;
  /** TDS 8 strict: TLS 1.2 or 1.3. */
  strict: SecureContext;
}

export interface TransportHandlers {
  message(message: ClientMessage): void;
  drain(): void;
  /** Something the client sent cannot be read (bad framing, failed handshake): the connection is closed. */
  failure(reason: string): void;
}

type Mode = 'plain' | 'handshake' | 'tls';
const TLS_HANDSHAKE_RECORD = 0x16;
const TLS_ALERT_RECORD = 0x15;
const HANDSHAKE_PACKET_SIZE = 4096;

export class TdsTransport implements PacketSink {
  private mode: Mode = 'plain';
  private readonly reader = new PacketReader();
  private secure: TLSSocket | undefined;
  private inner: Duplex | undefined;
  private flight = new FlightTracker();
  private firstChunk = true;
  /** TLS was used for the login only and has been dropped: a close_notify may still follow. */
  private droppedTls = false;
  /** The connection is encrypted (TLS established, not dropped). */
  encrypted = false;
  /** The client came TLS-first (TDS 8 strict). */
  strict = false;

  constructor(
    private readonly socket: Socket,
    private readonly handlers: TransportHandlers,
    private readonly contexts: TlsContexts | undefined,
  ) {
    socket.on('data', (chunk: Buffer) => this.onSocketData(chunk));
    socket.on('drain', () => handlers.drain());
  }

  get destroyed(): boolean {
    return this.socket.destroyed;
  }

  write(data: Buffer): boolean {
    if (this.mode === 'tls' && this.secure !== undefined) return this.secure.write(data);
    return this.socket.write(data);
  }

  /** Ends the connection after what was written (a refusal). */
  end(): void {
    const secure = this.secure;
    // Through TLS, the socket may end only once what was written has gone through the session.
    if (secure !== undefined && this.mode === 'tls') secure.end(() => this.socket.end());
    else this.socket.end();
  }

  destroy(): void {
    this.secure?.destroy();
    this.socket.destroy();
  }

  /** Called right after the PRELOGIN answer: the next PRELOGIN messages carry the client's handshake. */
  startHandshake(): void {
    if (this.contexts === undefined) throw new Error('TLS negotiated without a certificate');
    this.mode = 'handshake';
    this.beginTls(this.contexts.inband, false);
  }

  /** Login-only encryption: after LOGIN7, both sides go back to plain TDS. */
  dropTls(): void {
    const secure = this.secure;
    this.secure = undefined;
    this.inner = undefined;
    this.mode = 'plain';
    this.encrypted = false;
    this.droppedTls = true;
    if (secure !== undefined) {
      secure.removeAllListeners();
      secure.on('error', () => undefined);
      secure.destroy();
    }
  }

  private beginTls(context: SecureContext, strict: boolean): void {
    const inner = new Duplex({
      read: () => undefined,
      write: (chunk: Buffer, _encoding, callback) => this.onTlsOutput(chunk, callback),
    });
    const secure = new TLSSocket(inner as unknown as Socket, {
      isServer: true,
      secureContext: context,
      ...(strict ? { ALPNProtocols: ['tds/8.0'] } : {}),
    });
    secure.on('secure', () => {
      this.encrypted = true;
    });
    secure.on('data', (chunk: Buffer) => this.deliver(chunk));
    secure.on('drain', () => this.handlers.drain());
    secure.on('error', (error: Error) => this.handlers.failure(`TLS: ${error.message}`));
    secure.on('end', () => this.socket.end());
    this.inner = inner;
    this.secure = secure;
  }

  private onTlsOutput(chunk: Buffer, callback: () => void): void {
    if (this.mode === 'handshake') {
      const end = this.flight.push(chunk);
      if (end !== 'more') {
        const w = new MessageWriter(this.socket, HANDSHAKE_PACKET_SIZE, 0, PacketType.PRELOGIN);
        w.out.bytes(this.flight.take());
        w.end();
        // After the server's Finished the client sends TLS records bare on the socket.
        if (end === 'finished') this.mode = 'tls';
      }
      callback();
    } else if (this.mode === 'tls' && !this.socket.destroyed) {
      if (this.socket.write(chunk)) callback();
      else this.socket.once('drain', () => callback());
    } else {
      callback();
    }
  }

  private onSocketData(chunk: Buffer): void {
    if (this.firstChunk) {
      this.firstChunk = false;
      if (chunk[0] === TLS_HANDSHAKE_RECORD) {
        if (this.contexts === undefined) {
          this.handlers.failure(
            'a TLS-first (TDS 8 strict) client, but the server has no certificate (TLS off)',
          );
          return;
        }
        this.strict = true;
        this.mode = 'tls';
        this.beginTls(this.contexts.strict, true);
      }
    }
    if (this.mode === 'tls') {
      this.inner?.push(chunk);
      return;
    }
    if (this.droppedTls && chunk[0] === TLS_ALERT_RECORD && chunk.length >= 5) {
      // The client's close_notify for the login-only TLS session: skip that record.
      const size = 5 + chunk.readUInt16BE(3);
      this.droppedTls = false;
      if (size >= chunk.length) return;
      this.deliver(chunk.subarray(size));
      return;
    }
    this.droppedTls = false;
    this.deliver(chunk);
  }

  private deliver(chunk: Buffer): void {
    let messages: ClientMessage[];
    try {
      messages = this.reader.push(chunk);
    } catch (error) {
      this.handlers.failure((error as Error).message);
      return;
    }
    for (const message of messages) {
      if (this.mode !== 'handshake') {
        this.handlers.message(message);
      } else if (message.type === PacketType.PRELOGIN) {
        this.inner?.push(message.payload);
      } else {
        this.handlers.failure(
          `expected the TLS handshake in PRELOGIN packets after the PRELOGIN answer, got packet type 0x${message.type.toString(16)}`,
        );
        return;
      }
    }
  }
}
