// Calls a stage over NATS request/reply with what a bare request lacks: deadline propagation,
// immediate UNAVAILABLE on no responders, replica liveness via heartbeats, and a retry on another
// replica when the one holding the request dies (inference is idempotent).
import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { DeadlineExceeded, SpinexrError, Unavailable, errorFromCode } from './errors.ts';
import { HEARTBEAT, Header, newHeaders, remainingMs } from './wire.ts';
import { formatBlobRef, type BlobRef, type PayloadTransport } from './payload-transport.ts';

/** A replica that sent nothing (no heartbeat, no reply) for this long is presumed dead. */
export const DEFAULT_LIVENESS_MS = 2_000;
/** Attempts per call: the first one plus retries after a replica died. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface StageCall {
  /** Subject of the stage (a queue group). */
  subject: string;
  payload: Uint8Array;
  /** Absolute deadline, epoch ms; propagated in `Spinexr-Deadline`. */
  deadline: number;
  requestId: string;
  headers?: Record<string, string>;
  /** Human name of the stage for error messages, e.g. "preprocessing". */
  stage: string;
  /** Send a range of a payload another process holds instead of `payload` (no bytes through the caller). */
  payloadRef?: BlobRef;
  /** false: when the reply is held by the replica, return its reference instead of reading it. */
  fetch?: boolean;
}

export interface StageReply {
  data: Uint8Array;
  headers?: MsgHdrs;
  /** With `fetch: false`: where the held reply lies (data is then empty). */
  ref?: BlobRef;
  /** Attempts it took (1 unless a replica died). */
  attempts: number;
}

interface Pending {
  onMessage(msg: Msg): void;
}

/**
 * One per process.
 * @example
 * const client = new StageClient(nc, transport); client.start();
 * const reply = await client.call({ subject: Subject.preprocess, payload, deadline, requestId, stage: 'preprocessing' });
 */
export class StageClient {
  private readonly prefix = createInbox();
  private readonly pending = new Map<string, Pending>();
  private sub?: Subscription;
  private seq = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly transport: PayloadTransport,
    private readonly opts: { livenessMs?: number; maxAttempts?: number } = {},
  ) {}

  start(): void {
    this.sub = this.nc.subscribe(`${this.prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        this.pending.get(msg.subject)?.onMessage(msg);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
  }

  async call(call: StageCall): Promise<StageReply> {
    const maxAttempts = this.opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
    let lastError: SpinexrError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (remainingMs(call.deadline) <= 0) break;
      try {
        const reply = await this.attempt(call);
        return { ...reply, attempts: attempt };
      } catch (err) {
        if (!(err instanceof ReplicaLost)) throw err;
        lastError = new Unavailable(`the ${call.stage} replica stopped answering (attempt ${attempt} of ${maxAttempts})`);
      }
    }
    if (remainingMs(call.deadline) <= 0) throw new DeadlineExceeded(`deadline exceeded waiting for ${call.stage}`);
    throw lastError ?? new Unavailable(`no ${call.stage} replica answered`);
  }

  private attempt(call: StageCall): Promise<{ data: Uint8Array; headers?: MsgHdrs; ref?: BlobRef }> {
    const reply = `${this.prefix}.${++this.seq}`;
    const livenessMs = this.opts.livenessMs ?? DEFAULT_LIVENESS_MS;
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadlineTimer);
        clearTimeout(livenessTimer);
        this.pending.delete(reply);
        fn();
      };
      const deadlineTimer = setTimeout(
        () => finish(() => reject(new DeadlineExceeded(`deadline exceeded waiting for ${call.stage}`))),
        Math.max(0, remainingMs(call.deadline)),
      );
      let livenessTimer = setTimeout(() => finish(() => reject(new ReplicaLost())), livenessMs);
      this.pending.set(reply, {
        onMessage: (msg) => {
          const h = msg.headers;
          if (h?.code === 503) {
            return finish(() => reject(new Unavailable(`no ${call.stage} replica is running (no responders on ${call.subject})`)));
          }
          if (h?.get(Header.Status) === HEARTBEAT) {
            clearTimeout(livenessTimer);
            livenessTimer = setTimeout(() => finish(() => reject(new ReplicaLost())), livenessMs);
            return;
          }
          const code = h?.get(Header.ErrorCode);
          if (code) return finish(() => reject(errorFromCode(Number(code), h?.get(Header.Error) || `${call.stage} failed`)));
          // A blob reply is pulled after the attempt's timers stop: the replica has answered.
          finish(() => {
            const ref = call.fetch === false ? this.transport.blobRef(msg) : undefined;
            if (ref) return resolve({ data: new Uint8Array(0), headers: h, ref });
            this.transport
              .receive(msg, remainingMs(call.deadline))
              .then((data) => resolve({ data, headers: h }), reject);
          });
        },
      });
      const headers = newHeaders({
        ...call.headers,
        [Header.RequestId]: call.requestId,
        [Header.Deadline]: String(call.deadline),
      });
      try {
        if (call.payloadRef) {
          headers.set(Header.Blob, formatBlobRef(call.payloadRef));
          this.nc.publish(call.subject, undefined, { reply, headers });
          return;
        }
        const out = this.transport.prepare(call.payload, headers, Math.max(1000, remainingMs(call.deadline)));
        this.nc.publish(call.subject, out.data, { reply, headers: out.headers });
      } catch (err) {
        finish(() => reject(err));
      }
    });
  }
}

/** The replica holding an attempt went silent; the call retries. */
class ReplicaLost extends Error {}
