// What every bench case shares: the run's settings, its figures (value, baseline, ratio, target),
// a cluster starter, and the small statistics helpers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../launcher/cluster.ts';
import { runLoad, type LoadOptions, type LoadResult } from './load-generator.ts';
import { createGrpcTarget, type Method, type TargetResponse } from './grpc-target.ts';
import { createProgressDisplay } from './progress-display.ts';

/** How a figure compares with its target. */
export const Goal = { AtLeast: '>=', AtMost: '<=', Below: '<', Report: 'report' } as const;
export type Goal = (typeof Goal)[keyof typeof Goal];

/** One line of the results table. */
export interface Figure {
  case: string;
  name: string;
  value: number;
  unit: string;
  /** The figure this one is divided by, measured in the same run (absent when none applies). */
  baseline?: number;
  baselineName?: string;
  ratio?: number;
  goal: Goal;
  /** Compared with `ratio` when there is a baseline, else with `value`. */
  target?: number;
  met?: boolean;
}

export interface BenchSettings {
  quick: boolean;
  twins: boolean;
  /** The model repository of the end-to-end, limit, large-input, preprocessing and memory cases. */
  repository: string;
  /** Where the classifier cost twin lives (batching and scaling), or undefined when absent. */
  twinsRepository?: string;
  intraOpThreads: number;
  /** Seconds per measured load level. */
  durationS: number;
  soakRequests: number;
  soakMethod: Method;
}

export interface BenchContext {
  settings: BenchSettings;
  figures: Figure[];
  log(line: string): void;
}

export function figure(f: Omit<Figure, 'ratio' | 'met'>): Figure {
  const ratio = f.baseline !== undefined && f.baseline !== 0 ? f.value / f.baseline : undefined;
  const compared = f.baseline !== undefined ? ratio : f.value;
  let met: boolean | undefined;
  if (f.target !== undefined && compared !== undefined) {
    if (f.goal === Goal.AtLeast) met = compared >= f.target;
    else if (f.goal === Goal.AtMost) met = compared <= f.target;
    else if (f.goal === Goal.Below) met = compared < f.target;
  }
  return { ...f, ratio, met };
}

export interface BenchCluster {
  cluster: Cluster;
  address: string;
  /** pid of each process by role, in start order (`classifier`, `classifier#2`...). */
  pids(): Record<string, number>;
  stop(): Promise<void>;
}

/** A cluster of its own: private nats-server on a free port, temp data dir, gateway on a free port. */
export async function startBenchCluster(opts: {
  repository: string;
  replicas: { preprocess: number; classifier: number; detector: number };
  intraOpThreads: number;
  env?: Record<string, string>;
}): Promise<BenchCluster> {
  const dataDir = await mkdtemp(join(tmpdir(), 'spinexr-bench-'));
  const logs: string[] = [];
  const cluster = await startCluster({
    privateNats: true,
    dataDir,
    gatewayAddress: '127.0.0.1:0',
    replicas: opts.replicas,
    env: { LOG_LEVEL: 'warn', MODEL_REPOSITORY: opts.repository, INTRA_OP_THREADS: String(opts.intraOpThreads), ...opts.env },
    onLog: (role, line) => {
      logs.push(`${role}: ${line}`);
      if (logs.length > 200) logs.shift();
    },
    readyTimeoutMs: 120_000,
  }).catch(async (err) => {
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${logs.slice(-20).join('\n')}`, { cause: err });
  });
  return {
    cluster,
    address: cluster.gatewayAddress,
    pids() {
      const out: Record<string, number> = {};
      for (const p of cluster.processes) {
        if (p.child.exitCode !== null || !p.child.pid) continue;
        let name: string = p.role;
        for (let i = 2; name in out; i++) name = `${p.role}#${i}`;
        out[name] = p.child.pid;
      }
      return out;
    },
    async stop() {
      await cluster.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A closed-loop run of one gRPC method against a cluster, with a progress line on stderr.
 * @example const r = await closedLoad(ctx, bc.address, 'Analyze', images, { concurrency: 4, durationS: 10 });
 */
export async function closedLoad(
  ctx: BenchContext,
  address: string,
  method: Method,
  images: Uint8Array[],
  o: { concurrency: number; durationS?: number; requests?: number; warmup?: number; onResponse?: LoadOptions<TargetResponse>['onResponse'] },
): Promise<LoadResult> {
  const target = createGrpcTarget(address, method, { deadlineMs: 300_000 });
  const display = createProgressDisplay(`${method} c=${o.concurrency}`);
  try {
    return await runLoad<TargetResponse>({
      mode: 'closed',
      concurrency: o.concurrency,
      durationS: o.durationS,
      requests: o.requests,
      warmup: o.warmup ?? Math.min(8, o.concurrency * 2),
      send: (i) => target.send(images[((i % images.length) + images.length) % images.length]),
      onResponse: o.onResponse,
      onProgress: (p) => display.update(p),
    });
  } finally {
    display.stop();
    target.close();
  }
}

/** Median of a sample (0 when empty). */
export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
}

/** Fails a case loudly when a load run had errors: figures from failed requests mean nothing. */
export function requireNoErrors(r: LoadResult, what: string): void {
  if (r.failed) throw new Error(`${what}: ${r.failed} of ${r.sent} requests failed (${JSON.stringify(r.errors)})`);
}
