// End to end: a replica that crashes mid-request. The gateway keeps serving and the retry lands
// on another replica (inference is idempotent).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';
import { generateImage } from '../../models/phantoms/phantom-generator.ts';
import { toDicom } from '../../models/phantoms/dicom-writer.ts';
import { connectNats } from '../../services/launcher/nats-server.ts';

let tc: TestCluster;

test.before(async () => {
  tc = await startTestCluster({ replicas: { preprocess: 1, classifier: 1, detector: 2 } });
});

test.after(async () => {
  await tc?.stop();
});

test('a detector replica that hangs, then dies, holding requests: every request still succeeds', async () => {
  const images = Array.from({ length: 16 }, (_, i) => toDicom(generateImage({ seed: 300 + i, width: 600, height: 800 })));
  const victim = tc.cluster.processes.filter((p) => p.role === 'detector')[0];
  // Freeze the victim: NATS still counts it in the queue group, so about half the detection
  // requests go to it and get no answer and no heartbeat. Once enough have (wiretap on the
  // detector subjects), kill it, before the gateway's 2 s liveness window ends for the first.
  const nc = await connectNats(tc.cluster.natsUrl, 'test-wiretap');
  let published = 0;
  let firstAt = 0;
  nc.subscribe('spinexr.v1.infer.spine-detector.*', {
    callback: () => {
      if (!published++) firstAt = Date.now();
    },
  });
  await nc.flush();
  victim.child.kill('SIGSTOP');
  const calls = images.map((image, i) => tc.call('Analysis', 'Analyze', { image, studyId: 'crash', imageId: `img-${i}` }, 60_000));
  while (!(published >= 12 || (published > 0 && Date.now() - firstAt > 1500))) await new Promise((r) => setTimeout(r, 10));
  victim.child.kill('SIGKILL');
  const results = await Promise.all(calls);
  await nc.close();
  const failures = results.filter((r) => r.err).map((r) => `${r.err!.code}: ${r.err!.details}`);
  assert.equal(failures, [], 'no request failed');
  const retried = results.filter((r) => r.res.timings.some((t: any) => t.stage === 'detect' && t.attempts >= 2));
  assert.ok(retried.length >= 1, `at least one request was retried on the surviving replica (${published} detection requests seen before the kill)`);
  // The survivor keeps serving new work.
  const after = await tc.call('Analysis', 'Analyze', { image: images[0], studyId: 'crash', imageId: 'after' });
  assert.not.ok(after.err, after.err?.details);
});

test.run();
