// Moves payloads of any size between processes: inline in the NATS message when small, otherwise
// as a "blob" the sender holds and the receiver pulls: straight over TCP from the sender when it
// can (direct-transfer.ts), else in pipelined NATS chunks. A 30 MB DICOM thus works against a
// stock NATS server (1 MB limit), fast, without the JetStream object store's cost.
import { nuid, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { Header, Subject, newHeaders } from './wire.ts';
import { InvalidInput, Unavailable } from './errors.ts';
import { DirectTransferServer, fetchDirect } from './direct-transfer.ts';

/** Room left in a message for headers and protocol framing. */
export const HEADER_HEADROOM_BYTES = 64 * 1024;
/** Chunk size for blob transfer (capped by the server's max_payload). */
export const DEFAULT_CHUNK_BYTES = 8 * 1024 * 1024;
/** Chunk requests in flight at once while pulling a blob. */
export const DEFAULT_FETCH_WINDOW = 16;
/** A blob nobody fetched is dropped after this long. */
export const DEFAULT_BLOB_TTL_MS = 60_000;
/**
 * Payloads from this size on go by direct transfer when it is on; smaller ones ride in the message.
 * Measured round trips on loopback: 128 KB inline 0.9 ms vs direct 1.3 ms; 200 KB 2.2 vs 1.2 ms;
 * 1 MB 4.1 vs 2.2 ms; 3 MB 12.4 vs 6.8 ms.
 */
export const DEFAULT_DIRECT_MIN_BYTES = 160 * 1024;

export interface PayloadTransportOptions {
  chunkBytes?: number;
  fetchWindow?: number;
  blobTtlMs?: number;
  maxInlineBytes?: number;
  /** Serve large payloads over TCP: listen on `listenHost`, tell receivers `advertiseHost`. Off when absent. */
  direct?: { listenHost: string; advertiseHost: string; minBytes?: number };
}

interface HeldBlob {
  data: Uint8Array;
  timer: NodeJS.Timeout;
  /** Read by several consumers (by range): kept until released or expired, not dropped once read. */
  shared: boolean;
}

/** (A range of) a held payload, as carried in the `Spinexr-Blob` header. */
export interface BlobRef {
  /** NATS subject serving the blob's chunks; its last token is the blob id. */
  subject: string;
  /** Bytes in this range. */
  length: number;
  /** host:port of the sender's direct-transfer socket, when it has one. */
  tcp?: string;
  /** Where the range starts in the held payload. */
  offset: number;
}

/** `<subject> <length> <host:port or -> <offset>` */
export function formatBlobRef(r: BlobRef): string {
  return `${r.subject} ${r.length} ${r.tcp ?? '-'} ${r.offset}`;
}

export function parseBlobRef(text: string): BlobRef {
  const [subject, lengthText, tcp, offsetText] = text.split(' ');
  const length = Number(lengthText);
  const offset = Number(offsetText ?? 0);
  if (!subject || !Number.isSafeInteger(length) || length < 0 || !Number.isSafeInteger(offset) || offset < 0) {
    throw new InvalidInput(`malformed ${Header.Blob} header: ${text}`);
  }
  return { subject, length, tcp: tcp && tcp !== '-' ? tcp : undefined, offset };
}

/**
 * One per process. `prepare` turns a payload into what to publish; `receive` turns a received
 * message back into its full payload.
 * @example
 * const t = new PayloadTransport(nc, { direct: { listenHost: '127.0.0.1', advertiseHost: '127.0.0.1' } }); await t.start();
 * const { data, headers } = t.prepare(bytes, newHeaders()); nc.publish(subject, data, { headers });
 */
export class PayloadTransport {
  readonly owner = nuid.next();
  private readonly blobs = new Map<string, HeldBlob>();
  private sub?: Subscription;
  private direct?: DirectTransferServer;

  constructor(
    private readonly nc: NatsConnection,
    private readonly opts: PayloadTransportOptions = {},
  ) {}

  /** Largest payload sent inline on this connection. */
  get maxInline(): number {
    const serverMax = this.nc.info?.max_payload ?? 1024 * 1024;
    return Math.min(this.opts.maxInlineBytes ?? Infinity, serverMax - HEADER_HEADROOM_BYTES);
  }

  private get chunkBytes(): number {
    return Math.max(64 * 1024, Math.min(this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES, this.maxInline));
  }

  /** Starts serving the blobs this process offers (NATS chunk requests, and TCP when direct is on). */
  async start(): Promise<void> {
    this.sub = this.nc.subscribe(Subject.blob(this.owner, '*'), {
      callback: (err, msg) => {
        if (!err) this.serveChunk(msg);
      },
    });
    if (this.opts.direct) {
      this.direct = new DirectTransferServer(
        { get: (id) => this.blobs.get(id)?.data, served: (id) => this.releaseIfSingle(id) },
        this.opts.direct.listenHost,
        this.opts.direct.advertiseHost,
      );
      await this.direct.start();
    }
  }

  stop(): void {
    this.sub?.unsubscribe();
    this.direct?.stop();
    for (const b of this.blobs.values()) clearTimeout(b.timer);
    this.blobs.clear();
  }

  /**
   * Returns the bytes to publish and sets `Spinexr-Blob` on `headers` when the payload is held back.
   * A `shared` payload is always held (whatever its size) and kept until `releaseRemote` or its TTL,
   * so that several receivers can read ranges of it, or a retry can read it again.
   */
  prepare(
    payload: Uint8Array,
    headers: MsgHdrs,
    ttlMs = this.opts.blobTtlMs ?? DEFAULT_BLOB_TTL_MS,
    opts: { shared?: boolean } = {},
  ): { data: Uint8Array; headers: MsgHdrs } {
    const directMin = this.opts.direct?.minBytes ?? DEFAULT_DIRECT_MIN_BYTES;
    const goDirect = this.direct !== undefined && payload.byteLength >= directMin;
    if (payload.byteLength <= this.maxInline && !goDirect && !opts.shared) return { data: payload, headers };
    if (!this.sub) throw new Error('PayloadTransport.start() was not called');
    const id = nuid.next();
    const timer = setTimeout(() => this.blobs.delete(id), ttlMs);
    timer.unref();
    this.blobs.set(id, { data: payload, timer, shared: opts.shared === true });
    headers.set(Header.Blob, formatBlobRef({ subject: Subject.blob(this.owner, id), length: payload.byteLength, tcp: this.direct?.address, offset: 0 }));
    return { data: new Uint8Array(0), headers };
  }

  /** The reference a message carries instead of its payload, if any. */
  blobRef(msg: Msg): BlobRef | undefined {
    const text = msg.headers?.get(Header.Blob);
    return text ? parseBlobRef(text) : undefined;
  }

  /** The full payload of a message, pulling a held payload from its sender. */
  receive(msg: Msg, timeoutMs: number): Promise<Uint8Array> {
    const ref = this.blobRef(msg);
    return ref ? this.fetch(ref, timeoutMs) : Promise.resolve(msg.data);
  }

  /** Reads a range of a held payload: over TCP when the sender offers it, else in NATS chunks. */
  async fetch(ref: BlobRef, timeoutMs: number): Promise<Uint8Array> {
    const { subject, length: size } = ref;
    if (ref.tcp) {
      try {
        return await fetchDirect(ref.tcp, subject.slice(subject.lastIndexOf('.') + 1), size, timeoutMs, ref.offset);
      } catch {
        // Unreachable side channel (firewall, another host): fall back to NATS chunks below.
      }
    }
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
          reply = await this.nc.request(subject, undefined, { timeout: Math.max(1, timeoutMs), headers: newHeaders({ [Header.Range]: `${ref.offset + offset} ${length}` }) });
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

  /** Tells the sender of a shared payload that nobody needs it any more. */
  releaseRemote(ref: BlobRef): void {
    try {
      this.nc.publish(ref.subject, undefined, { headers: newHeaders({ [Header.Range]: 'release' }) });
    } catch {
      // connection closing: the sender's TTL frees it
    }
  }

  private releaseIfSingle(id: string): void {
    if (!this.blobs.get(id)?.shared) this.release(id);
  }

  private release(id: string): void {
    const blob = this.blobs.get(id);
    if (blob) clearTimeout(blob.timer);
    this.blobs.delete(id);
  }

  private serveChunk(msg: Msg): void {
    const id = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const range = msg.headers?.get(Header.Range) ?? '';
    const blob = this.blobs.get(id);
    if (range === 'done') return this.releaseIfSingle(id);
    if (range === 'release') return this.release(id);
    if (!msg.reply) return;
    const [offset, length] = range.split(' ').map(Number);
    if (!blob || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
      msg.respond(new Uint8Array(0));
      return;
    }
    msg.respond(blob.data.subarray(offset, offset + length));
  }
}
