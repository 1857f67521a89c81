// `spinexr analyze FILE...`: sends images to a running cluster and prints their findings.
import type { Command } from 'commander';

export function register(program: Command): void {
  program
    .command('analyze')
    .description('analyze DICOM/PNG/JPEG files with a running cluster and print the findings')
    .argument('<files...>', 'image files')
    .option('--address <host:port>', 'gateway address', process.env.GATEWAY_ADDRESS ?? '127.0.0.1:50051')
    .option('--json', 'print one JSON response per line')
    .option('--no-fusion', 'return every detector box (no decision rule)')
    .option('--deadline <ms>', 'deadline per image in ms', '60000')
    .action(async (files: string[], o: { address: string; json?: boolean; fusion: boolean; deadline: string }) => {
      const { readFile } = await import('node:fs/promises');
      const { basename, extname } = await import('node:path');
      const { createAnalysisClient } = await import('../../client/analysis-client.ts');
      const client = createAnalysisClient(o.address);
      let failed = 0;
      for (const file of files) {
        const imageId = basename(file, extname(file));
        try {
          const image = await readFile(file);
          const res = await client.analyze({ image, imageId, fusion: o.fusion }, { deadlineMs: Number(o.deadline) });
          if (o.json) {
            console.log(JSON.stringify(res));
            continue;
          }
          const verdict = res.abnormal ? 'ABNORMAL' : 'normal';
          console.log(`${file}: ${verdict}  P(abnormal) = ${res.abnormalProbability.toFixed(3)} (operating point ${res.operatingPoint.toFixed(3)})`);
          console.log(`  models: ${res.classifier?.name}:${res.classifier?.version}, ${res.detector?.name}:${res.detector?.version}; image ${res.image?.width}x${res.image?.height} ${res.image?.format} ${res.image?.photometric ?? ''}`);
          if (!res.findings.length) console.log('  no findings');
          for (const f of res.findings) {
            const b = f.box!;
            console.log(`  ${f.label.padEnd(22)} ${f.score.toFixed(3)}  [${b.xmin.toFixed(0)}, ${b.ymin.toFixed(0)}, ${b.xmax.toFixed(0)}, ${b.ymax.toFixed(0)}]`);
          }
          console.log(`  timings: ${res.timings.map((t) => `${t.stage} ${t.ms.toFixed(1)} ms`).join(', ')}  (request ${res.requestId})`);
        } catch (err) {
          failed++;
          if (o.json) console.log(JSON.stringify({ imageId, error: (err as Error).message }));
          else console.error(`${file}: ${(err as Error).message}`);
        }
      }
      client.close();
      process.exitCode = failed ? 1 : 0;
    });
}
