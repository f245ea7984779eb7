/**
 * Picklist checks of a record being saved: restricted picklists (values outside the set fail
 * `INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST`) and state and country/territory picklists on address
 * fields (codes and integration values checked against the org's list and kept in sync, failures
 * `FIELD_INTEGRITY_EXCEPTION`), following Salesforce's field-syncing logic
 * (help: admin_state_country_picklists_field_syncing).
 */
import {
  type Country,
  countryByCode,
  countryByName,
  stateByCode,
  stateByName,
  stateKnownElsewhere,
} from './countries.js';
import type { AddressDef, FieldDef, ObjectDef } from './schema.js';
import type { SObjectRecord } from './store.js';
import { type RecordError, recordError, type StoredValue } from './values.js';

/** Values set by the request that a restricted picklist does not allow (null is allowed; required is checked elsewhere). */
export function restrictedPicklistErrors(values: Map<FieldDef, StoredValue>): RecordError[] {
  const errors: RecordError[] = [];
  for (const [field, value] of values) {
    if (!field.restricted || value === null || value === '') continue;
    if (!field.picklistValues.includes(String(value))) {
      errors.push(
        recordError(
          'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
          `${field.label}: bad value for restricted picklist field: ${String(value)}`,
          [field.name],
        ),
      );
    }
  }
  return errors;
}

const integrity = (message: string, field: FieldDef): RecordError =>
  recordError('FIELD_INTEGRITY_EXCEPTION', message, [field.name]);

/** What the request says about one side (country or state) of an address. */
interface Given {
  code: StoredValue | undefined;
  name: StoredValue | undefined;
}

const given = (values: Map<FieldDef, StoredValue>, codeField: FieldDef, nameField: FieldDef): Given => ({
  code: values.get(codeField),
  name: values.get(nameField),
});

const present = (v: StoredValue | undefined): v is string | number | boolean =>
  v !== undefined && v !== null && v !== '';

function resolveCountry(a: AddressDef, g: Given, record: SObjectRecord): Country | undefined | RecordError {
  const byCode = present(g.code) ? countryByCode(String(g.code)) : undefined;
  if (present(g.code) && !byCode) {
    return integrity(
      `The ${a.countryCode.name} field contains ${String(g.code)}, which isn't an available country/territory. Your administrator can add it for you.`,
      a.countryCode,
    );
  }
  const byName = present(g.name) ? countryByName(String(g.name)) : undefined;
  if (present(g.name) && !byName) {
    return integrity(
      `There's a problem with this country, even though it may appear correct. Please select a country/territory from the list of valid countries.: ${a.country.label}`,
      a.country,
    );
  }
  if (byCode && byName && byCode !== byName) {
    return integrity(
      `${a.countryCode.label}: the code ${String(g.code)} and the integration value ${String(g.name)} name different countries/territories`,
      a.countryCode,
    );
  }
  if (byCode || byName) return byCode ?? byName;
  if (g.code !== undefined || g.name !== undefined) return undefined; // set to null
  const current = record[a.countryCode.name];
  return present(current) ? countryByCode(String(current)) : undefined;
}

function stateProblem(a: AddressDef, g: Given, country: Country | undefined): RecordError | undefined {
  const shown = present(g.code) ? a.stateCode : a.state;
  if (!country) {
    return integrity(
      `A country/territory must be specified before specifying a state value for field: ${a.state.label}`,
      shown,
    );
  }
  if (present(g.code) && !stateByCode(country, String(g.code))) {
    return stateKnownElsewhere(String(g.code), 'code')
      ? integrity(
          `The existing country/territory doesn't recognize the state value for field: ${a.stateCode.label}`,
          a.stateCode,
        )
      : integrity(
          `The ${a.stateCode.name} field contains ${String(g.code)}, which isn't an available state. Your administrator can add it for you.`,
          a.stateCode,
        );
  }
  if (present(g.name) && !stateByName(country, String(g.name))) {
    return integrity(
      `There's a problem with this state, even though it may appear correct. Please select a state from the list of valid states.: ${a.state.label}`,
      a.state,
    );
  }
  return undefined;
}

/** Checks one address and writes the synced codes and integration values into `record`. */
function applyAddress(
  a: AddressDef,
  values: Map<FieldDef, StoredValue>,
  record: SObjectRecord,
): RecordError | undefined {
  const countryGiven = given(values, a.countryCode, a.country);
  const stateGiven = given(values, a.stateCode, a.state);
  const country = resolveCountry(a, countryGiven, record);
  if (country && 'statusCode' in country) return country;
  const countryTouched = countryGiven.code !== undefined || countryGiven.name !== undefined;
  record[a.countryCode.name] = country?.code ?? null;
  record[a.country.name] = country?.name ?? null;
  if (present(stateGiven.code) || present(stateGiven.name)) {
    const problem = stateProblem(a, stateGiven, country);
    if (problem) return problem;
    const c = country as Country;
    const byCode = present(stateGiven.code) ? stateByCode(c, String(stateGiven.code)) : undefined;
    const byName = present(stateGiven.name) ? stateByName(c, String(stateGiven.name)) : undefined;
    if (byCode && byName && byCode !== byName) {
      return integrity(
        `${a.stateCode.label}: the code ${String(stateGiven.code)} and the integration value ${String(stateGiven.name)} name different states`,
        a.stateCode,
      );
    }
    const state = byCode ?? byName;
    record[a.stateCode.name] = state?.code ?? null;
    record[a.state.name] = state?.name ?? null;
    return undefined;
  }
  const currentState = record[a.stateCode.name];
  if (stateGiven.code !== undefined || stateGiven.name !== undefined || !country) {
    record[a.stateCode.name] = null;
    record[a.state.name] = null;
  } else if (countryTouched && present(currentState) && !stateByCode(country, String(currentState))) {
    return integrity(
      `The existing country/territory doesn't recognize the state value for field: ${a.stateCode.label}`,
      a.stateCode,
    );
  }
  return undefined;
}

/** State and country/territory picklists of every address of the object; mutates `record` to the synced values. */
export function addressErrors(
  object: ObjectDef,
  values: Map<FieldDef, StoredValue>,
  record: SObjectRecord,
): RecordError[] {
  const errors: RecordError[] = [];
  for (const address of object.addresses) {
    const error = applyAddress(address, values, record);
    if (error) errors.push(error);
  }
  return errors;
}
