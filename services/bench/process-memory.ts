// Resident memory of a process from /proc/<pid>/status (Linux): current (VmRSS) and peak (VmHWM).

export interface ProcessMemory {
  rssMiB: number;
  peakRssMiB: number;
}

/** Undefined when the process is gone or /proc is not there (not Linux). */
export async function processMemory(pid: number): Promise<ProcessMemory | undefined> {
  const { readFile } = await import('node:fs/promises');
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return { rssMiB: kib('VmRSS') / 1024, peakRssMiB: kib('VmHWM') / 1024 };
}
