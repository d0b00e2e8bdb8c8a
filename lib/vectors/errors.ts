import { AppError } from "../errors";

/**
 * A `.npy` byte stream that is not a well-formed NumPy file (bad magic, truncated, a header that is not
 * a Python dict literal, a data section whose length disagrees with the shape). `code: "invalid_npy"`.
 * Status 422: the request was understood, the file it points at is unusable.
 */
export class InvalidNpyError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_npy", message, { status: 422, details });
  }
}

/**
 * A well-formed `.npy` file this library does not read: any dtype other than little-endian float32,
 * Fortran order, or a shape that is not an N × D matrix. `code: "unsupported_npy"`.
 */
export class UnsupportedNpyError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("unsupported_npy", message, { status: 422, details });
  }
}

/** A vector matrix that cannot be clustered (wrong length for its shape, NaN or infinite values). */
export class InvalidVectorsError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super("invalid_vectors", message, { status: 422, details });
  }
}
