/** How a VARBINARY value becomes text for Salesforce; without one, binary is never sent. */
export type BinaryEncoding = 'base64' | 'hex';

/**
 * The bytes of a VARBINARY value: tedious returns a Buffer, and a staged page (JSON) holds it as
 * `{"type": "Buffer", "data": [...]}`. Undefined for anything else.
 */
export function binaryOf(input: unknown): Buffer | undefined {
  if (Buffer.isBuffer(input)) return input;
  if (input instanceof Uint8Array) return Buffer.from(input);
  if (input && typeof input === 'object') {
    const o = input as { type?: unknown; data?: unknown };
    if (
      o.type === 'Buffer' &&
      Array.isArray(o.data) &&
      o.data.every((b) => Number.isInteger(b) && b >= 0 && b < 256)
    ) {
      return Buffer.from(o.data as number[]);
    }
  }
  return undefined;
}

export function encodeBinary(bytes: Buffer, encoding: BinaryEncoding): string {
  return bytes.toString(encoding);
}
