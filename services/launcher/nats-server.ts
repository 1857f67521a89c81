// Finds or starts the NATS server the cluster needs: NATS_URL when reachable, else a local
// `nats-server` child (JetStream on, its own data dir, payload limit set), else a clear message.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';

/** max_payload of the nats-server we start; larger payloads travel as chunked blobs anyway. */
export const LOCAL_MAX_PAYLOAD = '8MB';

export const INSTALL_HINT =
  'nats-server is not installed. Install it (Debian/Ubuntu: "sudo apt-get install nats-server"; macOS: "brew install nats-server"; ' +
  'or a release binary from the NATS project) or point NATS_URL at a running NATS server.';

/** Connects with the options every SpineXR process uses. */
export function connectNats(url: string, name: string, opts: { timeoutMs?: number; reconnect?: boolean } = {}): Promise<NatsConnection> {
  return connect({ servers: url, name, timeout: opts.timeoutMs ?? 2000, reconnect: opts.reconnect ?? true, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
}

export async function natsReachable(url: string): Promise<boolean> {
  try {
    const nc = await connectNats(url, 'spinexr-probe', { timeoutMs: 1000, reconnect: false });
    await nc.close();
    return true;
  } catch {
    return false;
  }
}

export function natsServerInstalled(): string | undefined {
  const r = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface LocalNats {
  url: string;
  port: number;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 3 s). */
  stop(): Promise<void>;
}

/**
 * Starts `nats-server` on 127.0.0.1 with JetStream in `dataDir`.
 * @example const nats = await startLocalNats({ dataDir: '.data/nats' }); ...; await nats.stop();
 */
export async function startLocalNats(opts: { dataDir: string; port?: number; maxPayload?: string }): Promise<LocalNats> {
  const bin = natsServerInstalled();
  if (!bin) throw new Error(INSTALL_HINT);
  const port = opts.port || (await freePort());
  await mkdir(opts.dataDir, { recursive: true });
  const conf = join(opts.dataDir, 'nats-server.conf');
  await writeFile(
    conf,
    [`host: 127.0.0.1`, `port: ${port}`, `max_payload: ${opts.maxPayload ?? LOCAL_MAX_PAYLOAD}`, `jetstream {`, `  store_dir: "${join(opts.dataDir, 'jetstream')}"`, `}`, ''].join('\n'),
  );
  const child = spawn(bin, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  // If this process dies without stopping it, the server must not outlive it.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.removeListener('exit', reap));
  let log = '';
  child.stderr!.on('data', (d) => {
    if (log.length < 20000) log += d;
  });
  const url = `nats://127.0.0.1:${port}`;
  const t0 = Date.now();
  while (!(await natsReachable(url))) {
    if (child.exitCode !== null) throw new Error(`nats-server exited with code ${child.exitCode}:\n${log}`);
    if (Date.now() - t0 > 10_000) {
      child.kill('SIGKILL');
      throw new Error(`nats-server did not accept connections on ${url} within 10 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    port,
    process: child,
    stop: () => stopChild(child, 3000),
  };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
