/**
 * Exact decimals as text. SQL Server's DECIMAL(38, s), MONEY and BIGINT hold more digits than a JS
 * number: the extract selects them as text, and they stay text until they are rounded to the
 * field's scale. A value a JS number holds exactly is sent as a JSON number; a longer one as a
 * JSON string of its digits, which Salesforce's REST API reads as a number as well.
 */
export interface Decimal {
  negative: boolean;
  /** Integer digits, no leading zeros ("0" for none). */
  int: string;
  /** Fraction digits, as many as given. */
  frac: string;
}

export type NumberFormat = 'plain' | 'es-CO';

const PLAIN = /^([-+])?(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/;
const ES_CO_GROUPED = /^([-+])?(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?$/;
const ES_CO = /^([-+])?(\d+)(?:,(\d+))?$/;

function make(sign: string | undefined, int: string, frac: string): Decimal {
  const i = int.replace(/^0+/, '') || '0';
  return { negative: sign === '-' && /[1-9]/.test(i + frac), int: i, frac };
}

function shift(d: Decimal, exponent: number): Decimal {
  if (exponent === 0) return d;
  const digits = d.int + d.frac;
  const point = d.int.length + exponent;
  if (point <= 0) return make(d.negative ? '-' : '+', '0', '0'.repeat(-point) + digits);
  if (point >= digits.length)
    return make(d.negative ? '-' : '+', digits + '0'.repeat(point - digits.length), '');
  return make(d.negative ? '-' : '+', digits.slice(0, point), digits.slice(point));
}

/**
 * Parses a decimal from text: plain (`-1234.5`, `1e3`; a lone decimal comma `12,5` too) or, with
 * `es-CO`, Colombian separators (`1.234.567,89`: dots group thousands, the comma is the decimal
 * point). Undefined when the text is not a number in that format.
 */
export function parseDecimal(input: string, format: NumberFormat = 'plain'): Decimal | undefined {
  const text = input.trim();
  if (format === 'es-CO') {
    const m = ES_CO_GROUPED.exec(text) ?? ES_CO.exec(text);
    if (!m) return undefined;
    return make(m[1], (m[2] ?? '').replace(/\./g, ''), m[3] ?? '');
  }
  const m = PLAIN.exec(/^[-+]?\d+,\d+$/.test(text) ? text.replace(',', '.') : text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return undefined;
  return shift(make(m[1], m[2] ?? '', m[3] ?? ''), Number(m[4] ?? 0));
}

/** A JS number as a decimal, through its shortest round-trip text. */
export function decimalOfNumber(n: number): Decimal | undefined {
  return Number.isFinite(n) ? parseDecimal(String(n)) : undefined;
}

function increment(digits: string): string {
  const out = digits.split('');
  for (let i = out.length - 1; i >= 0; i--) {
    if (out[i] === '9') out[i] = '0';
    else {
      out[i] = String(Number(out[i]) + 1);
      return out.join('');
    }
  }
  return `1${out.join('')}`;
}

/** Rounds half away from zero to `scale` fraction digits (as Salesforce rounds to a field's scale). */
export function roundDecimal(d: Decimal, scale: number): Decimal {
  if (d.frac.length <= scale) return d;
  const keep = d.int + d.frac.slice(0, scale);
  const up = (d.frac[scale] ?? '0') >= '5';
  const digits = up ? increment(keep) : keep;
  const intLength = digits.length - scale;
  return make(d.negative ? '-' : '+', digits.slice(0, intLength), digits.slice(intLength));
}

/** Canonical text: no leading zeros, no trailing fraction zeros, no "-0". */
export function decimalText(d: Decimal): string {
  const frac = d.frac.replace(/0+$/, '');
  const body = frac === '' ? d.int : `${d.int}.${frac}`;
  return body === '0' || !d.negative ? body : `-${body}`;
}

/** A JSON number when a JS number holds the value exactly, else the exact digits as a string. */
export function jsonNumber(d: Decimal): number | string {
  const text = decimalText(d);
  const n = Number(text);
  return String(n) === text ? n : text;
}

/** The decimal's digit counts, for range checks: integer digits and fraction digits. */
export function digitCounts(d: Decimal): { int: number; frac: number } {
  return { int: d.int === '0' ? 0 : d.int.length, frac: d.frac.replace(/0+$/, '').length };
}
