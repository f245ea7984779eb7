/**
 * Where a server's TLS 1.2 handshake flight ends, so that it goes back to the client as exactly one
 * PRELOGIN message (the client sends one PRELOGIN message per flight and reads exactly one reply).
 * A flight ends with ServerHelloDone (first flight), or with the record after ChangeCipherSpec (the
 * encrypted Finished), or with an alert.
 */
const RecordType = { CHANGE_CIPHER_SPEC: 20, ALERT: 21, HANDSHAKE: 22 } as const;
const SERVER_HELLO_DONE = 14;
const RECORD_HEADER = 5;

export type FlightEnd = 'more' | 'hello-done' | 'finished' | 'alert';

export class FlightTracker {
  private buffered: Buffer[] = [];
  private bufferedLength = 0;
  /** Plaintext handshake bytes not yet split into messages. */
  private handshake = Buffer.alloc(0);
  private recordsScanned = 0;
  private changeCipherSeen = false;

  /** Adds server output; says whether the flight is complete (the bytes are then taken with take()). */
  push(chunk: Buffer): FlightEnd {
    this.buffered.push(chunk);
    this.bufferedLength += chunk.length;
    return this.scan();
  }

  take(): Buffer {
    const out = Buffer.concat(this.buffered, this.bufferedLength);
    this.buffered = [];
    this.bufferedLength = 0;
    this.recordsScanned = 0;
    this.handshake = Buffer.alloc(0);
    return out;
  }

  private scan(): FlightEnd {
    const all = Buffer.concat(this.buffered, this.bufferedLength);
    let pos = 0;
    let index = 0;
    let end: FlightEnd = 'more';
    while (pos + RECORD_HEADER <= all.length) {
      const type = all[pos] as number;
      const size = all.readUInt16BE(pos + 3);
      if (pos + RECORD_HEADER + size > all.length) break;
      if (index >= this.recordsScanned) {
        end = this.record(type, all.subarray(pos + RECORD_HEADER, pos + RECORD_HEADER + size));
        this.recordsScanned = index + 1;
        if (end !== 'more') return end;
      }
      pos += RECORD_HEADER + size;
      index++;
    }
    return end;
  }

  private record(type: number, body: Buffer): FlightEnd {
    if (type === RecordType.ALERT) return 'alert';
    if (type === RecordType.CHANGE_CIPHER_SPEC) {
      this.changeCipherSeen = true;
      return 'more';
    }
    if (this.changeCipherSeen) return 'finished';
    if (type !== RecordType.HANDSHAKE) return 'more';
    this.handshake = Buffer.concat([this.handshake, body]);
    while (this.handshake.length >= 4) {
      const messageType = this.handshake[0] as number;
      const size = this.handshake.readUIntBE(1, 3);
      if (this.handshake.length < 4 + size) break;
      this.handshake = this.handshake.subarray(4 + size);
      if (messageType === SERVER_HELLO_DONE) return 'hello-done';
    }
    return 'more';
  }
}
