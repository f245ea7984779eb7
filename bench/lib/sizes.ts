/** Generated data sizes for a total row count, and the sync's concurrency read from its files. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

export type CompanySizes = { terceros: number; sucursales: number; acuerdos: number };
export type Sizes = Record<'ITALCOL' | 'CASABLANCA' | 'SANTA_REYES', CompanySizes>;

/** Shares as the demo data (`--demo-rows`): ITALCOL 1, CASABLANCA 1/2, SANTA_REYES 1/4 of terceros. */
const COMPANY_WEIGHTS = { ITALCOL: 4, CASABLANCA: 2, SANTA_REYES: 1 } as const;

/**
 * Splits `total` rows over the three companies' three views: companies 4 : 2 : 1, and in each
 * company terceros : sucursales : acuerdos = 2 : 3 : 1 (the demo data's proportions).
 * The sum is `total` give or take rounding.
 */
export function sizesForRows(total: number): Sizes {
  const out = {} as Sizes;
  for (const [company, weight] of Object.entries(COMPANY_WEIGHTS) as Array<[keyof Sizes, number]>) {
    const share = (total * weight) / 7;
    const terceros = Math.max(1, Math.round(share / 3));
    const acuerdos = Math.max(1, Math.round(share / 6));
    out[company] = { terceros, sucursales: Math.max(1, Math.round(share) - terceros - acuerdos), acuerdos };
  }
  return out;
}

export function totalRows(sizes: Sizes): number {
  return Object.values(sizes).reduce((sum, s) => sum + s.terceros + s.sucursales + s.acuerdos, 0);
}

export interface SyncConcurrency {
  maxInFlight: number;
  pagesMapConcurrency: number;
  /** maxInFlight x pagesMapConcurrency: the limit loop's default. */
  product: number;
  companiesMapConcurrency: number;
  entitiesMapConcurrency: number;
}

interface AslState {
  Type?: string;
  MaxConcurrency?: number;
  ItemProcessor?: { States?: Record<string, AslState> };
}

function findState(states: Record<string, AslState> | undefined, name: string): AslState | undefined {
  for (const [n, s] of Object.entries(states ?? {})) {
    if (n === name) return s;
    const inner = findState(s.ItemProcessor?.States, name);
    if (inner) return inner;
  }
  return undefined;
}

/** Reads defaults.maxInFlight from the config and the Map states' MaxConcurrency from the ASL. */
export function syncConcurrency(
  configFile = 'config/sync.config.json',
  aslFile = 'statemachines/sync.asl.yml',
): SyncConcurrency {
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as { defaults?: { maxInFlight?: number } };
  const asl = parse(readFileSync(aslFile, 'utf8')) as { States?: Record<string, AslState> };
  const mapConcurrency = (name: string) => {
    const state = findState(asl.States, name);
    if (state?.Type !== 'Map') throw new Error(`${aslFile}: no Map state named ${name}`);
    return state?.MaxConcurrency ?? 0;
  };
  const maxInFlight = config.defaults?.maxInFlight ?? 4;
  const pagesMapConcurrency = mapConcurrency('SyncPages');
  return {
    maxInFlight,
    pagesMapConcurrency,
    product: maxInFlight * Math.max(1, pagesMapConcurrency),
    companiesMapConcurrency: mapConcurrency('SyncCompanies'),
    entitiesMapConcurrency: mapConcurrency('SyncEntities'),
  };
}
