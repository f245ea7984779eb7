import type { Socket } from 'node:net';
import { TYPES } from 'tedious';
import { BufferReader, BufferWriter, ProtocolError } from '../../../src/emulators/sqlserver/tds/buffers.js';
import {
  buildPreloginResponse,
  decodePassword,
  parsePrelogin,
} from '../../../src/emulators/sqlserver/tds/login.js';
import { MessageWriter, PacketReader, PacketType } from '../../../src/emulators/sqlserver/tds/packets.js';
import { parseRpc } from '../../../src/emulators/sqlserver/tds/requests.js';
import { Token } from '../../../src/emulators/sqlserver/tds/tokens.js';
import { type ResultColumn, readTypedValue, rowEncoder } from '../../../src/emulators/sqlserver/tds/types.js';

function packet(type: number, status: number, body: Buffer, id = 1): Buffer {
  const header = Buffer.from([type, status, 0, 0, 0, 0, id, 0]);
  header.writeUInt16BE(body.length + 8, 2);
  return Buffer.concat([header, body]);
}

/** A socket stand-in that records what is written and says when it wants the writer to wait. */
function recordingSocket(): { socket: Socket; writes: Buffer[] } {
  const writes: Buffer[] = [];
  const socket = {
    destroyed: false,
    write: (b: Buffer) => writes.push(Buffer.from(b)) > 0,
  } as unknown as Socket;
  return { socket, writes };
}

/** tedious' own encoding of a parameter (TYPE_INFO, length, value), as its RPC requests carry it. */
function tediousParam(
  type: (typeof TYPES)[keyof typeof TYPES],
  value: unknown,
  extra: Record<string, unknown> = {},
): Buffer {
  const options = { useUTC: true, tdsVersion: '7_4' } as never;
  const parameter = { value, ...extra } as never;
  const chunks = [
    type.generateTypeInfo(parameter, options),
    type.generateParameterLength(parameter, options),
    ...type.generateParameterData(parameter, options),
  ];
  return Buffer.concat(chunks);
}

describe('TDS framing', () => {
  it('reassembles a message from packets split across socket chunks', () => {
    const reader = new PacketReader();
    const first = packet(PacketType.SQL_BATCH, 0x00, Buffer.from('SELECT '));
    const last = packet(PacketType.SQL_BATCH, 0x01, Buffer.from('1'), 2);
    const bytes = Buffer.concat([first, last]);

    const early = reader.push(bytes.subarray(0, 11));
    const done = reader.push(bytes.subarray(11));

    expect(early).toEqual([]);
    expect(done).toHaveLength(1);
    expect(done[0]?.payload.toString()).toBe('SELECT 1');
    expect(done[0]?.ignore).toBe(false);
  });

  it('reports ATTENTION on its own and a message the client abandoned with IGNORE', () => {
    const reader = new PacketReader();

    const messages = reader.push(
      Buffer.concat([
        packet(PacketType.ATTENTION, 0x01, Buffer.alloc(0)),
        packet(PacketType.RPC, 0x03, Buffer.from('x')),
      ]),
    );

    expect(messages.map((m) => [m.type, m.ignore])).toEqual([
      [PacketType.ATTENTION, false],
      [PacketType.RPC, true],
    ]);
  });

  it('refuses a packet whose length field is impossible', () => {
    const bad = packet(PacketType.SQL_BATCH, 0x01, Buffer.alloc(0));
    bad.writeUInt16BE(4, 2);

    expect(() => new PacketReader().push(bad)).toThrow(ProtocolError);
  });

  it('cuts a reply into packets of the negotiated size, the last one marked EOM', () => {
    const { socket, writes } = recordingSocket();
    const writer = new MessageWriter(socket, 512, 77);
    writer.out.bytes(Buffer.alloc(1200, 0xab));

    writer.flushFull();
    writer.end();
    const bytes = Buffer.concat(writes);

    const packets: { status: number; length: number; spid: number; id: number }[] = [];
    for (let at = 0; at < bytes.length; ) {
      const length = bytes.readUInt16BE(at + 2);
      packets.push({
        status: bytes[at + 1] as number,
        length,
        spid: bytes.readUInt16BE(at + 4),
        id: bytes[at + 6] as number,
      });
      at += length;
    }
    expect(packets).toEqual([
      { status: 0, length: 512, spid: 77, id: 1 },
      { status: 0, length: 512, spid: 77, id: 2 },
      { status: 1, length: 1200 - 2 * 504 + 8, spid: 77, id: 3 },
    ]);
  });
});

describe('PRELOGIN and LOGIN7', () => {
  it('answers PRELOGIN with encryption not supported', () => {
    const response = buildPreloginResponse([16, 0, 1000, 6]);

    expect(parsePrelogin(response).encryption).toBe(0x02);
  });

  it("decodes a LOGIN7 password scrambled the client's way (nibbles swapped, XOR 0xA5)", () => {
    const plain = Buffer.from('Contraseña-1', 'utf16le');
    const scrambled = Buffer.from(plain.map((b) => (((b & 0x0f) << 4) | (b >> 4)) ^ 0xa5));

    expect(decodePassword(scrambled)).toBe('Contraseña-1');
  });
});

describe('row tokens', () => {
  const columns: ResultColumn[] = [
    { name: 'n', type: { kind: 'nvarchar', length: 20 }, nullable: false },
    { name: 'd', type: { kind: 'decimal', precision: 18, scale: 2 }, nullable: true },
    { name: 'f', type: { kind: 'date' }, nullable: true },
    { name: 't', type: { kind: 'datetime2', scale: 7 }, nullable: false },
    { name: 'm', type: { kind: 'nvarchar', length: 'max' }, nullable: true },
  ];

  it('writes a ROW with exact DECIMAL, DATE, DATETIME2(7) and a PLP NVARCHAR(MAX)', () => {
    const w = new BufferWriter(16);

    rowEncoder(columns)(w, ['Ñ', -123456789n, '2024-02-29', '0001-01-01 00:00:00.0000001', 'ab']);
    const r = new BufferReader(w.take());

    expect(r.u8()).toBe(Token.ROW);
    expect(r.u16()).toBe(2);
    expect(r.ucs2(1)).toBe('Ñ');
    expect([r.u8(), r.u8()]).toEqual([9, 0]); // length, sign (0 = negative)
    expect(r.u64()).toBe(123456789n);
    expect([r.u8(), r.uintLE(3)]).toEqual([3, 738944]); // days since 0001-01-01
    expect([r.u8(), r.uintLE(5), r.uintLE(3)]).toEqual([8, 1, 0]);
    expect(r.u64()).toBe(4n); // PLP total length in bytes
    expect([r.u32(), r.ucs2(2), r.u32()]).toEqual([4, 'ab', 0]);
    expect(r.remaining).toBe(0);
  });

  it('writes an NBCROW with a null bitmap when values are NULL', () => {
    const w = new BufferWriter(16);

    rowEncoder(columns)(w, ['x', null, null, '2024-01-01 00:00:00.0000000', null]);
    const r = new BufferReader(w.take());

    expect(r.u8()).toBe(Token.NBCROW);
    expect(r.u8()).toBe(0b10110);
    expect([r.u16(), r.ucs2(1)]).toEqual([2, 'x']);
    expect(r.u8()).toBe(8);
  });
});

describe('RPC parameters', () => {
  it.each([
    ['NVarChar', TYPES.NVarChar, 'Peña', { length: 20 }, { kind: 'nvarchar', length: 20 }, 'Peña'],
    [
      'NVarChar(max)',
      TYPES.NVarChar,
      'x'.repeat(5000),
      { length: 65535 },
      { kind: 'nvarchar', length: 'max' },
      'x'.repeat(5000),
    ],
    ['Int', TYPES.Int, -42, {}, { kind: 'int' }, -42],
    ['BigInt', TYPES.BigInt, '9007199254740993', {}, { kind: 'bigint' }, 9007199254740993n],
    ['Float', TYPES.Float, 4.711, {}, { kind: 'float' }, 4.711],
    ['Bit', TYPES.Bit, true, {}, { kind: 'bit' }, true],
    [
      'Decimal',
      TYPES.Decimal,
      1234567.89,
      { precision: 18, scale: 2 },
      { kind: 'decimal', precision: 18, scale: 2 },
      '1234567.89',
    ],
    ['Date', TYPES.Date, new Date('2024-02-29T00:00:00Z'), {}, { kind: 'date' }, '2024-02-29'],
    [
      'DateTime2',
      TYPES.DateTime2,
      new Date('2024-05-06T07:08:09.123Z'),
      { scale: 7 },
      { kind: 'datetime2', scale: 7 },
      '2024-05-06 07:08:09.1230000',
    ],
    [
      'DateTime',
      TYPES.DateTime,
      new Date('2024-05-06T07:08:09.123Z'),
      {},
      { kind: 'datetime' },
      '2024-05-06 07:08:09.1233333',
    ],
    ['Int NULL', TYPES.Int, null, {}, { kind: 'int' }, null],
    [
      'Time(7)',
      TYPES.Time,
      new Date('1970-01-01T08:00:00.123Z'),
      { scale: 7 },
      { kind: 'datetime2', scale: 7, name: 'time' },
      '08:00:00.1230000',
    ],
    [
      'Time(0)',
      TYPES.Time,
      new Date('1970-01-01T23:59:59Z'),
      { scale: 0 },
      { kind: 'datetime2', scale: 0, name: 'time' },
      '23:59:59.0000000',
    ],
    ['Time NULL', TYPES.Time, null, { scale: 3 }, { kind: 'datetime2', scale: 3, name: 'time' }, null],
    [
      'VarBinary',
      TYPES.VarBinary,
      Buffer.from([0x00, 0x01, 0xfe, 0xff]),
      { length: 16 },
      { kind: 'nvarchar', name: 'varbinary', length: 16 },
      '0x0001FEFF',
    ],
    [
      'VarBinary(max)',
      TYPES.VarBinary,
      Buffer.alloc(9000, 0xab),
      { length: 65535 },
      { kind: 'nvarchar', name: 'varbinary', length: 'max' },
      `0x${'AB'.repeat(9000)}`,
    ],
    [
      'VarBinary NULL',
      TYPES.VarBinary,
      null,
      { length: 16 },
      { kind: 'nvarchar', name: 'varbinary', length: 16 },
      null,
    ],
    [
      'Binary',
      TYPES.Binary,
      Buffer.from([0xca, 0xfe]),
      { length: 2 },
      { kind: 'nvarchar', name: 'varbinary', length: 2 },
      '0xCAFE',
    ],
  ])('reads %s exactly as tedious writes it', (_name, type, value, extra, expectedType, expectedValue) => {
    const decoded = readTypedValue(new BufferReader(tediousParam(type, value, extra)));

    expect(decoded).toEqual({ type: expectedType, value: expectedValue });
  });

  /** DATETIMEOFFSETN(7) as [MS-TDS] 2.2.5.5.1.8 lays it out: UTC time, UTC date, offset minutes. */
  function offsetParam(utc: string, offsetMinutes: number): Buffer {
    const ms = Date.parse(`${utc}Z`);
    const days = Math.floor(ms / 86_400_000);
    const w = Buffer.alloc(13);
    w.writeUInt8(0x2b, 0);
    w.writeUInt8(7, 1);
    w.writeUInt8(10, 2);
    w.writeUIntLE((ms - days * 86_400_000) * 10_000, 3, 5);
    w.writeUIntLE(days - Date.parse('0001-01-01T00:00:00Z') / 86_400_000, 8, 3);
    w.writeInt16LE(offsetMinutes, 11);
    return w;
  }

  it.each([
    ['2026-03-01T13:00:00.123', -300, '2026-03-01 08:00:00.1230000 -05:00'],
    ['2026-03-01T02:00:00', -300, '2026-02-28 21:00:00.0000000 -05:00'],
    ['2026-03-01T20:00:00', 840, '2026-03-02 10:00:00.0000000 +14:00'],
    ['2026-03-01T13:00:00', 330, '2026-03-01 18:30:00.0000000 +05:30'],
  ])('reads a DATETIMEOFFSET of UTC %s at offset %i as its local time: %s', (utc, offset, expected) => {
    expect(readTypedValue(new BufferReader(offsetParam(utc, offset)))).toEqual({
      type: { kind: 'datetime2', scale: 7, name: 'datetimeoffset' },
      value: expected,
    });
  });

  it("reads a DATETIMEOFFSET as tedious writes it (the client zone's offset)", () => {
    const when = new Date('2026-03-01T13:00:00.123Z');
    const offset = -when.getTimezoneOffset();
    const local = new Date(when.getTime() + offset * 60_000).toISOString().replace('T', ' ').replace('Z', '');
    const sign = offset < 0 ? '-' : '+';
    const hhmm = `${String(Math.floor(Math.abs(offset) / 60)).padStart(2, '0')}:${String(Math.abs(offset) % 60).padStart(2, '0')}`;

    expect(readTypedValue(new BufferReader(tediousParam(TYPES.DateTimeOffset, when, { scale: 7 })))).toEqual({
      type: { kind: 'datetime2', scale: 7, name: 'datetimeoffset' },
      value: `${local}0000 ${sign}${hhmm}`,
    });
  });

  it('refuses IMAGE parameters, naming varbinary(max) instead', () => {
    expect(() => readTypedValue(new BufferReader(tediousParam(TYPES.Image, Buffer.from([1]), {})))).toThrow(
      'image parameters (use varbinary(max))',
    );
  });

  it('parses an sp_executesql RPC: proc id 10, ALL_HEADERS skipped, named parameters', () => {
    const w = new BufferWriter(64);
    w.u32(22);
    w.u32(18);
    w.u16(2);
    w.bytes(Buffer.alloc(8));
    w.u32(1);
    w.u16(0xffff);
    w.u16(10);
    w.u16(0);
    w.bVarchar('@statement');
    w.u8(0);
    w.bytes(tediousParam(TYPES.NVarChar, 'SELECT @a', { length: 9 }));
    w.bVarchar('@a');
    w.u8(0);
    w.bytes(tediousParam(TYPES.Int, 7));

    const rpc = parseRpc(w.take(), true);

    expect(rpc.procedure).toBe(10);
    expect(rpc.parameters.map((p) => [p.name, p.value.value])).toEqual([
      ['@statement', 'SELECT @a'],
      ['@a', 7],
    ]);
  });
});
