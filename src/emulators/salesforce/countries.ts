/**
 * The state and country/territory picklist values of the emulated org: code (the picklist value)
 * and integration value (what the name fields `BillingCountry`/`BillingState` hold).
 *
 * Countries use ISO 3166-1 alpha-2 codes and ISO names, as Salesforce ships them. State codes are
 * the subdivision part of the ISO 3166-2 code (`ANT` for CO-ANT): Salesforce state codes may hold
 * only letters and digits, so `CO-ANT` cannot be a code; Salesforce's own standard states follow the
 * same pattern (US `CA`, MX `AG`). Colombia's departments are not among the states Salesforce
 * ships enabled; an admin adds them — the 32 departments and the capital district, as below.
 */
export interface Subdivision {
  code: string;
  name: string;
}

export interface Country {
  code: string;
  name: string;
  states: Subdivision[];
}

const s = (code: string, name: string): Subdivision => ({ code, name });

const COLOMBIA: Subdivision[] = [
  s('AMA', 'Amazonas'),
  s('ANT', 'Antioquia'),
  s('ARA', 'Arauca'),
  s('ATL', 'Atlántico'),
  s('BOL', 'Bolívar'),
  s('BOY', 'Boyacá'),
  s('CAL', 'Caldas'),
  s('CAQ', 'Caquetá'),
  s('CAS', 'Casanare'),
  s('CAU', 'Cauca'),
  s('CES', 'Cesar'),
  s('CHO', 'Chocó'),
  s('COR', 'Córdoba'),
  s('CUN', 'Cundinamarca'),
  s('DC', 'Distrito Capital de Bogotá'),
  s('GUA', 'Guainía'),
  s('GUV', 'Guaviare'),
  s('HUI', 'Huila'),
  s('LAG', 'La Guajira'),
  s('MAG', 'Magdalena'),
  s('MET', 'Meta'),
  s('NAR', 'Nariño'),
  s('NSA', 'Norte de Santander'),
  s('PUT', 'Putumayo'),
  s('QUI', 'Quindío'),
  s('RIS', 'Risaralda'),
  s('SAP', 'Archipiélago de San Andrés, Providencia y Santa Catalina'),
  s('SAN', 'Santander'),
  s('SUC', 'Sucre'),
  s('TOL', 'Tolima'),
  s('VAC', 'Valle del Cauca'),
  s('VAU', 'Vaupés'),
  s('VID', 'Vichada'),
];

const US_STATES = (
  'AL Alabama|AK Alaska|AZ Arizona|AR Arkansas|CA California|CO Colorado|CT Connecticut|DE Delaware|' +
  'DC District of Columbia|FL Florida|GA Georgia|HI Hawaii|ID Idaho|IL Illinois|IN Indiana|IA Iowa|' +
  'KS Kansas|KY Kentucky|LA Louisiana|ME Maine|MD Maryland|MA Massachusetts|MI Michigan|MN Minnesota|' +
  'MS Mississippi|MO Missouri|MT Montana|NE Nebraska|NV Nevada|NH New Hampshire|NJ New Jersey|' +
  'NM New Mexico|NY New York|NC North Carolina|ND North Dakota|OH Ohio|OK Oklahoma|OR Oregon|' +
  'PA Pennsylvania|RI Rhode Island|SC South Carolina|SD South Dakota|TN Tennessee|TX Texas|UT Utah|' +
  'VT Vermont|VA Virginia|WA Washington|WV West Virginia|WI Wisconsin|WY Wyoming'
)
  .split('|')
  .map((entry) => s(entry.slice(0, 2), entry.slice(3)));

/** Countries in picklist order (by name, as Salesforce lists them). */
export const COUNTRIES: readonly Country[] = [
  { code: 'CO', name: 'Colombia', states: COLOMBIA },
  { code: 'EC', name: 'Ecuador', states: [] },
  { code: 'PA', name: 'Panama', states: [] },
  { code: 'PE', name: 'Peru', states: [] },
  { code: 'ES', name: 'Spain', states: [] },
  { code: 'US', name: 'United States', states: US_STATES },
  { code: 'VE', name: 'Venezuela, Bolivarian Republic of', states: [] },
];

const byCode = new Map(COUNTRIES.map((c) => [c.code.toLowerCase(), c]));
const byName = new Map(COUNTRIES.map((c) => [c.name.toLowerCase(), c]));

/** A country by code or by integration value, compared case-insensitively (codes are case-insensitive). */
export function countryByCode(code: string): Country | undefined {
  return byCode.get(code.toLowerCase());
}

export function countryByName(name: string): Country | undefined {
  return byName.get(name.toLowerCase());
}

export function stateByCode(country: Country, code: string): Subdivision | undefined {
  const lower = code.toLowerCase();
  return country.states.find((st) => st.code.toLowerCase() === lower);
}

export function stateByName(country: Country, name: string): Subdivision | undefined {
  const lower = name.toLowerCase();
  return country.states.find((st) => st.name.toLowerCase() === lower);
}

/** Whether any country knows this state code or name (for "doesn't recognize" vs "isn't available"). */
export function stateKnownElsewhere(value: string, by: 'code' | 'name'): boolean {
  return COUNTRIES.some((c) => (by === 'code' ? stateByCode(c, value) : stateByName(c, value)));
}
