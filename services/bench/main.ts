// `npm run bench`: starts its own cluster (private nats-server, temp data dir, gateway on a free
// port), runs the cases, prints the figures with their baselines and ratios, and writes --json and
// BENCHMARKS.md. Cases and keys: services/bench/README.md.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CASES, hasBothModels, runBench, type CaseName } from './bench-report.ts';
import { FIGURE_HEADER, figureRows, updateBenchmarksMarkdown } from './benchmarks-markdown.ts';
import { textTable } from './report-table.ts';
import type { BenchSettings } from './bench-context.ts';
import type { Method } from './grpc-target.ts';

const ROOT = new URL('../../', import.meta.url).pathname;
export const SHIPPED_REPOSITORY = resolve(ROOT, 'models');
export const TWINS_REPOSITORY = resolve(ROOT, 'models/twins');
export const DEFAULT_DURATION_S = 10;
export const DEFAULT_SOAK_REQUESTS = 10_000;
export const QUICK_SOAK_REQUESTS = 300;

const USAGE = `usage: npm run bench -- [--twins] [--quick] [--json FILE] [--markdown FILE | --no-markdown]
                      [--models DIR] [--cases ${CASES.join(',')}] [--duration S] [--soak N] [--soak-method M]`;

const { values: o } = parseArgs({
  options: {
    twins: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    json: { type: 'string' },
    markdown: { type: 'string' },
    'no-markdown': { type: 'boolean', default: false },
    models: { type: 'string' },
    cases: { type: 'string' },
    duration: { type: 'string' },
    soak: { type: 'string' },
    'soak-method': { type: 'string' },
    threads: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (o.help) {
  console.log(USAGE);
  process.exit(0);
}

const twinsBuilt = () => hasBothModels(TWINS_REPOSITORY);
if (o.twins && !twinsBuilt()) {
  console.error('models/twins is missing: building it with npm run models:twins (minutes)');
  if (spawnSync('npm', ['run', 'models:twins'], { stdio: 'inherit', cwd: ROOT }).status !== 0 || !twinsBuilt()) {
    console.error('could not build the cost twins (needs /usr/bin/python3 with torch, torchvision, onnx)');
    process.exit(1);
  }
}
const repository = resolve(o.models ?? (o.twins ? TWINS_REPOSITORY : SHIPPED_REPOSITORY));
if (!hasBothModels(repository)) {
  console.error(`${repository} has no served version of both spine-classifier and spine-detector: train them (npm run models:train), use --twins, or --models DIR`);
  process.exit(1);
}
const cases = (o.cases ? o.cases.split(',').map((c) => c.trim()) : [...CASES]) as CaseName[];
const unknown = cases.filter((c) => !CASES.includes(c));
if (unknown.length) {
  console.error(`unknown case ${unknown.join(', ')}; cases: ${CASES.join(', ')}`);
  process.exit(1);
}
const settings: BenchSettings = {
  quick: o.quick,
  twins: o.twins,
  repository,
  twinsRepository: twinsBuilt() ? TWINS_REPOSITORY : undefined,
  intraOpThreads: Number(o.threads ?? process.env.INTRA_OP_THREADS ?? 1),
  durationS: Number(o.duration ?? (o.quick ? 1 : DEFAULT_DURATION_S)),
  soakRequests: Number(o.soak ?? (o.quick ? QUICK_SOAK_REQUESTS : DEFAULT_SOAK_REQUESTS)),
  // The detector twin answers about one image a second on CPU: a 10,000-Analyze soak would take hours.
  soakMethod: (o['soak-method'] ?? (o.twins ? 'Classify' : 'Analyze')) as Method,
};
if (!settings.twinsRepository && !o.quick && (cases.includes('batching') || cases.includes('replica-scaling'))) {
  console.error('note: models/twins is not built (npm run models:twins): batching and scaling run on the shipped classifier');
}

const command = `npm run bench --${process.argv.slice(2).map((a) => ` ${a}`).join('')}`;
const report = await runBench(settings, { cases, command, log: (line) => console.error(line) });
console.log(`\n${textTable(FIGURE_HEADER, figureRows(report))}`);
if (o.json) {
  await writeFile(o.json, JSON.stringify(report, null, 2) + '\n');
  console.log(`\nJSON: ${o.json}`);
}
// A quick run is a smoke test: it only touches BENCHMARKS.md when asked to.
const markdown = o['no-markdown'] ? undefined : (o.markdown ?? (o.quick ? undefined : resolve(ROOT, 'BENCHMARKS.md')));
if (markdown) {
  await updateBenchmarksMarkdown(markdown, o.twins ? 'twins' : o.models ? 'custom' : 'shipped', report);
  console.log(`${existsSync(markdown) ? 'updated' : 'wrote'} ${markdown}`);
}
process.exit(0);
