/**
 * The one vocabulary of expected failures. Every error a caller may see is an `AppError` with a stable
 * `code` and an HTTP `status`; `expose` says whether its message may be shown to the caller (as in
 * middy's http-errors: `expose = status < 500`). Anything else is a bug: logged, answered as a 500.
 */
export class AppError extends Error {
  readonly code: string;
  readonly status: number;
  readonly expose: boolean;
  readonly details?: Record<string, unknown>;
  /** Members added to the error body next to `error` and `message`, for callers that act on them (limits, reset times). */
  readonly fields?: Record<string, unknown>;

  constructor(
    code: string,
    message: string,
    options: { status?: number; expose?: boolean; cause?: unknown; details?: Record<string, unknown>; fields?: Record<string, unknown> } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? 400;
    this.expose = options.expose ?? this.status < 500;
    this.details = options.details;
    this.fields = options.fields;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_request", message, { status: 400, details });
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = "Log in to continue.", code = "unauthorized") {
    super(code, message, { status: 401 });
  }
}

export class ForbiddenError extends AppError {
  constructor(message: string, code = "forbidden") {
    super(code, message, { status: 403 });
  }
}

export class NotFoundError extends AppError {
  constructor(message = "Not found.", code = "not_found") {
    super(code, message, { status: 404 });
  }
}

export class UnsupportedMediaTypeError extends AppError {
  constructor(message: string) {
    super("unsupported_media_type", message, { status: 415 });
  }
}

export class ConflictError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { status: 409 });
  }
}

export class TooManyRequestsError extends AppError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number, code = "too_many_requests", fields?: Record<string, unknown>) {
    super(code, message, { status: 429, fields });
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** A feature this deployment has not been set up for (501): the caller may read why, nothing is wrong with their request. */
export class NotConfiguredError extends AppError {
  constructor(code: string, message: string) {
    super(code, message, { status: 501, expose: true });
  }
}

/** The work could not all be done now; the caller should send the same request again (503, shown). */
export class RetryLaterError extends AppError {
  override readonly expose = true;
  constructor(message: string, code = "retry_later") {
    super(code, message, { status: 503 });
  }
}

export function isAppError(error: unknown): error is AppError {
  return error instanceof AppError;
}
