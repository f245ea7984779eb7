// Module-level aliases of globals used once per row or value: reading a global is costly inside a vm
// context (Jest runs the tests in one); a module binding is not.
const toNumber = Number;
/** Word lists for plausible Colombian business data, and the DIAN check digit of a NIT. */

export interface City {
  ciudad: string;
  departamento: string;
  lat: number;
  lon: number;
  /** Landline area code (indicativo) since the 2021 numbering plan. */
  indicativo: string;
}

export const CITIES: City[] = [
  { ciudad: 'Bogotá D.C.', departamento: 'Bogotá D.C.', lat: 4.711, lon: -74.0721, indicativo: '601' },
  { ciudad: 'Medellín', departamento: 'Antioquia', lat: 6.2442, lon: -75.5812, indicativo: '604' },
  { ciudad: 'Cali', departamento: 'Valle del Cauca', lat: 3.4516, lon: -76.532, indicativo: '602' },
  { ciudad: 'Barranquilla', departamento: 'Atlántico', lat: 10.9685, lon: -74.7813, indicativo: '605' },
  { ciudad: 'Cartagena de Indias', departamento: 'Bolívar', lat: 10.391, lon: -75.4794, indicativo: '605' },
  { ciudad: 'Bucaramanga', departamento: 'Santander', lat: 7.1193, lon: -73.1227, indicativo: '607' },
  { ciudad: 'Cúcuta', departamento: 'Norte de Santander', lat: 7.8939, lon: -72.5078, indicativo: '607' },
  { ciudad: 'Pereira', departamento: 'Risaralda', lat: 4.8133, lon: -75.6961, indicativo: '606' },
  { ciudad: 'Manizales', departamento: 'Caldas', lat: 5.0703, lon: -75.5138, indicativo: '606' },
  { ciudad: 'Ibagué', departamento: 'Tolima', lat: 4.4389, lon: -75.2322, indicativo: '608' },
  { ciudad: 'Santa Marta', departamento: 'Magdalena', lat: 11.2408, lon: -74.199, indicativo: '605' },
  { ciudad: 'Villavicencio', departamento: 'Meta', lat: 4.142, lon: -73.6266, indicativo: '608' },
  { ciudad: 'Pasto', departamento: 'Nariño', lat: 1.2136, lon: -77.2811, indicativo: '602' },
  { ciudad: 'Montería', departamento: 'Córdoba', lat: 8.7479, lon: -75.8814, indicativo: '604' },
  { ciudad: 'Neiva', departamento: 'Huila', lat: 2.9273, lon: -75.2819, indicativo: '608' },
  { ciudad: 'Armenia', departamento: 'Quindío', lat: 4.5339, lon: -75.6811, indicativo: '606' },
  { ciudad: 'Popayán', departamento: 'Cauca', lat: 2.4448, lon: -76.6147, indicativo: '602' },
  { ciudad: 'Sincelejo', departamento: 'Sucre', lat: 9.3047, lon: -75.3978, indicativo: '605' },
  { ciudad: 'Valledupar', departamento: 'Cesar', lat: 10.4631, lon: -73.2532, indicativo: '605' },
  { ciudad: 'Tunja', departamento: 'Boyacá', lat: 5.5353, lon: -73.3678, indicativo: '608' },
  { ciudad: 'Envigado', departamento: 'Antioquia', lat: 6.1759, lon: -75.5917, indicativo: '604' },
  { ciudad: 'Soacha', departamento: 'Cundinamarca', lat: 4.5794, lon: -74.2168, indicativo: '601' },
  { ciudad: 'Facatativá', departamento: 'Cundinamarca', lat: 4.8137, lon: -74.3545, indicativo: '601' },
  { ciudad: 'Zipaquirá', departamento: 'Cundinamarca', lat: 5.0221, lon: -74.0048, indicativo: '601' },
  { ciudad: 'Funza', departamento: 'Cundinamarca', lat: 4.7166, lon: -74.2117, indicativo: '601' },
  { ciudad: 'Yopal', departamento: 'Casanare', lat: 5.3378, lon: -72.3959, indicativo: '608' },
  { ciudad: 'Riohacha', departamento: 'La Guajira', lat: 11.5444, lon: -72.9072, indicativo: '605' },
  { ciudad: 'Quibdó', departamento: 'Chocó', lat: 5.6947, lon: -76.6611, indicativo: '604' },
  { ciudad: 'Florencia', departamento: 'Caquetá', lat: 1.6144, lon: -75.6062, indicativo: '608' },
  { ciudad: 'Sogamoso', departamento: 'Boyacá', lat: 5.7145, lon: -72.9339, indicativo: '608' },
  { ciudad: 'Girardot', departamento: 'Cundinamarca', lat: 4.3034, lon: -74.803, indicativo: '601' },
  { ciudad: 'Rionegro', departamento: 'Antioquia', lat: 6.1551, lon: -75.3737, indicativo: '604' },
  { ciudad: 'Palmira', departamento: 'Valle del Cauca', lat: 3.5394, lon: -76.3036, indicativo: '602' },
  { ciudad: 'Duitama', departamento: 'Boyacá', lat: 5.8245, lon: -73.0341, indicativo: '608' },
];

export const PREFIXES = [
  'Distribuidora',
  'Comercializadora',
  'Inversiones',
  'Agropecuaria',
  'Ferretería',
  'Droguería',
  'Supermercado',
  'Almacén',
  'Panadería',
  'Avícola',
  'Lácteos',
  'Transportes',
  'Servicios Logísticos',
  'Importadora',
  'Industrias',
  'Tienda',
  'Granja',
  'Concentrados',
  'Molinos',
  'Productos',
  'Autoservicio',
  'Cooperativa',
];

export const SURNAMES = [
  'Peña',
  'Muñoz',
  'Núñez',
  'Gómez',
  'Castaño',
  'Ibáñez',
  'Zúñiga',
  'Rodríguez',
  'Martínez',
  'López',
  'Hernández',
  'Díaz',
  'Álvarez',
  'Ramírez',
  'Sánchez',
  'Pérez',
  'Jiménez',
  'Quiñones',
  'Londoño',
  'Echeverri',
  'Restrepo',
  'Ospina',
  'Cárdenas',
  'Avendaño',
  'Ordóñez',
  'Bolaños',
  'Patiño',
  'Acuña',
  'Marín',
  'Gutiérrez',
  'Vélez',
  'Agudelo',
  'Carreño',
  'Saldaña',
];

export const PLACES = [
  'La Esperanza',
  'El Porvenir',
  'San José',
  'Santa Fe',
  'El Dorado',
  'La Montaña',
  'Los Andes',
  'El Llano',
  'La Sabana',
  'Del Caribe',
  'Del Pacífico',
  'La Cañada',
  'Villa del Río',
  'El Cañaveral',
  'La Niña',
  'Montes de María',
  'Peñalisa',
  'Río Magdalena',
];

export const LEGAL_SUFFIXES = ['S.A.S.', 'S.A.', 'Ltda.', '& Cía. S. en C.', 'S.A.S. BIC', 'E.U.'];

export const EMAIL_USERS = [
  'ventas',
  'contabilidad',
  'compras',
  'gerencia',
  'facturacion',
  'info',
  'pedidos',
  'cartera',
];
export const EMAIL_DOMAINS = ['.com', '.com.co', '.co', '.net.co'];

export const STREETS = ['Calle', 'Carrera', 'Avenida Calle', 'Avenida Carrera', 'Transversal', 'Diagonal'];
export const ADDRESS_EXTRAS = [
  '',
  '',
  '',
  ' Local 2',
  ' Of. 301',
  ' Bodega 5',
  ' Piso 2',
  ' Interior 4',
  ' Km 3 Vía Siberia',
];

export const BRANCH_KINDS = [
  'Sede',
  'Punto de Venta',
  'Bodega',
  'Agencia',
  'Almacén',
  'Planta',
  'Centro de Distribución',
  'Sucursal',
];
export const NEIGHBOURHOODS = [
  'Chapinero',
  'Usaquén',
  'Kennedy',
  'Suba',
  'Engativá',
  'Fontibón',
  'El Poblado',
  'Laureles',
  'Belén',
  'San Fernando',
  'Granada',
  'El Prado',
  'Cabecera',
  'Centro',
  'Norte',
  'La Castellana',
  'Niza',
  'Cedritos',
  'Bocagrande',
  'Manga',
  'Ciudad Jardín',
  'Teusaquillo',
  'Puente Aranda',
  'La Candelaria',
  'Los Álamos',
  'Villa Campiña',
  'La Ñora',
];

export const AGREEMENT_TYPES: [string, number][] = [
  ['DESCUENTO', 30],
  ['REBATE', 20],
  ['EXHIBICION', 20],
  ['VOLUMEN', 20],
  ['PRONTO_PAGO', 10],
];

export const CLAUSES = [
  'El cliente se compromete a mantener exhibición preferencial de los productos en góndola principal durante la vigencia del acuerdo.',
  'El descuento se aplicará sobre el valor neto de la factura antes de IVA y no es acumulable con otras promociones vigentes.',
  'La liquidación del rebate se hará trimestralmente, previa verificación de las compras efectivamente pagadas.',
  'Las cantidades mínimas se medirán por referencia y por sucursal, según los reportes de despacho del centro de distribución.',
  'El incumplimiento de las condiciones de pago dará lugar a la suspensión inmediata de los beneficios pactados.',
  'Cualquier modificación a este acuerdo deberá constar por escrito y ser firmada por el representante legal de ambas partes.',
  'Los precios pactados se ajustarán anualmente según la variación del IPC certificada por el DANE.',
  'La compañía suministrará material POP y capacitará al personal de la tienda en el manejo de la línea de alimentos balanceados.',
  'El pronto pago aplica para facturas canceladas dentro de los ocho (8) días calendario siguientes a su emisión.',
  'Se excluyen de este acuerdo los productos en promoción, las referencias descontinuadas y los pedidos especiales.',
  'Las partes declaran que los datos personales intercambiados se tratarán conforme a la Ley 1581 de 2012.',
  'El cliente reportará mensualmente el inventario y la rotación de las referencias incluidas en el plan de exhibición.',
];

/** The DIAN check digit (dígito de verificación) of a NIT's digits. */
export function nitCheckDigit(digits: string): number {
  const weights = [3, 7, 13, 17, 19, 23, 29, 37, 41, 43, 47, 53, 59, 67, 71];
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    sum += toNumber(digits.charAt(digits.length - 1 - i)) * (weights[i] as number);
  }
  const remainder = sum % 11;
  return remainder > 1 ? 11 - remainder : remainder;
}

/** Lower-case ASCII letters and digits of a text: accents dropped, ñ as n. */
export function slug(text: string): string {
  let cached = slugs.get(text);
  if (cached === undefined) {
    cached = slugOf(text);
    if (slugs.size > 100_000) slugs.clear();
    slugs.set(text, cached);
  }
  return cached;
}

const slugs = new Map<string, string>();

function slugOf(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');
}
