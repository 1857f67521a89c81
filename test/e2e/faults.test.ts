// End to end: a replica that crashes mid-request. The gateway keeps serving and the retry lands
// on another replica (inference is idempotent).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';
import { generateImage } from '../../models/phantoms/phantom-generator.ts';
import { toDicom } from '../../models/phantoms/dicom-writer.ts';
import { Svcm } from '@nats-io/services';
import type { RequestManyOptions } from '@nats-io/transport-node';
import { connectNats } from '../../services/launcher/nats-server.ts';

let tc: TestCluster;

test.before(async () => {
  tc = await startTestCluster({ replicas: { preprocess: 1, classifier: 1, detector: 2 } });
});

test.after(async () => {
  await tc?.stop();
});

test('a detector replica killed while holding requests: every request still succeeds', async () => {
  const images = Array.from({ length: 10 }, (_, i) => toDicom(generateImage({ seed: 300 + i, width: 900, height: 1200 })));
  const detectors = tc.cluster.processes.filter((p) => p.role === 'detector');
  // Kill one detector as soon as it has taken a request ($SRV.STATS, matched by its pid).
  const victim = detectors[0];
  const nc = await connectNats(tc.cluster.natsUrl, 'test-observer');
  const svc = new Svcm(nc).client({ strategy: 'timer', maxWait: 100 } as RequestManyOptions);
  const killed = (async () => {
    const t0 = Date.now();
    while (Date.now() - t0 < 20_000) {
      for await (const s of await svc.stats('spinexr-detector')) {
        if (s.metadata?.pid === String(victim.child.pid) && (s.endpoints ?? []).some((e) => e.num_requests > 0)) {
          victim.child.kill('SIGKILL');
          return true;
        }
      }
    }
    return false;
  })();
  const calls = images.map((image, i) => tc.call('Analysis', 'Analyze', { image, studyId: 'crash', imageId: `img-${i}` }, 30_000));
  assert.ok(await killed, 'the victim took a request');
  await nc.close();
  const results = await Promise.all(calls);
  const failures = results.filter((r) => r.err).map((r) => `${r.err!.code}: ${r.err!.details}`);
  assert.equal(failures, [], 'no request failed');
  assert.ok(victim.child.signalCode === 'SIGKILL', 'the replica was killed');
  const retried = results.filter((r) => r.res.timings.some((t: any) => t.stage === 'detect' && t.attempts >= 2));
  assert.ok(retried.length >= 1, 'at least one request was retried on the surviving replica');
  // The survivor keeps serving new work.
  const after = await tc.call('Analysis', 'Analyze', { image: images[0], studyId: 'crash', imageId: 'after' });
  assert.not.ok(after.err, after.err?.details);
});

test.run();
