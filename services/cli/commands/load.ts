// `spinexr load`: open-loop or closed-loop load against a running gateway's gRPC API, with latency
// percentiles (from the scheduled send time in the open loop), throughput and errors by gRPC status.
import type { Command } from 'commander';

interface LoadCliOptions {
  address: string;
  method: string;
  rate?: string;
  arrivals: string;
  concurrency?: string;
  duration?: string;
  requests?: string;
  warmup: string;
  images?: string[];
  phantomSize: string;
  format: string;
  phantoms: string;
  deadline: string;
  json?: string;
  progress: boolean;
}

export function register(program: Command): void {
  program
    .command('load')
    .description('send load to a running gateway (open loop with --rate, closed loop with --concurrency) and print latency percentiles and throughput')
    .option('--address <host:port>', 'gateway address', process.env.GATEWAY_ADDRESS ?? '127.0.0.1:50051')
    .option('--method <name>', 'Analyze | Classify | Detect | Preprocess', 'Analyze')
    .option('--rate <rps>', 'open loop: requests per second')
    .option('--arrivals <kind>', 'open loop: poisson | fixed', 'poisson')
    .option('--concurrency <n>', 'closed loop: requests in flight (default 1 when --rate is not given)')
    .option('--duration <s>', 'seconds to send for (default 10 unless --requests)')
    .option('--requests <n>', 'requests to send')
    .option('--warmup <n>', 'requests sent one at a time before measuring', '5')
    .option('--images <paths...>', 'image files or folders (default: generated phantoms)')
    .option('--phantom-size <WxH>', 'generated phantom size', '600x800')
    .option('--format <fmt>', 'generated phantom format: dicom | png', 'dicom')
    .option('--phantoms <n>', 'distinct generated phantoms, sent round robin', '4')
    .option('--deadline <ms>', 'deadline per request', '60000')
    .option('--json <file>', 'also write the result as JSON (keys: services/bench/README.md)')
    .option('--no-progress', 'no progress display on stderr')
    .action(async (o: LoadCliOptions) => {
      const { writeFile } = await import('node:fs/promises');
      const { runLoad, loadResultToJson, LoadMode } = await import('../../bench/load-generator.ts');
      const { createGrpcTarget } = await import('../../bench/grpc-target.ts');
      const { readImages, phantomImages, parseSize } = await import('../../bench/bench-inputs.ts');
      const { createProgressDisplay } = await import('../../bench/progress-display.ts');
      const { formatLoadResult } = await import('../../bench/report-table.ts');

      const mode = o.rate !== undefined ? LoadMode.Open : LoadMode.Closed;
      if (o.rate !== undefined && o.concurrency !== undefined) throw new Error('give --rate (open loop) or --concurrency (closed loop), not both');
      if (o.format !== 'dicom' && o.format !== 'png') throw new Error(`--format must be dicom or png, not ${o.format}`);
      if (o.arrivals !== 'poisson' && o.arrivals !== 'fixed') throw new Error(`--arrivals must be poisson or fixed, not ${o.arrivals}`);
      const images = o.images?.length
        ? await readImages(o.images)
        : await phantomImages({ count: Number(o.phantoms), ...parseSize(o.phantomSize), format: o.format });
      const target = createGrpcTarget(o.address, o.method as 'Analyze', { deadlineMs: Number(o.deadline) });
      const display = createProgressDisplay(`${o.method} ${mode === LoadMode.Open ? `${o.rate} req/s` : `c=${o.concurrency ?? 1}`}`, { force: o.progress });
      const result = await runLoad({
        mode,
        rate: o.rate !== undefined ? Number(o.rate) : undefined,
        arrivals: o.arrivals,
        concurrency: Number(o.concurrency ?? 1),
        durationS: o.duration !== undefined ? Number(o.duration) : o.requests === undefined ? 10 : undefined,
        requests: o.requests !== undefined ? Number(o.requests) : undefined,
        warmup: Number(o.warmup),
        send: (i) => target.send(images[((i % images.length) + images.length) % images.length], `load-${i}`),
        onProgress: o.progress ? (p) => display.update(p) : undefined,
      });
      display.stop();
      target.close();
      console.log(formatLoadResult(result, o.method));
      if (o.json) {
        await writeFile(o.json, JSON.stringify({ method: o.method, address: o.address, images: images.length, ...loadResultToJson(result) }, null, 2) + '\n');
      }
      process.exitCode = result.ok === 0 ? 1 : 0;
    });
}
