// The replica side of the stage protocol: a NATS services endpoint that pulls large payloads,
// drops requests whose deadline has passed, sends heartbeats while it holds a request, and
// answers errors with the services framework's error headers.
import type { MsgHdrs, NatsConnection } from '@nats-io/transport-node';
import type { Service, ServiceMsg } from '@nats-io/services';
import { DeadlineExceeded, ErrorCode, SpinexrError } from './errors.ts';
import { HEARTBEAT, Header, newHeaders, readDeadline, remainingMs } from './wire.ts';
import type { PayloadTransport } from './payload-transport.ts';
import type { Logger } from './logger.ts';

/** How often a replica tells the caller it still holds its request. */
export const HEARTBEAT_INTERVAL_MS = 250;

export interface StageRequest {
  data: Uint8Array;
  headers?: MsgHdrs;
  requestId: string;
  /** Epoch ms. */
  deadline: number;
}

export interface StageResponse {
  data: Uint8Array;
  headers?: MsgHdrs;
  /** Hold the reply for several readers (ranges, retries) until the caller releases it. */
  shared?: boolean;
}

export type StageHandler = (req: StageRequest) => Promise<StageResponse>;

/**
 * Adds one endpoint to a NATS service and serves it until the service stops.
 * @example serveEndpoint({ service, nc, transport, logger, name: 'preprocess', subject: Subject.preprocess, queue: 'preprocess', handler })
 */
export function serveEndpoint(opts: {
  service: Service;
  nc: NatsConnection;
  transport: PayloadTransport;
  logger: Logger;
  name: string;
  subject: string;
  queue: string;
  metadata?: Record<string, string>;
  handler: StageHandler;
}): { inFlight: () => number; stop: () => void } {
  const { nc, transport, logger } = opts;
  const holding = new Set<string>();
  const beat = setInterval(() => {
    if (nc.isClosed()) return;
    for (const reply of holding) heartbeat(nc, reply);
  }, HEARTBEAT_INTERVAL_MS);
  beat.unref();

  const handle = async (msg: ServiceMsg) => {
    const reply = msg.reply;
    const requestId = msg.headers?.get(Header.RequestId) ?? '';
    const deadline = readDeadline(msg.headers);
    // No beat on arrival: the caller's liveness window (2 s) is far longer than the interval, and a
    // beat per request would be one more message, header encoding and timer reset on every hop.
    if (reply) holding.add(reply);
    try {
      if (remainingMs(deadline) <= 0) throw new DeadlineExceeded('deadline passed before the replica started the work; request dropped');
      const data = await transport.receive(msg, remainingMs(deadline));
      const res = await opts.handler({ data, headers: msg.headers, requestId, deadline });
      if (!reply) return;
      if (remainingMs(deadline) <= 0) throw new DeadlineExceeded('deadline passed while the replica worked; reply dropped');
      const out = transport.prepare(res.data, res.headers ?? newHeaders(), Math.max(1000, remainingMs(deadline)), { shared: res.shared });
      msg.respond(out.data, { headers: out.headers });
    } catch (err) {
      const e = err instanceof SpinexrError ? err : undefined;
      const code = e?.code ?? ErrorCode.Internal;
      if (code === ErrorCode.Internal) logger.error({ err, requestId }, `${opts.name} failed`);
      else logger.info({ requestId, code, reason: (err as Error).message }, `${opts.name} refused`);
      if (reply) {
        const text = code === ErrorCode.Internal ? `internal error in the ${opts.name} replica (request ${requestId}; details in its log)` : (err as Error).message;
        msg.respondError(code, oneLine(text));
      }
    } finally {
      if (reply) holding.delete(reply);
    }
  };

  opts.service.addEndpoint(opts.name, {
    subject: opts.subject,
    queue: opts.queue,
    metadata: opts.metadata,
    handler: (err, msg) => {
      if (err) {
        logger.error({ err }, `${opts.name} endpoint stopped`);
        return;
      }
      handle(msg).catch((err) => logger.warn({ err }, `${opts.name}: could not answer (connection closing?)`));
    },
  });
  return { inFlight: () => holding.size, stop: () => clearInterval(beat) };
}

function heartbeat(nc: NatsConnection, reply: string): void {
  try {
    nc.publish(reply, undefined, { headers: newHeaders({ [Header.Status]: HEARTBEAT }) });
  } catch {
    // connection closing: the caller's liveness timer takes over
  }
}

/** Header values cannot carry newlines. */
function oneLine(s: string): string {
  return s.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}
