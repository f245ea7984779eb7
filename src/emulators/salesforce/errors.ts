/**
 * Request-level failures, answered as Salesforce answers them: an HTTP status and a JSON array
 * `[{"message": ..., "errorCode": ..., "fields": [...]?}]`.
 */

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly fields?: string[],
  ) {
    super(message);
  }

  body(): Array<{ message: string; errorCode: string; fields?: string[] }> {
    return [
      this.fields === undefined
        ? { message: this.message, errorCode: this.errorCode }
        : { message: this.message, errorCode: this.errorCode, fields: this.fields },
    ];
  }
}

export const notFound = (): ApiError =>
  new ApiError(404, 'NOT_FOUND', 'The requested resource does not exist');

export const methodNotAllowed = (method: string, allowed: string[]): ApiError =>
  new ApiError(
    405,
    'METHOD_NOT_ALLOWED',
    `HTTP Method '${method}' not allowed. Allowed are ${allowed.join(',')}`,
  );

export const invalidType = (name: string): ApiError =>
  new ApiError(
    400,
    'INVALID_TYPE',
    `sObject type '${name}' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.`,
  );

export const noSuchColumn = (field: string, object: string): ApiError =>
  new ApiError(400, 'INVALID_FIELD', `No such column '${field}' on sobject of type ${object}`);

export const jsonParserError = (message: string): ApiError => new ApiError(400, 'JSON_PARSER_ERROR', message);
