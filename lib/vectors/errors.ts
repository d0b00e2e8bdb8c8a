import { AppError } from "../errors";

/**
 * A `.npy` byte stream that is not one this code wrote (bad magic, truncated, another version or
 * header, a data section whose length disagrees with the shape). `code: "invalid_npy"`.
 * Status 422: the request was understood, the file it points at is unusable.
 */
export class InvalidNpyError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_npy", message, { status: 422, details });
  }
}

/** A vector matrix that cannot be clustered (wrong length for its shape, NaN or infinite values). */
export class InvalidVectorsError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_vectors", message, { status: 422, details });
  }
}
