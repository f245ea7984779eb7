/**
 * Key identity. Two source keys are the same record when SQL Server's collation says so (case
 * and accent sensitivity from the collation; trailing spaces never count) or when Salesforce says
 * so (external IDs are case-insensitive, and the value sent is trimmed): whichever is broader.
 */
export interface KeyComparison {
  accentInsensitive: boolean;
  /** Spanish collations sort Ñ as its own letter: accent-insensitivity does not fold it into N. */
  spanish: boolean;
}

export const DEFAULT_KEY_COMPARISON: KeyComparison = { accentInsensitive: false, spanish: true };

export function keyComparison(collation: string | undefined, accentInsensitive: boolean): KeyComparison {
  return { accentInsensitive, spanish: /spanish/i.test(collation ?? 'Modern_Spanish') };
}

/** Strips combining marks after NFD, except the tilde of ñ/Ñ in Spanish collations (a letter of its own). */
function stripAccents(text: string, spanish: boolean): string {
  const marks = spanish ? /(?<![nN])\u0303|(?!\u0303)\p{M}/gu : /\p{M}/gu;
  return text.normalize('NFD').replace(marks, '').normalize('NFC');
}

/** A key part as the broader of the two comparisons sees it: trimmed, case-folded, accent-folded if AI. */
export function normaliseKeyPart(part: string, how: KeyComparison = DEFAULT_KEY_COMPARISON): string {
  let text = part.trim().normalize('NFC');
  if (how.accentInsensitive) text = stripAccents(text, how.spanish);
  // Full case folding: upper then lower maps ß to ss and folds the Turkish and Greek special cases.
  return text.toUpperCase().toLowerCase();
}

/**
 * Joins the parts of a key into one string that cannot collide by concatenation: a single part
 * stays as it is (the external ID stays readable); with several, `\` and `|` inside a part are
 * escaped before the parts are joined with `|`.
 */
export function joinKeyParts(parts: readonly string[]): string {
  if (parts.length === 1) return parts[0] ?? '';
  return parts.map((p) => p.replace(/\\/g, '\\\\').replace(/\|/g, '\\|')).join('|');
}
