// Case "large-inputs": 20 MB and 30 MB DICOMs through the cluster (Classify: the preprocess stage is
// the same as Analyze's, the inference is cheaper), and the stage protocol's raw transfer of the same
// sizes between two NATS connections with the server's max_payload at 1 MB (chunked) and 8 MB.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Svcm } from '@nats-io/services';
import { connectNats, startLocalNats } from '../../launcher/nats-server.ts';
import { PayloadTransport } from '../../common/payload-transport.ts';
import { StageClient } from '../../common/stage-client.ts';
import { serveEndpoint } from '../../common/stage-server.ts';
import { rootLogger } from '../../common/logger.ts';
import { phantomImages } from '../bench-inputs.ts';
import { createGrpcTarget, type StageTiming } from '../grpc-target.ts';
import { Goal, figure, median, type BenchContext } from '../bench-context.ts';

/** Target: time moving bytes between services, on loopback. */
export const TRANSFER_TARGET_MS = 50;
/** Phantom sizes: 16-bit explicit VR LE gives about 20.5 MB and 30.4 MB. */
export const LARGE_SIZES = [
  { label: '20 MB', width: 3200, height: 3200 },
  { label: '30 MB', width: 3900, height: 3900 },
] as const;
const QUICK_SIZES = [
  { label: '2 MB (quick)', width: 1000, height: 1000 },
  { label: '3 MB (quick)', width: 1200, height: 1200 },
] as const;

export interface LargeInputRow {
  label: string;
  bytes: number;
  /** Client-side Classify wall time, p50 (includes gRPC upload and inference). */
  grpcMsP50: number;
  preprocessStageMsP50: number;
  preprocessComputeMsP50: number;
  /** median(stage wall ms − computeMs): moving the image to the replica and the tensors back. */
  transferMsP50: number;
}

export interface RawTransferRow {
  maxPayload: string;
  /** Whether the payload went over the direct TCP side channel instead of NATS chunks. */
  direct: boolean;
  bytes: number;
  /** One stage call carrying the payload to an echo replica that answers 1 byte. */
  msP50: number;
}

export interface LargeInputsResult {
  cluster: LargeInputRow[];
  raw: RawTransferRow[];
}

export async function runLargeInputs(ctx: BenchContext, address: string): Promise<LargeInputsResult> {
  const sizes = ctx.settings.quick ? QUICK_SIZES : LARGE_SIZES;
  const reps = ctx.settings.quick ? 1 : 5;
  const target = createGrpcTarget(address, 'Classify', { deadlineMs: 120_000 });
  const cluster: LargeInputRow[] = [];
  const raw: RawTransferRow[] = [];
  try {
    for (const s of sizes) {
      const [image] = await phantomImages({ count: 1, width: s.width, height: s.height, format: 'dicom', seed: 7 });
      await target.send(image); // warm-up
      const grpcMs: number[] = [];
      const stageMs: number[] = [];
      const computeMs: number[] = [];
      const transfer: number[] = [];
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        const res = await target.send(image);
        grpcMs.push(performance.now() - t0);
        const pre = (res.timings as StageTiming[]).find((t) => t.stage === 'preprocess')!;
        stageMs.push(pre.ms);
        computeMs.push(pre.computeMs);
        transfer.push(pre.ms - pre.computeMs);
      }
      const row = { label: s.label, bytes: image.byteLength, grpcMsP50: median(grpcMs), preprocessStageMsP50: median(stageMs), preprocessComputeMsP50: median(computeMs), transferMsP50: median(transfer) };
      cluster.push(row);
      ctx.figures.push(
        figure({
          case: 'large-inputs',
          name: `${s.label} DICOM (${(image.byteLength / 1e6).toFixed(1)} MB): preprocess wall − compute`,
          value: row.transferMsP50,
          unit: `ms (wall ${row.preprocessStageMsP50.toFixed(0)}, compute ${row.preprocessComputeMsP50.toFixed(0)}, gRPC Classify ${row.grpcMsP50.toFixed(0)})`,
          goal: Goal.Below,
          target: TRANSFER_TARGET_MS,
        }),
      );
      ctx.log(`large-inputs ${s.label}: transfer ${row.transferMsP50.toFixed(1)} ms (stage ${row.preprocessStageMsP50.toFixed(1)}, compute ${row.preprocessComputeMsP50.toFixed(1)})`);
    }
  } finally {
    target.close();
  }

  const modes: { maxPayload: string; direct: boolean; label: string }[] = [
    { maxPayload: '1MB', direct: false, label: 'NATS chunks, max_payload 1MB' },
    { maxPayload: '8MB', direct: false, label: 'NATS chunks, max_payload 8MB' },
    { maxPayload: '8MB', direct: true, label: 'direct TCP (the default)' },
  ];
  for (const mode of modes) {
    for (const s of sizes) {
      const bytes = Math.round((s.width * s.height * 2) / 1e6) * 1e6;
      const msP50 = await rawTransfer(mode.maxPayload, bytes, reps, mode.direct);
      raw.push({ maxPayload: mode.maxPayload, direct: mode.direct, bytes, msP50 });
      ctx.figures.push(
        figure({ case: 'large-inputs', name: `raw stage transfer ${(bytes / 1e6).toFixed(0)} MB one way, ${mode.label}`, value: msP50, unit: 'ms', goal: Goal.Below, target: TRANSFER_TARGET_MS }),
      );
      ctx.log(`large-inputs raw ${mode.label} ${(bytes / 1e6).toFixed(0)} MB: ${msP50.toFixed(1)} ms`);
    }
  }
  return { cluster, raw };
}

/** A stage call carrying `bytes` to an echo endpoint on another connection (1-byte reply); median of `reps`. */
async function rawTransfer(maxPayload: string, bytes: number, reps: number, direct: boolean): Promise<number> {
  const options = direct ? { direct: { listenHost: '127.0.0.1', advertiseHost: '127.0.0.1' } } : {};
  const dir = await mkdtemp(join(tmpdir(), 'spinexr-bench-nats-'));
  const nats = await startLocalNats({ dataDir: dir, maxPayload });
  const logger = rootLogger('bench');
  logger.level = 'silent';
  const server = await connectNats(nats.url, 'bench-echo', { reconnect: false });
  const client = await connectNats(nats.url, 'bench-caller', { reconnect: false });
  try {
    const st = new PayloadTransport(server, options);
    await st.start();
    const service = await new Svcm(server).add({ name: 'bench-echo', version: '0.0.1' });
    serveEndpoint({ service, nc: server, transport: st, logger, name: 'echo', subject: 'bench.echo', queue: 'bench.echo', handler: async (req) => ({ data: req.data.subarray(0, 1) }) });
    await server.flush(); // the endpoint's subscription reaches the server before the first call
    const ct = new PayloadTransport(client, options);
    await ct.start();
    const stages = new StageClient(client, ct);
    stages.start();
    const payload = new Uint8Array(bytes).fill(7);
    const call = () => stages.call({ subject: 'bench.echo', payload, deadline: Date.now() + 60_000, requestId: 'bench', stage: 'echo' });
    await call();
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await call();
      ms.push(performance.now() - t0);
    }
    stages.stop();
    ct.stop();
    st.stop();
    return median(ms);
  } finally {
    await client.close().catch(() => undefined);
    await server.close().catch(() => undefined);
    await nats.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
