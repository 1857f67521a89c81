// The machine a bench ran on: CPU, cores, memory, Node, ONNX Runtime and nats-server versions, load.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg, totalmem } from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  onnxruntimeNode: string;
  natsServer: string;
  platform: string;
  /** 1, 5 and 15 minute load averages when the run started. */
  loadAverageStart: number[];
  loadAverageEnd?: number[];
}

export function machineInfo(): MachineInfo {
  const require = createRequire(import.meta.url);
  const nats = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    onnxruntimeNode: (require('onnxruntime-node/package.json') as { version: string }).version,
    natsServer: nats.status === 0 ? nats.stdout.trim() : 'not found',
    platform: `${process.platform} ${process.arch}`,
    loadAverageStart: loadavg().map((x) => Math.round(x * 100) / 100),
  };
}

export function currentLoadAverage(): number[] {
  return loadavg().map((x) => Math.round(x * 100) / 100);
}
