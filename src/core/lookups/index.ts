import { COLOMBIA_DEPARTMENTS } from './colombia.js';
import { lookupKey } from './normalize.js';

/** Lookup tables shipped with sf-sync, by the name a field mapping gives in `"lookup"`. */
export const SHIPPED_LOOKUPS: Readonly<Record<string, ReadonlyMap<string, string>>> = {
  'colombia-departments': COLOMBIA_DEPARTMENTS,
};

export const SHIPPED_LOOKUP_NAMES = Object.keys(SHIPPED_LOOKUPS);

/** A lookup as configured: the name of a shipped table, or an inline map of source value → value. */
export type LookupSpec = string | Readonly<Record<string, string>>;

export interface LookupTable {
  /** How a rejection names the table. */
  name: string;
  get(value: string): string | undefined;
}

/** Builds the table a mapping names; keys are matched ignoring case, accents and punctuation. */
export function lookupTable(spec: LookupSpec): LookupTable {
  if (typeof spec === 'string') {
    const table = SHIPPED_LOOKUPS[spec];
    if (!table)
      throw new RangeError(`unknown lookup table "${spec}" (shipped: ${SHIPPED_LOOKUP_NAMES.join(', ')})`);
    return { name: spec, get: (value) => table.get(lookupKey(value)) };
  }
  const table = new Map(Object.entries(spec).map(([k, v]) => [lookupKey(k), v]));
  return { name: 'the inline lookup', get: (value) => table.get(lookupKey(value)) };
}
