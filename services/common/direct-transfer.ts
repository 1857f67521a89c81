// The bulk-byte side channel of the payload transport: a process holding a large payload serves it
// over a plain TCP socket, and the receiver reads it straight into its own buffer. NATS carries
// only the reference. On loopback this moves 20 MB several times faster than NATS messages,
// whose client copies each large message while it grows its read buffer.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** How long a receiver waits for the sender's TCP connection before using NATS instead. */
export const DIRECT_CONNECT_TIMEOUT_MS = 500;

/** Status byte that precedes the bytes of an answered request. */
const FOUND = 1;
const MISSING = 0;

export interface DirectSource {
  /** The bytes of blob `id`, or undefined when it is unknown or expired. */
  get(id: string): Uint8Array | undefined;
  /** Called once a consumer has read the whole blob (single-consumer blobs are then dropped). */
  served(id: string): void;
}

/**
 * Serves blobs on `host:0`; `address` is what receivers connect to.
 * Protocol: the client sends one line `<id> <offset> <length>\n`; the server answers one status
 * byte (1 found, 0 missing) and, if found, exactly `length` bytes, then closes.
 */
export class DirectTransferServer {
  private server?: Server;
  address = '';

  constructor(
    private readonly source: DirectSource,
    private readonly listenHost: string,
    private readonly advertiseHost: string,
  ) {}

  async start(): Promise<void> {
    const server = createServer((socket) => this.serve(socket));
    server.unref();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.listenHost, () => resolve());
    });
    const addr = server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    this.server = server;
    this.address = `${this.advertiseHost}:${port}`;
  }

  stop(): void {
    this.server?.close();
  }

  private serve(socket: Socket): void {
    socket.setNoDelay(true);
    let line = '';
    socket.on('error', () => socket.destroy());
    socket.on('data', (d) => {
      line += d.toString('latin1');
      const nl = line.indexOf('\n');
      if (nl < 0) {
        if (line.length > 256) socket.destroy();
        return;
      }
      socket.removeAllListeners('data');
      const [id, offsetText, lengthText] = line.slice(0, nl).split(' ');
      const offset = Number(offsetText);
      const length = Number(lengthText);
      const blob = this.source.get(id);
      if (!blob || !Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || offset + length > blob.byteLength) {
        socket.end(Buffer.from([MISSING]));
        return;
      }
      socket.write(Buffer.from([FOUND]));
      socket.end(Buffer.from(blob.buffer, blob.byteOffset + offset, length));
      if (offset === 0 && length === blob.byteLength) this.source.served(id);
    });
  }
}

/** Reads `length` bytes at `offset` of blob `id` from `address` (host:port) into a new buffer. */
export function fetchDirect(address: string, id: string, length: number, timeoutMs: number, offset = 0): Promise<Uint8Array> {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve, reject) => {
    const out = new Uint8Array(length);
    let got = -1; // -1: waiting for the status byte
    const socket = connect({ host, port });
    socket.setNoDelay(true);
    const timer = setTimeout(() => fail(new Error(`timed out after ${timeoutMs} ms`)), Math.max(1, timeoutMs));
    // An unreachable peer must not eat the request's whole deadline: the caller falls back to NATS.
    const connectTimer = setTimeout(() => fail(new Error(`no connection to ${address} within ${DIRECT_CONNECT_TIMEOUT_MS} ms`)), DIRECT_CONNECT_TIMEOUT_MS);
    const fail = (err: Error) => {
      clearTimeout(timer);
      clearTimeout(connectTimer);
      socket.destroy();
      reject(err);
    };
    socket.on('error', fail);
    socket.on('connect', () => {
      clearTimeout(connectTimer);
      socket.write(`${id} ${offset} ${length}\n`);
    });
    socket.on('data', (d: Buffer) => {
      let chunk = d;
      if (got < 0) {
        if (chunk[0] !== FOUND) return fail(new Error('the sender no longer holds this payload'));
        got = 0;
        chunk = chunk.subarray(1);
      }
      if (got + chunk.length > length) return fail(new Error('the sender sent more bytes than announced'));
      out.set(chunk, got);
      got += chunk.length;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      if (got === length) resolve(out);
      else reject(new Error(`connection closed after ${Math.max(0, got)} of ${length} bytes`));
    });
  });
}
