// Case "memory": peak RSS (VmHWM) of the gateway and of each replica after the other cases, and RSS
// growth over a soak (10,000 requests by default): RSS after a warm-up vs at the end.
import { processMemory } from '../process-memory.ts';
import { Goal, closedLoad, figure, requireNoErrors, type BenchCluster, type BenchContext } from '../bench-context.ts';

export const RSS_GROWTH_TARGET_PCT = 10;
export const SOAK_CONCURRENCY = 16;

export interface MemoryResult {
  /** VmHWM per process before the soak, MiB. */
  peakRssMiB: Record<string, number>;
  soak: {
    method: string;
    requests: number;
    warmupRequests: number;
    processes: { role: string; afterWarmupMiB: number; endMiB: number; peakMiB: number; growthPct: number }[];
    maxGrowthPct: number;
  };
}

export async function runMemory(ctx: BenchContext, bc: BenchCluster, images: Uint8Array[]): Promise<MemoryResult> {
  const { soakRequests, soakMethod } = ctx.settings;
  const sample = async () => {
    const out: Record<string, { rssMiB: number; peakRssMiB: number }> = {};
    for (const [role, pid] of Object.entries(bc.pids())) {
      const m = await processMemory(pid);
      if (m) out[role] = m;
    }
    return out;
  };
  const before = await sample();
  const peakRssMiB = Object.fromEntries(Object.entries(before).map(([role, m]) => [role, m.peakRssMiB]));
  for (const [role, mib] of Object.entries(peakRssMiB)) {
    ctx.figures.push(figure({ case: 'memory', name: `peak RSS ${role}`, value: mib, unit: 'MiB', goal: Goal.Report }));
  }

  const warmupRequests = Math.max(50, Math.round(soakRequests / 10));
  requireNoErrors(await closedLoad(ctx, bc.address, soakMethod, images, { concurrency: SOAK_CONCURRENCY, requests: warmupRequests }), 'soak warm-up');
  const warm = await sample();
  const r = await closedLoad(ctx, bc.address, soakMethod, images, { concurrency: SOAK_CONCURRENCY, requests: soakRequests });
  requireNoErrors(r, 'soak');
  const end = await sample();
  const processes = Object.keys(end).map((role) => ({
    role,
    afterWarmupMiB: warm[role]?.rssMiB ?? NaN,
    endMiB: end[role].rssMiB,
    peakMiB: end[role].peakRssMiB,
    growthPct: ((end[role].rssMiB - (warm[role]?.rssMiB ?? NaN)) / (warm[role]?.rssMiB ?? NaN)) * 100,
  }));
  const maxGrowthPct = Math.max(...processes.map((p) => p.growthPct));
  for (const p of processes) {
    ctx.figures.push(
      figure({
        case: 'memory',
        name: `RSS growth over ${soakRequests} ${soakMethod}: ${p.role}`,
        value: p.growthPct,
        unit: `% (${p.afterWarmupMiB.toFixed(0)} → ${p.endMiB.toFixed(0)} MiB)`,
        goal: Goal.Below,
        target: RSS_GROWTH_TARGET_PCT,
      }),
    );
  }
  ctx.log(`memory: soak of ${soakRequests} ${soakMethod} at ${r.throughput.toFixed(1)} req/s; max RSS growth ${maxGrowthPct.toFixed(1)} %`);
  return { peakRssMiB, soak: { method: soakMethod, requests: soakRequests, warmupRequests, processes, maxGrowthPct } };
}
