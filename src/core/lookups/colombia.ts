import { lookupKey } from './normalize.js';

/**
 * Colombia's 32 departments and the Capital District (ISO 3166-2:CO), with the names the
 * source systems write for them: official, short, historical and unaccented forms. Case,
 * accents and punctuation are ignored when matching (see lookupKey).
 */
const DEPARTMENTS: ReadonlyArray<{ code: string; names: readonly string[] }> = [
  {
    code: 'DC',
    names: [
      'Bogotá D.C.',
      'Bogotá',
      'Bogotá Distrito Capital',
      'Distrito Capital',
      'Distrito Capital de Bogotá',
      'Santafé de Bogotá',
      'Santa Fe de Bogotá',
      'Santafé de Bogotá D.C.',
      'Capital District',
      'Bogotá, Distrito Capital',
    ],
  },
  { code: 'AMA', names: ['Amazonas'] },
  { code: 'ANT', names: ['Antioquia'] },
  { code: 'ARA', names: ['Arauca'] },
  { code: 'ATL', names: ['Atlántico'] },
  { code: 'BOL', names: ['Bolívar'] },
  { code: 'BOY', names: ['Boyacá'] },
  { code: 'CAL', names: ['Caldas'] },
  { code: 'CAQ', names: ['Caquetá'] },
  { code: 'CAS', names: ['Casanare'] },
  { code: 'CAU', names: ['Cauca'] },
  { code: 'CES', names: ['Cesar'] },
  { code: 'CHO', names: ['Chocó'] },
  { code: 'COR', names: ['Córdoba'] },
  { code: 'CUN', names: ['Cundinamarca'] },
  { code: 'GUA', names: ['Guainía'] },
  { code: 'GUV', names: ['Guaviare'] },
  { code: 'HUI', names: ['Huila'] },
  { code: 'LAG', names: ['La Guajira', 'Guajira'] },
  { code: 'MAG', names: ['Magdalena'] },
  { code: 'MET', names: ['Meta'] },
  { code: 'NAR', names: ['Nariño'] },
  { code: 'NSA', names: ['Norte de Santander', 'N. de Santander', 'Nte. de Santander', 'Nte Santander'] },
  { code: 'PUT', names: ['Putumayo'] },
  { code: 'QUI', names: ['Quindío'] },
  { code: 'RIS', names: ['Risaralda'] },
  {
    code: 'SAP',
    names: [
      'San Andrés, Providencia y Santa Catalina',
      'Archipiélago de San Andrés, Providencia y Santa Catalina',
      'San Andrés y Providencia',
      'San Andrés',
    ],
  },
  { code: 'SAN', names: ['Santander'] },
  { code: 'SUC', names: ['Sucre'] },
  { code: 'TOL', names: ['Tolima'] },
  { code: 'VAC', names: ['Valle del Cauca', 'Valle'] },
  { code: 'VAU', names: ['Vaupés'] },
  { code: 'VID', names: ['Vichada'] },
];

/**
 * Colombia's state codes as the org's state picklist holds them: the subdivision part of the
 * ISO 3166-2 code (`ANT` for CO-ANT). Salesforce state codes are letters and digits only, as its
 * shipped states show (US `CA`, MX `AG`); Colombia's are added by an admin with these codes.
 */
export const COLOMBIA_DEPARTMENT_CODES: readonly string[] = DEPARTMENTS.map((d) => d.code);

/** Normalised name or code → state code. Codes are accepted too (`ANT`, `CO-ANT`). */
export const COLOMBIA_DEPARTMENTS: ReadonlyMap<string, string> = new Map(
  DEPARTMENTS.flatMap((d) => {
    const keys = [...d.names, `CO-${d.code}`, d.code].map(lookupKey);
    // "bogota d c" and "bogota dc" are the same name written two ways.
    return [...new Set([...keys, ...keys.map((k) => k.replace(/\bd c\b/, 'dc'))])].map(
      (k) => [k, d.code] as const,
    );
  }),
);
