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
        { get: (id) => this.blobs.get(id)?.data, served: (id) => this.release(id) },
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

  /** Returns the bytes to publish and sets `Spinexr-Blob` on `headers` when the payload is held back. */
  prepare(payload: Uint8Array, headers: MsgHdrs, ttlMs = this.opts.blobTtlMs ?? DEFAULT_BLOB_TTL_MS): { data: Uint8Array; headers: MsgHdrs } {
    const directMin = this.opts.direct?.minBytes ?? DEFAULT_DIRECT_MIN_BYTES;
    const goDirect = this.direct !== undefined && payload.byteLength >= directMin;
    if (payload.byteLength <= this.maxInline && !goDirect) return { data: payload, headers };
    if (!this.sub) throw new Error('PayloadTransport.start() was not called');
    const id = nuid.next();
    const timer = setTimeout(() => this.blobs.delete(id), ttlMs);
    timer.unref();
    this.blobs.set(id, { data: payload, timer });
    const tcp = this.direct ? ` ${this.direct.address}` : '';
    headers.set(Header.Blob, `${Subject.blob(this.owner, id)} ${payload.byteLength}${tcp}`);
    return { data: new Uint8Array(0), headers };
  }

  /** The full payload of a message, pulling a blob's chunks when it was held back. */
  async receive(msg: Msg, timeoutMs: number): Promise<Uint8Array> {
    const ref = msg.headers?.get(Header.Blob);
    if (!ref) return msg.data;
    const [subject, sizeText, tcpAddress] = ref.split(' ');
    const size = Number(sizeText);
    if (!subject || !Number.isSafeInteger(size) || size < 0) throw new InvalidInput(`malformed ${Header.Blob} header: ${ref}`);
    if (tcpAddress) {
      try {
        return await fetchDirect(tcpAddress, subject.slice(subject.lastIndexOf('.') + 1), size, timeoutMs);
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

  private release(id: string): void {
    const blob = this.blobs.get(id);
    if (blob) clearTimeout(blob.timer);
    this.blobs.delete(id);
  }

  private serveChunk(msg: Msg): void {
    const id = msg.subject.slice(msg.subject.lastIndexOf('.') + 1);
    const range = msg.headers?.get(Header.Range) ?? '';
    const blob = this.blobs.get(id);
    if (range === 'done') return this.release(id);
    if (!msg.reply) return;
    const [offset, length] = range.split(' ').map(Number);
    if (!blob || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length)) {
      msg.respond(new Uint8Array(0));
      return;
    }
    msg.respond(blob.data.subarray(offset, offset + length));
  }
}
