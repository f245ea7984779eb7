/** Every mark Extract puts on a row starts so: never a column of the view's (the row hash skips them). */
export const MARK_PREFIX = '__sfSync';

/** Marks a staged row whose key appears more than once in the view (set by Extract, read by Transform). */
export const DUPLICATE_MARK = '__sfSyncDuplicateKey';

/** On a marked row: every spelling of its key seen in the view (e.g. ["ab-1", "AB-1"]), for the rejection message. */
export const DUPLICATE_SPELLINGS = '__sfSyncDuplicateSpellings';

/** The DUPLICATE_VALUE message for a marked row, naming the spellings that collide. */
export function duplicateMessage(key: string, row: Record<string, unknown>): string {
  const spellings = row[DUPLICATE_SPELLINGS];
  const list = Array.isArray(spellings) && spellings.length > 1 ? spellings.map((s) => `"${String(s)}"`) : [];
  const which =
    list.length > 1
      ? `key ${key} collides with another spelling of the same key (${list.join(', ')}: SQL Server's collation or Salesforce's case-insensitive external ID treats them as one)`
      : `key ${key} appears more than once in the source`;
  return `${which}; none of its rows is sent`;
}

/** On a staged row: its content hash (row and mapping version) and key identity, set by Extract. */
export const ROW_HASH = '__sfSyncRowHash';
export const ROW_IDENTITY = '__sfSyncIdentity';
/** On a staged row: the Salesforce Id the snapshot holds for its key, when it has one. */
export const ROW_SF_ID = '__sfSyncId';
