// The Analysis client against a real grpc-js server of spinexr.v1.Analysis (a stand-in gateway
// answering from the request), and the folder mode of `spinexr eval` through it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { listImageFiles, predictFolder } from '../quality/folder-predictions.ts';
import { AnalysisCallError, createAnalysisClient, loadAnalysisService } from './analysis-client.ts';

let server: grpc.Server;
let address = '';
let inFlight = 0;
let maxInFlight = 0;
const seen: Record<string, unknown>[] = [];

test.before(async () => {
  server = new grpc.Server();
  server.addService(loadAnalysisService().service, {
    Analyze: (call: grpc.ServerUnaryCall<Record<string, unknown>, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      const req = call.request;
      seen.push(req);
      if (req.imageId === 'bad') return callback({ code: grpc.status.INVALID_ARGUMENT, details: 'not an image' });
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        const image = req.image as Buffer;
        callback(null, {
          imageId: req.imageId,
          studyId: req.studyId,
          abnormalProbability: image[0] / 255,
          findings: [{ label: 'Osteophytes', score: 0.75, box: { xmin: 1, ymin: 2, xmax: 30, ymax: 40 } }],
          classifier: { name: 'spine-classifier', version: 2 },
        });
      }, 10);
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  address = `127.0.0.1:${port}`;
});

test.after(() => {
  server.forceShutdown();
});

test('analyze: camelCase fields, int64 as number, fusion sent', async () => {
  const client = createAnalysisClient(address);
  const res = await client.analyze({ image: new Uint8Array([255, 1, 2]), imageId: 'x', studyId: 's', fusion: false }, { deadlineMs: 5000 });
  client.close();
  assert.is(res.imageId, 'x');
  assert.is(res.studyId, 's');
  assert.is(res.abnormalProbability, 1);
  assert.is(res.findings[0].label, 'Osteophytes');
  assert.is(res.findings[0].box!.ymax, 40);
  assert.is(res.classifier!.version, 2);
  assert.equal(res.timings, []);
  assert.is(res.error, null);
  assert.is(seen.at(-1)!.fusion, false);
});

test('analyze: a gRPC error becomes AnalysisCallError with the status', async () => {
  const client = createAnalysisClient(address);
  try {
    await client.analyze({ image: new Uint8Array([1]), imageId: 'bad' });
    assert.unreachable();
  } catch (err) {
    assert.instance(err, AnalysisCallError);
    assert.is((err as AnalysisCallError).code, grpc.status.INVALID_ARGUMENT);
    assert.is((err as AnalysisCallError).codeName, 'INVALID_ARGUMENT');
    assert.match((err as Error).message, /not an image/);
  } finally {
    client.close();
  }
});

test('folder mode: images listed by id, bounded concurrency, failures reported', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spinexr-eval-'));
  try {
    for (let i = 0; i < 12; i++) await writeFile(join(dir, `img${i}.png`), Buffer.from([i * 20]));
    await writeFile(join(dir, 'scan.DCM'), Buffer.from([200]));
    await writeFile(join(dir, 'bad.jpg'), Buffer.from([0]));
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const files = await listImageFiles(dir);
    assert.is(files.length, 14);
    assert.ok(files.some((f) => f.imageId === 'scan'));
    maxInFlight = 0;
    const client = createAnalysisClient(address);
    let progress = 0;
    const r = await predictFolder(files, { client, concurrency: 3, studyIdOf: (id) => `study-${id}`, onProgress: (d) => { progress = d; } });
    client.close();
    assert.ok(maxInFlight <= 3 && maxInFlight >= 2, `max in flight ${maxInFlight}`);
    assert.is(progress, 14);
    assert.is(r.failures.length, 1);
    assert.is(r.failures[0].imageId, 'bad');
    assert.is(r.predictions.length, 13);
    const img3 = r.predictions.find((p) => p.imageId === 'img3')!;
    assert.is(img3.abnormalScore, 60 / 255 === Math.fround(60 / 255) ? 60 / 255 : Math.fround(60 / 255));
    assert.equal(img3.detections, [{ label: 'Osteophytes', score: 0.75, xmin: 1, ymin: 2, xmax: 30, ymax: 40 }]);
    assert.ok(seen.some((s) => s.studyId === 'study-img3' && s.fusion === false));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
