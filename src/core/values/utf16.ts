/**
 * Salesforce counts a text field's length in UTF-16 code units, as Java does: a character
 * outside the Basic Multilingual Plane (an emoji, some CJK) counts 2. JavaScript strings are
 * UTF-16 too, so `length` is Salesforce's count.
 */
export function utf16Length(text: string): number {
  return text.length;
}

/**
 * The longest prefix of `text` of at most `max` UTF-16 code units that does not end in the
 * middle of a surrogate pair (half an emoji would be an unpaired surrogate: invalid text).
 */
export function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max;
  const last = text.charCodeAt(end - 1);
  if (end > 0 && last >= 0xd800 && last <= 0xdbff) end -= 1;
  return text.slice(0, end);
}
