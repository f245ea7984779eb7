/**
 * Bounds and wording for an execution input that nobody vetted: measured without recursion
 * before anything walks it, and shown with invisible characters escaped.
 */

/** Step Functions refuses an execution input over 256 KB (UTF-8); nothing larger reaches Plan in AWS. */
export const MAX_INPUT_BYTES = 256 * 1024;
/** The documented shape is two levels deep; 32 leaves room for mistakes worth naming. */
export const MAX_INPUT_DEPTH = 32;

/** Why an input is out of bounds, or undefined when it is within them. */
export function inputBoundsProblem(
  value: unknown,
  limits = { bytes: MAX_INPUT_BYTES, depth: MAX_INPUT_DEPTH },
): string | undefined {
  const depth = depthBeyond(value, limits.depth);
  if (depth !== undefined)
    return `the execution input is nested more than ${limits.depth} levels deep (at most ${limits.depth} accepted)`;
  // Within the depth bound JSON.stringify cannot exhaust the stack.
  const bytes = Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
  if (bytes > limits.bytes) return rawSizeProblem(bytes, limits.bytes);
  return undefined;
}

export function rawSizeProblem(bytes: number, limit = MAX_INPUT_BYTES): string {
  return `the execution input is ${bytes} bytes (at most ${limit} accepted, the Step Functions limit)`;
}

/** The first depth past `limit`, found iteratively (no call stack to exhaust); undefined within it. */
function depthBeyond(value: unknown, limit: number): number | undefined {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth + 1 > limit) return depth + 1;
    const children = Array.isArray(current) ? current : Object.values(current);
    for (const child of children) stack.push([child, depth + 1]);
  }
  return undefined;
}

/** What a non-object input is, in words a person can act on. */
export function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length} item(s)`;
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value)
        ? `the number ${value}`
        : 'a number too large for JSON to hold (it parses as Infinity)';
    case 'string':
      return value === '' ? 'the empty string ""' : `the string ${shown(value)}`;
    case 'boolean':
      return String(value);
    case 'undefined':
      return 'no input at all';
    default:
      return typeof value;
  }
}

const INVISIBLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{M}"\\]|(?! )\p{Zs}/gu;
const SHOWN_MAX = 80;

/**
 * A name quoted for a message: control, format (zero-width, bidi), unassigned and private-use
 * characters, lone surrogates, combining marks and non-ASCII spaces as \uXXXX, so that
 * "ITALCOL\u200B" cannot pass for ITALCOL; long names cut.
 */
export function shown(name: string): string {
  const cut = [...name].length > SHOWN_MAX ? `${[...name].slice(0, SHOWN_MAX).join('')}…` : name;
  return `"${cut.replace(INVISIBLE, escapeChar)}"`;
}

function escapeChar(char: string): string {
  if (char === '"' || char === '\\') return `\\${char}`;
  const code = char.codePointAt(0) ?? 0;
  const hex = code.toString(16).toUpperCase();
  return code > 0xffff ? `\\u{${hex}}` : `\\u${hex.padStart(4, '0')}`;
}
