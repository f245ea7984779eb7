/** The dates Salesforce stores: 1700-01-01 through 4000-12-31 (date and datetime fields alike). */
export const SALESFORCE_MIN_DATE = '1700-01-01';
export const SALESFORCE_MAX_DATE = '4000-12-31';

/** Whether an ISO date (`YYYY-MM-DD…`, UTC for datetimes) falls in Salesforce's range. */
export function inSalesforceDateRange(iso: string): boolean {
  const day = iso.slice(0, 10);
  return day >= SALESFORCE_MIN_DATE && day <= SALESFORCE_MAX_DATE;
}
