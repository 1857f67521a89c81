// The absolute deadline of an incoming gRPC call, with a default when the caller set none.
import type { ServerSurfaceCall } from '@grpc/grpc-js/build/src/server-call.js';

/** Epoch ms by which the call must be answered. */
export function callDeadline(call: ServerSurfaceCall, defaultTimeoutMs: number): number {
  const d = call.getDeadline();
  const ms = d instanceof Date ? d.getTime() : typeof d === 'number' ? d : Infinity;
  return Number.isFinite(ms) ? ms : Date.now() + defaultTimeoutMs;
}
