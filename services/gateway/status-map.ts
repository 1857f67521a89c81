// The one table mapping domain errors to gRPC status codes at the edge.
import { status, type ServiceError, Metadata } from '@grpc/grpc-js';
import { ErrorCode, SpinexrError } from '../common/errors.ts';

export const GRPC_STATUS_BY_ERROR: Record<ErrorCode, status> = {
  [ErrorCode.InvalidInput]: status.INVALID_ARGUMENT,
  [ErrorCode.ModelNotFound]: status.NOT_FOUND,
  [ErrorCode.DeadlineExceeded]: status.DEADLINE_EXCEEDED,
  [ErrorCode.PayloadTooLarge]: status.RESOURCE_EXHAUSTED,
  [ErrorCode.Internal]: status.INTERNAL,
  [ErrorCode.Unavailable]: status.UNAVAILABLE,
};

/** A gRPC error for any thrown value; unknown errors become INTERNAL without leaking internals. */
export function toGrpcError(err: unknown): Partial<ServiceError> & { code: status; details: string } {
  if (err instanceof SpinexrError) {
    return { code: GRPC_STATUS_BY_ERROR[err.code] ?? status.INTERNAL, details: err.message, metadata: new Metadata() };
  }
  return { code: status.INTERNAL, details: 'internal error (see the gateway log)', metadata: new Metadata() };
}

export function statusName(code: status): string {
  return status[code] ?? String(code);
}
