import {
  base64Size,
  faultError,
  faultFails,
  lineEndingError,
  parseBulkFaults,
  processedLimit,
  resultOrder,
} from '../../../src/emulators/salesforce/bulk-rules.js';

describe("the emulator's Bulk 2.0 rules", () => {
  it('measures uploads base64-encoded', () => {
    expect([0, 1, 2, 3, 4, 103].map(base64Size)).toEqual([0, 4, 4, 4, 8, 140]);
  });

  it("refuses rows ending otherwise than the job's line ending, line breaks in quotes aside", () => {
    expect(lineEndingError('a,b\n"x\r\ny",z\n', 'LF')).toBeUndefined();
    expect(lineEndingError('a,b\r\n"x\ny",z\r\n', 'CRLF')).toBeUndefined();
    expect(lineEndingError('a,b\r\nx,y\r\n', 'LF')).toBe(
      'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is LF',
    );
    expect(lineEndingError('a,b\r\nx,y\n', 'CRLF')).toBe(
      'ClientInputError : LineEnding is invalid on user data. Current LineEnding setting is CRLF',
    );
  });

  it('orders results chunk by chunk across parallel batches', () => {
    const seqs = Array.from({ length: 7 }, (_, i) => i);
    const key = (s: number) => resultOrder(s, 3, 2);
    const sorted = [...seqs].sort((a, b) => {
      const [x, y] = [key(a), key(b)];
      return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
    });
    // batches [0,1,2] [3,4,5] [6]; chunks of 2: [0,1] [2] | [3,4] [5] | [6]
    expect(sorted).toEqual([0, 1, 3, 4, 6, 2, 5]);
  });

  it('fails exactly ⌊n·share⌋ rows spread evenly, with the given error or UNABLE_TO_LOCK_ROW', () => {
    const failing = Array.from({ length: 300 }, (_, i) => i).filter((i) =>
      faultFails({ failShare: 0.01 }, i),
    );
    expect(failing).toEqual([99, 199, 299]);
    expect(faultFails(undefined, 0)).toBe(false);
    expect(faultError({ failError: { statusCode: 'X', message: 'm', fields: ['F'] } })).toEqual({
      statusCode: 'X',
      message: 'm',
      fields: ['F'],
    });
    expect(faultError({}).statusCode).toBe('UNABLE_TO_LOCK_ROW');
    expect(processedLimit({ unprocessedShare: 0.25 }, 40)).toBe(30);
    expect(processedLimit(undefined, 40)).toBe(40);
  });

  it('refuses bad faults naming what is accepted', () => {
    expect(() => parseBulkFaults({ failShare: 2 })).toThrow(
      /^invalid bulk faults: failShare: .*Accepted: \{failShare\?: 0\.\.1/,
    );
    expect(() => parseBulkFaults({ nope: 1 })).toThrow(/invalid bulk faults: .*nope/);
  });
});
