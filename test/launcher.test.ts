// `spinexr start` on a machine with neither a reachable NATS nor nats-server installed says how to get one.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { dirname } from 'node:path';

test('no NATS and no nats-server: exits non-zero with install instructions', () => {
  const bin = new URL('../bin/spinexr.js', import.meta.url).pathname;
  // A PATH with node but without the directory holding nats-server.
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).stdout.trim();
  const path = [dirname(process.execPath), '/bin', '/usr/bin'].filter((d) => !which || d !== dirname(which)).join(':');
  const r = spawnSync(process.execPath, [bin, 'start'], {
    env: { ...process.env, PATH: path, NATS_URL: 'nats://127.0.0.1:1', GATEWAY_ADDRESS: '127.0.0.1:0' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  assert.is(r.status, 1, r.stderr);
  assert.match(r.stderr, /no NATS server at nats:\/\/127\.0\.0\.1:1/);
  assert.match(r.stderr, /apt-get install nats-server/);
});

test.run();
