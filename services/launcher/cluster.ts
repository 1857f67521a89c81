// Runs the whole cluster on one machine as separate processes: NATS (found or started), N
// replicas per stage, and the gateway. Used by `spinexr start`, the end-to-end tests and the bench.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { connectNats, stopChild, natsReachable, startLocalNats, freePort, INSTALL_HINT, natsServerInstalled, type LocalNats } from './nats-server.ts';
import { pingReplicas } from '../gateway/health.ts';
import type { ServeRole } from './serve-role.ts';

const BIN = fileURLToPath(new URL('../../bin/spinexr.js', import.meta.url));

export interface ClusterOptions {
  /** Use this NATS when reachable; otherwise start a local nats-server. */
  natsUrl?: string;
  /** Always start a private nats-server on a free port (tests). */
  privateNats?: boolean;
  dataDir: string;
  gatewayAddress: string;
  replicas: { preprocess: number; classifier: number; detector: number };
  /** Extra environment for every child (MODEL_REPOSITORY, INTRA_OP_THREADS, LOG_LEVEL...). */
  env?: Record<string, string>;
  /** Where children's log lines go (default: inherit stdout/stderr). */
  onLog?: (role: string, line: string) => void;
  readyTimeoutMs?: number;
}

export interface ReplicaProcess {
  role: ServeRole;
  child: ChildProcess;
}

export interface Cluster {
  natsUrl: string;
  nats?: LocalNats;
  gatewayAddress: string;
  processes: ReplicaProcess[];
  /** Starts one more process of a role (scaling, or replacing a killed replica). */
  spawnRole(role: ServeRole, env?: Record<string, string>): ReplicaProcess;
  /** Waits until every stage answers $SRV.PING with at least the given counts. */
  waitForReplicas(counts: Partial<Record<'preprocess' | 'classifier' | 'detector', number>>, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * @example const c = await startCluster({ dataDir: '.data', gatewayAddress: '127.0.0.1:50051', replicas: { preprocess: 1, classifier: 1, detector: 1 } });
 */
export async function startCluster(opts: ClusterOptions): Promise<Cluster> {
  let nats: LocalNats | undefined;
  let natsUrl = opts.natsUrl ?? 'nats://127.0.0.1:4222';
  if (opts.privateNats || !(await natsReachable(natsUrl))) {
    if (!natsServerInstalled()) throw new Error(`no NATS server at ${natsUrl}, and ${INSTALL_HINT}`);
    const wanted = opts.privateNats ? await freePort() : Number(new URL(natsUrl.replace(/^nats:/, 'http:')).port || 4222);
    nats = await startLocalNats({ dataDir: `${opts.dataDir}/nats`, port: wanted });
    natsUrl = nats.url;
  }
  const gatewayAddress = opts.gatewayAddress.endsWith(':0') ? opts.gatewayAddress.replace(/:0$/, `:${await freePort()}`) : opts.gatewayAddress;
  const processes: ReplicaProcess[] = [];

  const spawnRole = (role: ServeRole, env: Record<string, string> = {}): ReplicaProcess => {
    const child = spawn(process.execPath, [BIN, 'serve', role], {
      env: { ...process.env, ...opts.env, ...env, NATS_URL: natsUrl, GATEWAY_ADDRESS: gatewayAddress },
      stdio: ['ignore', opts.onLog ? 'pipe' : 'inherit', opts.onLog ? 'pipe' : 'inherit'],
    });
    if (opts.onLog) {
      const lines = (stream: NodeJS.ReadableStream) => {
        let rest = '';
        stream.on('data', (d: Buffer) => {
          const parts = (rest + d.toString()).split('\n');
          rest = parts.pop() ?? '';
          for (const l of parts) if (l) opts.onLog!(role, l);
        });
        stream.on('end', () => rest && opts.onLog!(role, rest));
      };
      lines(child.stdout!);
      lines(child.stderr!);
    }
    const p = { role, child };
    processes.push(p);
    return p;
  };

  const nc = await connectNats(natsUrl, 'spinexr-launcher');
  const waitForReplicas: Cluster['waitForReplicas'] = async (counts, timeoutMs = opts.readyTimeoutMs ?? 60_000) => {
    const t0 = Date.now();
    for (;;) {
      const c = await pingReplicas(nc, 300);
      const ok = Object.entries(counts).every(([role, n]) => (c[`spinexr-${role}`] ?? 0) >= (n ?? 0));
      if (ok) return;
      const dead = processes.find((p) => p.child.exitCode !== null && p.child.exitCode !== 0);
      if (dead) throw new Error(`the ${dead.role} process exited with code ${dead.child.exitCode} during start`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`replicas not ready after ${timeoutMs} ms: have ${JSON.stringify(c)}, want ${JSON.stringify(counts)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  const stop = async () => {
    await Promise.all(processes.map(({ child }) => stopChild(child, 5000)));
    await nc.close().catch(() => undefined);
    await nats?.stop();
  };

  try {
    for (let i = 0; i < opts.replicas.preprocess; i++) spawnRole('preprocess');
    for (let i = 0; i < opts.replicas.classifier; i++) spawnRole('classifier');
    for (let i = 0; i < opts.replicas.detector; i++) spawnRole('detector');
    spawnRole('gateway');
    await waitForReplicas(opts.replicas);
    await waitForGateway(gatewayAddress, opts.readyTimeoutMs ?? 60_000);
  } catch (err) {
    await stop();
    throw err;
  }
  return { natsUrl, nats, gatewayAddress, processes, spawnRole, waitForReplicas, stop };
}

async function waitForGateway(address: string, timeoutMs: number): Promise<void> {
  const { createConnection } = await import('node:net');
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const t0 = Date.now();
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = createConnection({ host, port }, () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() - t0 > timeoutMs) throw new Error(`gateway not listening on ${address} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
