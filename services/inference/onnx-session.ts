// Opens ONNX Runtime sessions pinned to a replica's device (`cpu` or `cuda:N`).
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';

export const Device = { Cpu: 'cpu' } as const;

/** A replica was pinned to a device it cannot use. */
export class DeviceUnavailable extends Error {}

export interface SessionOptions {
  /** `cpu` or `cuda:N`. */
  device: string;
  /** ONNX Runtime intra-op threads (per session). */
  intraOpThreads: number;
}

/** Where onnxruntime-node keeps its native binding and, when installed, the CUDA provider. */
function bindingDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

/** Whether the CUDA execution provider library is installed beside the binding. */
export function cudaProviderInstalled(): boolean {
  return existsSync(join(bindingDir(), 'libonnxruntime_providers_cuda.so'));
}

/**
 * Throws DeviceUnavailable, with what to do, when this host cannot run sessions on `device`;
 * returns the CUDA device match for `cuda:N`. Replicas call it before joining NATS.
 */
export function checkDevice(device: string): RegExpExecArray | null {
  const m = /^cuda:(\d+)$/.exec(device);
  if (device !== Device.Cpu && !m) throw new DeviceUnavailable(`unknown device "${device}": use "cpu" or "cuda:N"`);
  if (m && !cudaProviderInstalled()) {
    throw new DeviceUnavailable(
      `device ${device} needs the ONNX Runtime CUDA execution provider, which is not installed ` +
        `(the project's .npmrc skips its download). On a GPU host install it with ` +
        `"ONNXRUNTIME_NODE_INSTALL=cuda12 npm ci", or run this replica with REPLICA_DEVICE=cpu.`,
    );
  }
  return m;
}

/**
 * Creates a session for one model file on the given device.
 * Throws DeviceUnavailable with instructions when `cuda:N` is asked for without the CUDA provider.
 * @example const s = await openSession('models/spine-classifier/2/model.onnx', { device: 'cpu', intraOpThreads: 1 });
 */
export async function openSession(path: string, opts: SessionOptions): Promise<ort.InferenceSession> {
  const m = checkDevice(opts.device);
  const executionProviders: ort.InferenceSession.ExecutionProviderConfig[] = m
    ? [{ name: 'cuda', deviceId: Number(m[1]) } as ort.InferenceSession.ExecutionProviderConfig]
    : ['cpu'];
  try {
    return await ort.InferenceSession.create(path, {
      executionProviders,
      intraOpNumThreads: opts.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    });
  } catch (err) {
    if (m) throw new DeviceUnavailable(`could not open ${path} on ${opts.device}: ${(err as Error).message}`, { cause: err });
    throw err;
  }
}

export { ort };
