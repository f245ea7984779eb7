/** Marks a staged row whose key appears more than once in the view (set by Extract, read by Transform). */
export const DUPLICATE_MARK = '__sfSyncDuplicateKey';
