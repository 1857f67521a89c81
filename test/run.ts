// Test runner: runs every `*.test.ts` (beside the code and under test/) in its own Node process,
// so end-to-end suites with their own nats-server and services cannot leak into each other.
// Prints uvu's output and ends with the line `N passed, N failed` that CI reads.
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

const ROOTS = ['services', 'models', 'test'];
const root = new URL('..', import.meta.url).pathname;

async function findTests(dir: string): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    if (e.name === 'node_modules' || e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await findTests(p)));
    else if (e.name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

function runFile(file: string): Promise<{ passed: number; failed: number; output: string; code: number }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { output += d; process.stderr.write(d); });
    child.on('close', (code) => {
      // uvu prints "Total: N", "Passed: N" per process.
      const total = Number(/Total:\s+(\d+)/.exec(output)?.[1] ?? 0);
      const passed = Number(/Passed:\s+(\d+)/.exec(output)?.[1] ?? 0);
      let failed = total - passed;
      if (code !== 0 && failed === 0) failed = 1; // a crash outside any test still counts
      resolve({ passed, failed, output, code: code ?? 1 });
    });
  });
}

const filter = process.argv.slice(2);
let files = (await Promise.all(ROOTS.map((r) => findTests(join(root, r))))).flat().sort();
if (filter.length) files = files.filter((f) => filter.some((x) => f.includes(x)));
let passed = 0;
let failed = 0;
const failures: string[] = [];
for (const file of files) {
  const rel = relative(root, file);
  console.log(`\n# ${rel}`);
  const r = await runFile(file);
  passed += r.passed;
  failed += r.failed;
  if (r.failed) failures.push(rel);
}
if (failures.length) console.log(`\nFailing files:\n  ${failures.join('\n  ')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
