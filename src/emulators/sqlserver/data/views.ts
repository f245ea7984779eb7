/**
 * The three views every company database holds, with the exact columns and SQL types the sync's
 * configuration maps, and the companies with their database names and default sizes.
 */

import type { ColumnDef } from '../sql/translate.js';
import { parseSqlType, type SqlType } from '../sql-type.js';

export const COMPANIES = ['ITALCOL', 'CASABLANCA', 'SANTA_REYES'] as const;
export type Company = (typeof COMPANIES)[number];

export const VIEWS = ['terceros_view', 'sucursales_view', 'acuerdos_view'] as const;
export type ViewName = (typeof VIEWS)[number];

export interface CompanySizes {
  terceros: number;
  sucursales: number;
  acuerdos: number;
}

export const DEFAULT_SIZES: Record<Company, CompanySizes> = {
  ITALCOL: { terceros: 2000, sucursales: 3000, acuerdos: 1000 },
  CASABLANCA: { terceros: 800, sucursales: 1200, acuerdos: 400 },
  SANTA_REYES: { terceros: 500, sucursales: 700, acuerdos: 300 },
};

/** Largest size accepted for one view (benchmarks use up to a million rows). */
export const MAX_ROWS = 5_000_000;

export const DATABASE_NAMES: Record<Company, string> = {
  ITALCOL: 'ERP_ITALCOL',
  CASABLANCA: 'ERP_CASABLANCA',
  SANTA_REYES: 'ERP_SANTA_REYES',
};

/** The database name of a company loaded from CSV (any folder name). */
export function databaseNameFor(company: string): string {
  return (DATABASE_NAMES as Record<string, string>)[company] ?? `ERP_${company}`;
}

export const VIEW_KEYS: Record<ViewName, string> = {
  terceros_view: 'nit',
  sucursales_view: 'codigo_sucursal',
  acuerdos_view: 'id_acuerdo',
};

/** The base table each view selects from. */
export const VIEW_TABLES: Record<ViewName, string> = {
  terceros_view: 'terceros',
  sucursales_view: 'sucursales',
  acuerdos_view: 'acuerdos',
};

export const SIZE_KEYS: Record<ViewName, keyof CompanySizes> = {
  terceros_view: 'terceros',
  sucursales_view: 'sucursales',
  acuerdos_view: 'acuerdos',
};

/** A column definition; a character column declared with COLLATE carries that collation for the SQL layer too. */
export function columnDef(name: string, type: SqlType, nullable: boolean): ColumnDef {
  return type.kind === 'nvarchar' && type.collation !== undefined
    ? { name, type, nullable, collation: type.collation }
    : { name, type, nullable };
}

function columns(spec: string): ColumnDef[] {
  return spec
    .trim()
    .split('\n')
    .map((line) => {
      const m = /^\s*(\w+)\s+(.+?)\s+(NOT NULL|NULL)\s*$/.exec(line);
      if (!m) throw new Error(`bad column spec: ${line}`);
      return columnDef(m[1] as string, parseSqlType(m[2] as string), m[3] === 'NULL');
    });
}

export const VIEW_COLUMNS: Record<ViewName, ColumnDef[]> = {
  terceros_view: columns(`
    nit NVARCHAR(20) NOT NULL
    razon_social NVARCHAR(400) NULL
    nombre_comercial NVARCHAR(255) NULL
    tipo_tercero NVARCHAR(20) NOT NULL
    direccion NVARCHAR(200) NULL
    ciudad NVARCHAR(80) NULL
    departamento NVARCHAR(80) NULL
    telefono NVARCHAR(30) NULL
    email NVARCHAR(150) NULL
    cupo_credito DECIMAL(18,2) NULL
    activo BIT NOT NULL
    fecha_modificacion DATETIME2 NOT NULL
  `),
  sucursales_view: columns(`
    codigo_sucursal NVARCHAR(20) NOT NULL
    nit_tercero NVARCHAR(20) NOT NULL
    nombre NVARCHAR(255) NULL
    direccion NVARCHAR(200) NULL
    ciudad NVARCHAR(80) NULL
    departamento NVARCHAR(80) NULL
    telefono NVARCHAR(30) NULL
    latitud FLOAT NULL
    longitud FLOAT NULL
    fecha_apertura DATE NULL
    activo BIT NOT NULL
    fecha_modificacion DATETIME2 NOT NULL
  `),
  acuerdos_view: columns(`
    id_acuerdo BIGINT NOT NULL
    nit_tercero NVARCHAR(20) NOT NULL
    codigo_sucursal NVARCHAR(20) NULL
    tipo_acuerdo NVARCHAR(50) NOT NULL
    fecha_inicio DATE NOT NULL
    fecha_fin DATE NULL
    valor DECIMAL(18,2) NULL
    porcentaje_descuento DECIMAL(5,2) NULL
    cantidad_minima INT NULL
    descripcion NVARCHAR(MAX) NULL
    activo BIT NOT NULL
    fecha_modificacion DATETIME2 NOT NULL
  `),
};

export function isCompany(name: string): name is Company {
  return (COMPANIES as readonly string[]).includes(name);
}

export function isView(name: string): name is ViewName {
  return (VIEWS as readonly string[]).includes(name);
}
