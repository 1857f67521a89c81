// Test support: runs the dcmtk / gdcm command-line tools on in-memory DICOM files.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const found = new Map<string, boolean>();

/** Whether a command-line tool is on PATH (cached). */
export function haveTool(tool: string): boolean {
  if (!found.has(tool)) found.set(tool, spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0);
  return found.get(tool)!;
}

/**
 * Runs `tool ...args in out` on a temporary copy of `input` and returns the output file's bytes.
 *
 * @example
 * const big = runDicomTool('dcmconv', ['+tb'], explicitLittle);
 */
export function runDicomTool(tool: string, args: readonly string[], input: Uint8Array): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'spinexr-dcm-'));
  try {
    const inPath = join(dir, 'in.dcm');
    const outPath = join(dir, 'out.dcm');
    writeFileSync(inPath, input);
    execFileSync(tool, [...args, inPath, outPath], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(outPath));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
