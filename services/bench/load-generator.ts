// The load generator behind `spinexr load` and the bench: open-loop (requests sent on a schedule,
// Poisson or fixed arrivals) and closed-loop (a fixed number of requests in flight) load against any
// async `send`, with HdrHistogram latencies, throughput and errors counted by name.
import { LatencyHistogram, type LatencySummary } from './latency-histogram.ts';
import { mulberry32 } from '../common/prng.ts';

/** Uniform in [0, 1) from a seed. */
function uniform01(seed: number): () => number {
  const next = mulberry32(seed);
  return () => next() / 4294967296;
}

export const LoadMode = { Open: 'open', Closed: 'closed' } as const;
export type LoadMode = (typeof LoadMode)[keyof typeof LoadMode];

export const Arrivals = { Poisson: 'poisson', Fixed: 'fixed' } as const;
export type Arrivals = (typeof Arrivals)[keyof typeof Arrivals];

/** How long a run waits for requests still in flight after its duration ends. */
export const DEFAULT_DRAIN_MS = 60_000;
/** How often `onProgress` is called. */
export const PROGRESS_INTERVAL_MS = 250;

export interface LoadOptions<R = unknown> {
  mode: LoadMode;
  /** Open loop: requests per second. */
  rate?: number;
  /** Open loop: inter-arrival times (default Poisson). */
  arrivals?: Arrivals;
  /** Closed loop: requests in flight at once. */
  concurrency?: number;
  /** Stop sending after this many seconds… */
  durationS?: number;
  /** …or after this many requests (whichever comes first when both are set). */
  requests?: number;
  /** Requests sent (closed loop, one at a time) before measuring; not counted. */
  warmup?: number;
  /** Sends request number `i`; resolves with its response, rejects on failure. */
  send: (i: number) => Promise<R>;
  /** Called with every successful response and its latency (for per-stage figures). */
  onResponse?: (res: R, latencyMs: number) => void;
  /** Names an error for `errors` (default: its `codeName`, gRPC status name, or class name). */
  errorName?: (err: unknown) => string;
  onProgress?: (p: LoadProgress) => void;
  /** Seeds Poisson arrivals, so two runs send on the same schedule. */
  seed?: number;
  drainMs?: number;
}

export interface LoadProgress {
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
  elapsedS: number;
  /** The planned number of requests, when known (request count, or rate × duration). */
  planned?: number;
  latency: LatencyHistogram;
}

export interface LoadResult {
  mode: LoadMode;
  rate?: number;
  arrivals?: Arrivals;
  concurrency?: number;
  sent: number;
  ok: number;
  failed: number;
  /** Requests still unanswered when the drain time ran out. */
  abandoned: number;
  /** Failures by name (gRPC status name for gRPC calls). */
  errors: Record<string, number>;
  /** First send to last answer, seconds. */
  elapsedS: number;
  /** Successful responses per second over `elapsedS`. */
  throughput: number;
  /** Successful requests only; open loop measures from the scheduled send time. */
  latency: LatencyHistogram;
}

/** Plain JSON form of a {@link LoadResult} (the `latency` histogram summarised and encoded). */
export interface LoadResultJson extends Omit<LoadResult, 'latency'> {
  latencyMs: LatencySummary;
  /** HdrHistogram compressed base64, µs; merge runs with LatencyHistogram.decode(...).add(...). */
  histogram: string;
}

export function loadResultToJson(r: LoadResult): LoadResultJson {
  const { latency, ...rest } = r;
  return { ...rest, latencyMs: latency.summary(), histogram: latency.encode() };
}

/** The gRPC status name of an error when it has one (`DEADLINE_EXCEEDED`), else its class name. */
export function defaultErrorName(err: unknown): string {
  const e = err as { codeName?: unknown; code?: unknown; name?: unknown };
  if (typeof e?.codeName === 'string') return e.codeName;
  if (typeof e?.code === 'number') return GRPC_STATUS_NAMES[e.code] ?? `STATUS_${e.code}`;
  return typeof e?.name === 'string' ? e.name : 'Error';
}

const GRPC_STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS', 'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL', 'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'];

/**
 * Runs one load test.
 * @example
 * const r = await runLoad({ mode: 'closed', concurrency: 16, durationS: 10, send: () => client.analyze({ image }) });
 * console.log(r.throughput, r.latency.summary().p99);
 */
export async function runLoad<R>(opts: LoadOptions<R>): Promise<LoadResult> {
  if (opts.durationS === undefined && opts.requests === undefined) throw new Error('runLoad needs durationS or requests');
  const errorName = opts.errorName ?? defaultErrorName;
  for (let i = 0; i < (opts.warmup ?? 0); i++) await opts.send(-1 - i).catch(() => undefined);

  const latency = new LatencyHistogram();
  const errors: Record<string, number> = {};
  const maxRequests = opts.requests ?? Infinity;
  const start = performance.now();
  const endAt = opts.durationS !== undefined ? start + opts.durationS * 1000 : Infinity;
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  let lastDone = start;
  const planned = Number.isFinite(maxRequests) ? maxRequests : opts.mode === LoadMode.Open && opts.rate && opts.durationS ? Math.round(opts.rate * opts.durationS) : undefined;

  // `from` is when the request should have been sent: for the open loop its scheduled time, so a
  // stalled server shows up as latency instead of as fewer requests (no coordinated omission).
  const issue = (i: number, from: number): Promise<void> => {
    sent++;
    inFlight++;
    let p: Promise<R>;
    try {
      p = opts.send(i);
    } catch (err) {
      p = Promise.reject(err);
    }
    return p.then(
      (res) => {
        const now = performance.now();
        latency.record(now - from);
        ok++;
        inFlight--;
        lastDone = now;
        opts.onResponse?.(res, now - from);
      },
      (err) => {
        const name = errorName(err);
        errors[name] = (errors[name] ?? 0) + 1;
        failed++;
        inFlight--;
        lastDone = performance.now();
      },
    );
  };

  const progress = opts.onProgress
    ? setInterval(() => opts.onProgress!({ sent, ok, failed, inFlight, elapsedS: (performance.now() - start) / 1000, planned, latency }), PROGRESS_INTERVAL_MS)
    : undefined;
  const all: Promise<void>[] = [];
  try {
    if (opts.mode === LoadMode.Closed) {
      const concurrency = Math.max(1, opts.concurrency ?? 1);
      const worker = async () => {
        while (sent < maxRequests && performance.now() < endAt) await issue(sent, performance.now());
      };
      all.push(...Array.from({ length: concurrency }, worker));
    } else {
      if (!opts.rate || opts.rate <= 0) throw new Error('the open loop needs a rate > 0');
      const interval = 1000 / opts.rate;
      const random = uniform01(opts.seed ?? 1);
      const gap = () => (opts.arrivals === Arrivals.Fixed ? interval : -Math.log(1 - random()) * interval);
      let next = start;
      await new Promise<void>((resolve) => {
        const tick = () => {
          const now = performance.now();
          // Send everything whose time has come, even if the timer fired late.
          while (next <= now && sent < maxRequests && next < endAt) {
            all.push(issue(sent, next));
            next += gap();
          }
          if (sent >= maxRequests || next >= endAt) return resolve();
          setTimeout(tick, Math.max(0, next - performance.now()));
        };
        tick();
      });
    }
    await withTimeout(Promise.all(all), opts.drainMs ?? DEFAULT_DRAIN_MS);
  } finally {
    if (progress) clearInterval(progress);
  }
  const elapsedS = Math.max(1e-9, (lastDone - start) / 1000);
  opts.onProgress?.({ sent, ok, failed, inFlight, elapsedS, planned, latency });
  return {
    mode: opts.mode,
    ...(opts.mode === LoadMode.Open ? { rate: opts.rate, arrivals: opts.arrivals ?? Arrivals.Poisson } : { concurrency: Math.max(1, opts.concurrency ?? 1) }),
    sent,
    ok,
    failed,
    abandoned: inFlight,
    errors,
    elapsedS,
    throughput: ok / elapsedS,
    latency,
  };
}

function withTimeout(p: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    p.finally(() => {
      clearTimeout(t);
      resolve();
    });
  });
}

