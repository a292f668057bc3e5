/** Options of an AppError beyond status, code and message. */
export interface AppErrorOptions {
  /**
   * Whether the message may reach the caller. Defaults to true below 500 and false
   * from 500 on; a deliberate, user-facing 5xx (a 503 telling the caller to retry)
   * sets it to true. The error middleware shows unexposed messages to nobody.
   */
  expose?: boolean;
}

/**
 * Error classes the HTTP layer understands. `expose` says whether the message may be
 * shown to the caller; anything else becomes a generic answer with only a request id.
 */
export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details?: unknown;
  /** Response headers that belong to this error (Retry-After, ...). */
  headers?: Record<string, string>;
  /** Values a page fills into its own wording of `code` (a date, a state); never sent by the API. */
  params?: ProblemParams;

  constructor(status: number, code: string, message: string, details?: unknown, options: AppErrorOptions = {}) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = options.expose ?? status < 500;
    this.details = details;
  }
}

/** 400: the request could not be read at all (malformed JSON, bad encoding). */
export class BadRequestError extends AppError {
  constructor(message: string, code = 'bad_request') {
    super(400, code, message);
  }
}

/** 401: no valid credentials. */
export class UnauthenticatedError extends AppError {
  constructor(message = 'Authentication required') {
    super(401, 'unauthenticated', message);
  }
}

/** 403: the caller is known but may not do this (a role-gated call, an action on a visible object). */
export class ForbiddenError extends AppError {
  constructor(message = 'You may not do this', code = 'forbidden') {
    super(403, code, message);
  }
}

/** 503 with a message meant for the caller: a peer is down or the request should be retried. */
export class ServiceUnavailableError extends AppError {
  constructor(message: string, code = 'unavailable', retryAfterSeconds?: number) {
    super(503, code, message, undefined, { expose: true });
    if (retryAfterSeconds !== undefined) this.headers = { 'Retry-After': String(retryAfterSeconds) };
  }
}

/** Seconds a refused caller is asked to wait: long enough for a burst to drain, short for a person. */
const OVERLOAD_RETRY_AFTER_SECONDS = 2;

/**
 * Maps "the database is saturated" to 503 + Retry-After: knex's timeout waiting for
 * a free pooled connection (its message is the only stable mark; the class is shared
 * with query timeouts) and PostgreSQL's statement timeout (57014). Refusing quickly
 * is the point: a queued request holds its client for nothing.
 */
export function fromOverloadError(err: unknown): AppError | undefined {
  if (!(err instanceof Error)) return undefined;
  if (err.name === 'KnexTimeoutError' && /Timeout acquiring a connection/.test(err.message)) {
    return new ServiceUnavailableError('The server is busy; try again shortly', 'overloaded', OVERLOAD_RETRY_AFTER_SECONDS);
  }
  if ((err as { code?: unknown }).code === '57014') {
    return new ServiceUnavailableError('The request took too long and was stopped; try again shortly', 'timeout', OVERLOAD_RETRY_AFTER_SECONDS);
  }
  return undefined;
}

/** 404: the object does not exist, or the caller may not know it exists. */
export class NotFoundError extends AppError {
  constructor(message = 'Not found') {
    super(404, 'not_found', message);
  }
}

/** 409: the request conflicts with the current state. `params` fill a page's wording of `code`. */
export class ConflictError extends AppError {
  constructor(message: string, code = 'conflict', params?: ProblemParams) {
    super(409, code, message);
    if (params) this.params = params;
  }
}

/** The values a problem's wording needs (a limit, a date), by placeholder name. */
export type ProblemParams = Readonly<Record<string, string | number>>;

/**
 * One invalid field in a request. `message` is the API's English text; `code` and
 * `params` let a page say the same in its own language (src/web/problems.ts).
 */
export interface FieldProblem {
  field: string;
  message: string;
  code?: string;
  params?: ProblemParams;
}

/**
 * 422: the request was readable but fields are invalid; names each field. The API's
 * details keep their shape (field and message only): clients depend on it.
 */
export class ValidationError extends AppError {
  constructor(readonly fields: FieldProblem[]) {
    super(422, 'validation_failed', `Invalid fields: ${fields.map((f) => `${f.field} (${f.message})`).join('; ')}`, fields.map((f) => ({ field: f.field, message: f.message })));
  }
}

/** Maps PostgreSQL SQLSTATE codes to HTTP answers (house style). */
export function fromPostgresError(err: unknown): AppError | undefined {
  const pgErr = err as { code?: unknown; constraint?: string; column?: string };
  if (typeof pgErr?.code !== 'string' || !/^[0-9A-Z]{5}$/.test(pgErr.code)) return undefined;
  switch (pgErr.code) {
    case '23505':
      return new ConflictError('The object already exists', 'already_exists');
    case '23503':
      return new ValidationError([{ field: pgErr.constraint ?? 'reference', message: 'refers to an object that does not exist', code: 'db.reference' }]);
    case '23502':
      return new ValidationError([{ field: pgErr.column ?? 'field', message: 'is required', code: 'db.required' }]);
    case '22001':
      return new ValidationError([{ field: pgErr.column ?? 'field', message: 'is too long', code: 'db.too_long' }]);
    case '22021': // invalid byte sequence (a NUL byte in text); the input guard names the field first
    case '22P05': // untranslatable character (\u0000 in jsonb)
      return new ValidationError([{ field: pgErr.column ?? 'input', message: 'must not contain NUL bytes or invalid characters', code: 'input.nul' }]);
    case '40001':
    case '40P01':
      return new ServiceUnavailableError('The request conflicted with another; try again', 'retry');
    default:
      return undefined;
  }
}
