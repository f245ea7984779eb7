/**
 * Named errors: the contract between the Lambdas and the state machine.
 *
 * `error.name` is what Lambda reports as `errorType` and what `ErrorEquals` matches, so every
 * class sets it as a string literal (a minifier renames classes). Transient errors are retried
 * by the definition with backoff; permanent ones are caught so that one page, entity or
 * company fails alone. Library errors (mssql, got, DynamoDB) are translated where they are
 * called, so their names never reach the definition.
 */

export interface SyncErrorOptions {
  cause?: unknown;
}

export abstract class SyncError extends Error {
  abstract readonly transient: boolean;
  constructor(message: string, options: SyncErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
  }
}

/** The execution input is not one the workflow accepts. Permanent; nothing is written. */
export class InvalidInputError extends SyncError {
  override readonly name = 'InvalidInputError';
  readonly transient = false;
}

/** The sync configuration is invalid: a key is missing or has a wrong value. Permanent. */
export class ConfigError extends SyncError {
  override readonly name = 'ConfigError';
  readonly transient = false;
}

/** The company's SQL Server cannot be reached or refused the connection. Transient. */
export class SourceUnavailableError extends SyncError {
  override readonly name = 'SourceUnavailableError';
  readonly transient = true;
}

/** SQL Server refused the login (wrong user or password, unknown database). Permanent. */
export class SourceLoginError extends SyncError {
  override readonly name = 'SourceLoginError';
  readonly transient = false;
}

/** SQL Server answered with an error for the view query (unknown view, bad column...). Permanent. */
export class SourceQueryError extends SyncError {
  override readonly name = 'SourceQueryError';
  readonly transient = false;
}

/** Salesforce is down, overloaded or some records hit a lock: retry later. Transient. */
export class SalesforceUnavailableError extends SyncError {
  override readonly name = 'SalesforceUnavailableError';
  readonly transient = true;
}

/** Salesforce refused for a concurrency or rate limit that clears with time. Transient. */
export class SalesforceRateLimitError extends SyncError {
  override readonly name = 'SalesforceRateLimitError';
  readonly transient = true;
}

/** The org's daily API request limit is used up: retrying today does not help. Permanent. */
export class SalesforceLimitExceededError extends SyncError {
  override readonly name = 'SalesforceLimitExceededError';
  readonly transient = false;
}

/** Salesforce refused our credentials, or a refreshed token was refused again. Permanent. */
export class SalesforceAuthError extends SyncError {
  override readonly name = 'SalesforceAuthError';
  readonly transient = false;
}

/** Salesforce answered a request in a way we cannot use (400, unexpected body). Permanent. */
export class SalesforceRequestError extends SyncError {
  override readonly name = 'SalesforceRequestError';
  readonly transient = false;
}

/** DynamoDB throttled or was unreachable. Transient. */
export class StoreUnavailableError extends SyncError {
  override readonly name = 'StoreUnavailableError';
  readonly transient = true;
}

/** Something the run relies on in the store is missing (staged page expired, no token). Permanent. */
export class StoreStateError extends SyncError {
  override readonly name = 'StoreStateError';
  readonly transient = false;
}

/** A run would remove more of an entity's Salesforce records than its guard allows: nothing removed. */
export class DeletionGuardError extends SyncError {
  override readonly name = 'DeletionGuardError';
  readonly transient = false;
}

/**
 * A Bulk API 2.0 job ended Failed or Aborted without processing the records (a refused CSV, an
 * abort by a person or by Salesforce), or its polls were used up: that entity fails, the rest goes on.
 */
export class BulkJobError extends SyncError {
  override readonly name = 'BulkJobError';
  readonly transient = false;
}
