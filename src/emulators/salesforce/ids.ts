/**
 * Salesforce record ids: 15 case-sensitive characters (3-character key prefix, 2-character pod,
 * 1 reserved, 9 base-62 counter digits) plus a 3-character case-insensitive checksum suffix that
 * makes the 18-character form. Clients compare and validate ids, so the suffix is computed the
 * way Salesforce documents it.
 */

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const SUFFIX = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ012345';
const POD = '5g';
const ID_CHARS = /^[0-9A-Za-z]+$/;

/** The 3-character suffix of a 15-character id. */
export function idSuffix(id15: string): string {
  let suffix = '';
  for (let chunk = 0; chunk < 3; chunk++) {
    let bits = 0;
    for (let i = 0; i < 5; i++) {
      const c = id15.charCodeAt(chunk * 5 + i);
      if (c >= 65 && c <= 90) bits |= 1 << i;
    }
    suffix += SUFFIX.charAt(bits);
  }
  return suffix;
}

/** Builds the 18-character id for a key prefix and a sequence number. */
export function makeId(keyPrefix: string, sequence: number): string {
  let digits = '';
  let n = sequence;
  for (let i = 0; i < 9; i++) {
    digits = BASE62.charAt(n % 62) + digits;
    n = Math.floor(n / 62);
  }
  const id15 = `${keyPrefix}${POD}0${digits}`;
  return id15 + idSuffix(id15);
}

/** The sequence number inside an id built by makeId (for restoring counters after a restart). */
export function idSequence(id: string): number {
  let n = 0;
  for (const ch of id.slice(6, 15)) n = n * 62 + BASE62.indexOf(ch);
  return n;
}

/**
 * Normalizes a 15- or 18-character id to its 18-character form, or returns undefined when the
 * text is not an id. An 18-character id with a wrong suffix is not an id.
 */
export function normalizeId(text: string): string | undefined {
  if (!ID_CHARS.test(text)) return undefined;
  if (text.length === 15) return text + idSuffix(text);
  if (text.length === 18) {
    const id15 = text.slice(0, 15);
    return text.slice(15).toUpperCase() === idSuffix(id15) ? id15 + idSuffix(id15) : undefined;
  }
  return undefined;
}

/** A random id-shaped token for ids of things that are not records (org, user, query locators, jobs). */
export function randomId(keyPrefix: string, random: () => number = Math.random): string {
  let body = '';
  for (let i = 0; i < 12; i++) body += BASE62.charAt(Math.floor(random() * 62));
  const id15 = `${keyPrefix}${body}`;
  return id15 + idSuffix(id15);
}
