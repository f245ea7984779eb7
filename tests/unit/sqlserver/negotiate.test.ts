import { FlightTracker } from '../../../src/emulators/sqlserver/tls/flight.js';
import { Encryption, negotiateEncryption } from '../../../src/emulators/sqlserver/tls/negotiate.js';

const { OFF, ON, NOT_SUP, REQ } = Encryption;

describe('PRELOGIN encryption negotiation ([MS-TDS] 2.2.6.5)', () => {
  it.each([
    // mode, client, answer, outcome
    ['off', ON, NOT_SUP, 'none'],
    ['off', OFF, NOT_SUP, 'none'],
    ['off', NOT_SUP, NOT_SUP, 'none'],
    ['off', REQ, NOT_SUP, 'none'],
    ['on', ON, ON, 'full'],
    ['on', REQ, ON, 'full'],
    ['on', OFF, OFF, 'login'],
    ['on', NOT_SUP, NOT_SUP, 'none'],
    ['on', undefined, OFF, 'login'],
    ['required', ON, ON, 'full'],
    ['required', REQ, ON, 'full'],
    ['required', OFF, REQ, 'full'],
    ['required', NOT_SUP, REQ, 'refuse'],
  ] as const)('server %s, client %s: answers %s, %s', (mode, client, answer, outcome) => {
    expect(negotiateEncryption(mode, client)).toEqual({ answer, outcome });
  });
});

/** A TLS record: type, version 3.3, length, body. */
function record(type: number, body: Buffer): Buffer {
  const header = Buffer.from([type, 3, 3, 0, 0]);
  header.writeUInt16BE(body.length, 3);
  return Buffer.concat([header, body]);
}

/** A handshake message: type, 3-byte length, body. */
function handshake(type: number, size: number): Buffer {
  const out = Buffer.alloc(4 + size, 0xab);
  out[0] = type;
  out.writeUIntBE(size, 1, 3);
  return out;
}

describe('TLS flight boundaries', () => {
  it('ends the first flight at ServerHelloDone, even split across records and chunks', () => {
    const tracker = new FlightTracker();
    const hello = handshake(2, 70);
    const certificate = handshake(11, 600);
    const done = handshake(14, 0);
    const bytes = Buffer.concat([
      record(22, Buffer.concat([hello, certificate.subarray(0, 300)])),
      record(22, Buffer.concat([certificate.subarray(300), done])),
    ]);
    expect(tracker.push(bytes.subarray(0, 200))).toBe('more');
    expect(tracker.push(bytes.subarray(200, bytes.length - 1))).toBe('more');
    expect(tracker.push(bytes.subarray(bytes.length - 1))).toBe('hello-done');
    expect(tracker.take()).toEqual(bytes);
  });

  it('does not take a 14 inside a certificate for ServerHelloDone', () => {
    const tracker = new FlightTracker();
    const certificate = Buffer.concat([handshake(11, 8), Buffer.from([14, 0, 0, 0])]);
    certificate.writeUIntBE(12, 1, 3); // the 0e000000 bytes are inside the certificate message
    expect(tracker.push(record(22, certificate))).toBe('more');
  });

  it('ends the last flight with the record after ChangeCipherSpec (the encrypted Finished), or at an alert', () => {
    const tracker = new FlightTracker();
    expect(tracker.push(record(20, Buffer.from([1])))).toBe('more');
    expect(tracker.push(record(22, Buffer.alloc(40, 7)))).toBe('finished');
    expect(new FlightTracker().push(record(21, Buffer.from([2, 48])))).toBe('alert');
  });
});
