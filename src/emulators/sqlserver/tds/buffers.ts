/** Little byte writer and reader for TDS payloads (TDS is little-endian except where noted). */

export class BufferWriter {
  buf: Buffer;
  pos = 0;

  constructor(size = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(size);
  }

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  u8(v: number): void {
    this.ensure(1);
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16LE(v, this.pos);
    this.pos += 2;
  }

  u16be(v: number): void {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }

  u32be(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  i32(v: number): void {
    this.ensure(4);
    this.buf.writeInt32LE(v, this.pos);
    this.pos += 4;
  }

  i64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigInt64LE(v, this.pos);
    this.pos += 8;
  }

  u64(v: bigint): void {
    this.ensure(8);
    this.buf.writeBigUInt64LE(v, this.pos);
    this.pos += 8;
  }

  f64(v: number): void {
    this.ensure(8);
    this.buf.writeDoubleLE(v, this.pos);
    this.pos += 8;
  }

  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** UCS-2 characters with no length prefix. */
  ucs2(s: string): void {
    const n = s.length * 2;
    this.ensure(n);
    this.buf.write(s, this.pos, n, 'utf16le');
    this.pos += n;
  }

  /** B_VARCHAR: a one-byte character count, then UCS-2. */
  bVarchar(s: string): void {
    this.u8(s.length);
    this.ucs2(s);
  }

  /** US_VARCHAR: a two-byte character count, then UCS-2. */
  usVarchar(s: string): void {
    this.u16(s.length);
    this.ucs2(s);
  }

  /** A copy of what was written. */
  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** A malformed or truncated client message: the connection is closed. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
}

export class BufferReader {
  pos: number;

  constructor(
    readonly buf: Buffer,
    start = 0,
  ) {
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  need(n: number): void {
    if (this.pos + n > this.buf.length) {
      throw new ProtocolError(
        `message truncated: needed ${n} bytes at offset ${this.pos} of ${this.buf.length}`,
      );
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++] as number;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  i64(): bigint {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  f32(): number {
    this.need(4);
    const v = this.buf.readFloatLE(this.pos);
    this.pos += 4;
    return v;
  }

  f64(): number {
    this.need(8);
    const v = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return v;
  }

  /** An unsigned little-endian integer of n bytes (n up to 6). */
  uintLE(n: number): number {
    this.need(n);
    const v = n === 0 ? 0 : this.buf.readUIntLE(this.pos, n);
    this.pos += n;
    return v;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const v = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return v;
  }

  ucs2(chars: number): string {
    return this.bytes(chars * 2).toString('utf16le');
  }

  bVarchar(): string {
    return this.ucs2(this.u8());
  }

  usVarchar(): string {
    return this.ucs2(this.u16());
  }
}
