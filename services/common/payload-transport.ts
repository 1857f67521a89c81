// Moves payloads of any size over NATS: inline when they fit the server's max_payload, otherwise
// as a "blob" the receiver pulls in pipelined chunks from the sender. This keeps a 30 MB DICOM
// working against a stock NATS server (1 MB limit) without the JetStream object store's cost.
import { nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Header, Subject, newHeaders } from './wire.ts';
import { InvalidInput, Unavailable } from './errors.ts';

/** Room left in a message for headers and protocol framing. */
export const HEADER_HEADROOM_BYTES = 64 * 1024;
/** Chunk size for blob transfer (capped by the server's max_payload). */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
/** Chunk requests in flight at once while pulling a blob. */
export const DEFAULT_FETCH_WINDOW = 16;
/** A blob nobody fetched is dropped after this long. */
export const DEFAULT_BLOB_TTL_MS = 60_000;

interface HeldBlob {
  data: Uint8Array;
  timer: NodeJS.Timeout;
}

/**
 * One per process. `prepare` turns a payload into what to publish; `receive` turns a received
 * message back into its full payload.
 * @example
 * const t = new PayloadTransport(nc); t.start();
 * const { data, headers } = t.prepare(bytes, newHeaders()); nc.publish(subject, data, { headers });
 */
export class PayloadTransport {
  readonly owner = nuid.next();
  private readonly blobs = new Map<string, HeldBlob>();
  private sub?: Subscription;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: { chunkBytes?: number; fetchWindow?: number; blobTtlMs?: number; maxInlineBytes?: number } = {},
  ) {}

  /** Largest payload sent inline on this connection. */
  get maxInline(): number {
    const serverMax = this.nc.info?.max_payload ?? 1024 * 1024;
    return Math.min(this.opts.maxInlineBytes ?? Infinity, serverMax - HEADER_HEADROOM_BYTES);
  }

  private get chunkBytes(): number {
    return Math.max(64 * 1024, Math.min(this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, this.maxInline));
  }

  /** Starts serving chunk requests for the blobs this process offers. */
  start(): void {
    this.sub = this.nc.subscribe(Subject.blob(this.owner, '*'), {
      callback: (err, msg) => {
        if (!err) this.serveChunk(msg);
      },
    });
  }

  stop(): void {
    this.sub?.unsubscribe();
    for (const b of this.blobs.values()) clearTimeout(b.timer);
    this.blobs.clear();
  }

  /** Returns the bytes to publish and sets `Spinexr-Blob` on `headers` when the payload is held back. */
  prepare(payload: Uint8Array, headers: MsgHdrs, ttlMs = this.opts.blobTtlMs ?? DEFAULT_BLOB_TTL_MS): { data: Uint8Array; headers: MsgHdrs } {
    if (payload.byteLength <= this.maxInline) return { data: payload, headers };
    if (!this.sub) throw new Error('PayloadTransport.start() was not called');
    const id = nuid.next();
    const timer = setTimeout(() => this.blobs.delete(id), ttlMs);
    timer.unref();
    this.blobs.set(id, { data: payload, timer });
    headers.set(Header.Blob, `${Subject.blob(this.owner, id)} ${payload.byteLength}`);
    return { data: new Uint8Array(0), headers };
  }

  /** The full payload of a message, pulling a blob's chunks when it was held back. */
  async receive(msg: Msg, timeoutMs: number): Promise<Uint8Array> {
    const ref = msg.headers?.get(Header.Blob);
    if (!ref) return msg.data;
    const [subject, sizeText] = ref.split(' ');
    const size = Number(sizeText);
    if (!subject || !Number.isSafeInteger(size) || size < 0) throw new InvalidInput(`malformed ${Header.Blob} header: ${ref}`);
    const out = new Uint8Array(size);
    const chunk = this.chunkBytes;
    const count = Math.ceil(size / chunk);
    let next = 0;
    const window = this.opts.fetchWindow ?? DEFAULT_FETCH_WINDOW;
    const worker = async () => {
      while (next < count) {
        const i = next++;
        const offset = i * chunk;
        const length = Math.min(chunk, size - offset);
        let reply: Msg;
        try {
          reply = await this.nc.request(subject, undefined, { timeout: Math.max(1, timeoutMs), headers: newHeaders({ [Header.Range]: `${offset} ${length}` }) });
        } catch (err) {
          throw new Unavailable(`could not fetch a large payload from its sender (${(err as Error).message})`, { cause: err });
        }
        if (reply.data.byteLength !== length) throw new Unavailable(`large payload ${subject} is gone or expired at its sender`);
        out.set(reply.data, offset);
      }
    };
    await Promise.all(Array.from({ length: Math.min(window, count) }, worker));
    this.nc.publish(subject, undefined, { headers: newHeaders({ [Header.Range]: 'done' }) });
    return out;
  }

  private serveChunk(msg: Msg): void {
    const id = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const range = msg.headers?.get(Header.Range) ?? '';
    const blob = this.blobs.get(id);
    if (range === 'done') {
      if (blob) clearTimeout(blob.timer);
      this.blobs.delete(id);
      return;
    }
    if (!msg.reply) return;
    const [offset, length] = range.split(' ').map(Number);
    if (!blob || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
      msg.respond(new Uint8Array(0));
      return;
    }
    msg.respond(blob.data.subarray(offset, offset + length));
  }
}
