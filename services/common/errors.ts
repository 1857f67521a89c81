// Domain errors of the cluster. Each carries a stable code that travels over NATS in the
// `Nats-Service-Error-Code` header and maps to one gRPC status at the edge (status-map.ts).

/** Error codes on the wire (HTTP-like numbers, as the NATS services framework expects). */
export const ErrorCode = {
  InvalidInput: 400,
  ModelNotFound: 404,
  DeadlineExceeded: 408,
  PayloadTooLarge: 413,
  Internal: 500,
  Unavailable: 503,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Base class: a message a person understands, a wire code, and the original `cause`. */
export class SpinexrError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** The input is not something we can process (not an image, truncated, unsupported, too many pixels). */
export class InvalidInput extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.InvalidInput, message, options);
  }
}

/** The input is larger than a configured byte limit. */
export class PayloadTooLarge extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.PayloadTooLarge, message, options);
  }
}

/** An unknown model name or a version that is not served. */
export class ModelNotFound extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.ModelNotFound, message, options);
  }
}

/** The request's deadline passed before the work was done. */
export class DeadlineExceeded extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.DeadlineExceeded, message, options);
  }
}

/** No replica could take the work (none running, or all died). */
export class Unavailable extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Unavailable, message, options);
  }
}

/** A bug or an unexpected failure inside a replica. */
export class InternalError extends SpinexrError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.Internal, message, options);
  }
}

/** Rebuilds the domain error for a wire code (used where a NATS error reply is received). */
export function errorFromCode(code: number, message: string): SpinexrError {
  switch (code) {
    case ErrorCode.InvalidInput: return new InvalidInput(message);
    case ErrorCode.ModelNotFound: return new ModelNotFound(message);
    case ErrorCode.DeadlineExceeded: return new DeadlineExceeded(message);
    case ErrorCode.PayloadTooLarge: return new PayloadTooLarge(message);
    case ErrorCode.Unavailable: return new Unavailable(message);
    default: return new InternalError(message);
  }
}
