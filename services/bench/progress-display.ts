// A one-line progress display on stderr for load runs (cli-progress): requests, rate, p50/p99 so
// far, errors. Silent when stderr is not a terminal unless forced.
import cliProgress from 'cli-progress';
import type { LoadProgress } from './load-generator.ts';

export interface ProgressDisplay {
  update(p: LoadProgress): void;
  stop(): void;
}

/**
 * @example const d = createProgressDisplay('Analyze c=16'); await runLoad({ ..., onProgress: d.update }); d.stop();
 */
export function createProgressDisplay(label: string, opts: { force?: boolean } = {}): ProgressDisplay {
  if (!opts.force && !process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: `${label} [{bar}] {value}/{total} | {rate} req/s | p50 {p50} ms p99 {p99} ms | errors {failed} | in flight {inFlight}`,
      hideCursor: true,
      clearOnComplete: false,
      noTTYOutput: !process.stderr.isTTY,
      notTTYSchedule: 2000,
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      const payload = {
        rate: (p.ok / Math.max(p.elapsedS, 1e-3)).toFixed(1),
        p50: p.latency.percentile(50).toFixed(1),
        p99: p.latency.percentile(99).toFixed(1),
        failed: p.failed,
        inFlight: p.inFlight,
      };
      const total = p.planned ?? Math.max(p.sent, 1);
      if (!started) {
        bar.start(total, p.ok + p.failed, payload);
        started = true;
      } else {
        bar.setTotal(total);
        bar.update(p.ok + p.failed, payload);
      }
    },
    stop() {
      if (started) bar.stop();
    },
  };
}
