/**
 * The form a source value is compared in when looked up: accents and case folded, punctuation
 * ("D.C.", commas, hyphens) and repeated spaces gone. "BOGOTÁ, D.C." and "bogota dc" are one key.
 */
export function lookupKey(value: string): string {
  return value
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim();
}
