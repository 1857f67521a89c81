// The stage protocol against a real nats-server: blob transfer past max_payload, no responders,
// deadlines, and retry after a replica dies holding a request.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Svcm } from '@nats-io/services';
import type { NatsConnection } from '@nats-io/transport-node';
import { startLocalNats, connectNats, type LocalNats } from '../launcher/nats-server.ts';
import { rootLogger } from './logger.ts';
import { PayloadTransport, parseBlobRef, type PayloadTransportOptions } from './payload-transport.ts';
import { Header, newHeaders } from './wire.ts';
import { StageClient } from './stage-client.ts';
import { serveEndpoint, type StageHandler } from './stage-server.ts';
import { DeadlineExceeded, InvalidInput, Unavailable } from './errors.ts';

let nats: LocalNats;
let dir: string;
let client: NatsConnection;
let stages: StageClient;
const opened: NatsConnection[] = [];
const logger = rootLogger('test');
logger.level = 'silent';

const DIRECT = { direct: { listenHost: '127.0.0.1', advertiseHost: '127.0.0.1' } };

async function replica(subject: string, handler: StageHandler, options: PayloadTransportOptions = {}): Promise<NatsConnection> {
  const nc = await connectNats(nats.url, 'test-replica', { reconnect: false });
  opened.push(nc);
  const transport = new PayloadTransport(nc, options);
  await transport.start();
  const service = await new Svcm(nc).add({ name: 'test-stage', version: '0.0.1' });
  serveEndpoint({ service, nc, transport, logger, name: 'echo', subject, queue: subject, handler });
  await nc.flush(); // subscribed on the server before the first call
  return nc;
}

async function clientWith(options: PayloadTransportOptions): Promise<StageClient> {
  const nc = await connectNats(nats.url, 'test-client-2');
  opened.push(nc);
  const transport = new PayloadTransport(nc, options);
  await transport.start();
  const c = new StageClient(nc, transport, { livenessMs: 600 });
  c.start();
  await nc.flush();
  return c;
}

function pattern(bytes: number): Uint8Array {
  const payload = new Uint8Array(bytes);
  for (let i = 0; i < payload.length; i += 4093) payload[i] = i % 251;
  return payload;
}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'spinexr-nats-'));
  nats = await startLocalNats({ dataDir: dir, maxPayload: '1MB' });
  client = await connectNats(nats.url, 'test-client');
  const transport = new PayloadTransport(client);
  await transport.start();
  stages = new StageClient(client, transport, { livenessMs: 600 });
  stages.start();
  await client.flush();
});

test.after(async () => {
  for (const nc of opened) await nc.close().catch(() => undefined);
  await client.close();
  await nats.stop();
  await rm(dir, { recursive: true, force: true });
});

test('a 20 MB payload crosses a 1 MB max_payload server both ways, byte for byte', async () => {
  await replica('t.echo', async (req) => ({ data: req.data }));
  const payload = pattern(20 * 1024 * 1024);
  const t0 = performance.now();
  const reply = await stages.call({ subject: 't.echo', payload, deadline: Date.now() + 10_000, requestId: 'r1', stage: 'echo' });
  const ms = performance.now() - t0;
  assert.is(reply.data.byteLength, payload.byteLength);
  assert.ok(Buffer.from(reply.data).equals(Buffer.from(payload)));
  console.log(`  20 MB there and back through 1 MB messages: ${ms.toFixed(1)} ms`);
});

test('with direct transfer on both sides, 20 MB goes over TCP both ways, byte for byte', async () => {
  await replica('t.echo-direct', async (req) => ({ data: req.data }), DIRECT);
  const direct = await clientWith(DIRECT);
  const payload = pattern(20 * 1024 * 1024);
  const t0 = performance.now();
  const reply = await direct.call({ subject: 't.echo-direct', payload, deadline: Date.now() + 10_000, requestId: 'd1', stage: 'echo' });
  const ms = performance.now() - t0;
  assert.ok(Buffer.from(reply.data).equals(Buffer.from(payload)));
  console.log(`  20 MB there and back over direct TCP: ${ms.toFixed(1)} ms`);
});

test('an unreachable direct-transfer address falls back to NATS chunks', async () => {
  // The sender advertises a port nobody listens on: the receiver must still get the bytes.
  const { freePort } = await import('../launcher/nats-server.ts');
  const dead = { direct: { listenHost: '127.0.0.1', advertiseHost: '127.0.0.1', minBytes: 1 } };
  await replica('t.echo-fallback', async (req) => ({ data: req.data }), DIRECT);
  const nc = await connectNats(nats.url, 'test-client-3');
  opened.push(nc);
  const transport = new PayloadTransport(nc, dead);
  await transport.start();
  (transport as unknown as { direct: { address: string } }).direct.address = `127.0.0.1:${await freePort()}`;
  const c = new StageClient(nc, transport, { livenessMs: 2000 });
  c.start();
  await nc.flush();
  const payload = pattern(3 * 1024 * 1024);
  const reply = await c.call({ subject: 't.echo-fallback', payload, deadline: Date.now() + 10_000, requestId: 'f1', stage: 'echo' });
  assert.ok(Buffer.from(reply.data).equals(Buffer.from(payload)));
});

test('a shared payload: ranges read by several receivers (TCP and NATS), kept until released', async () => {
  const holderNc = await connectNats(nats.url, 'test-holder');
  opened.push(holderNc);
  const holder = new PayloadTransport(holderNc, DIRECT);
  await holder.start();
  const readerNc = await connectNats(nats.url, 'test-reader');
  opened.push(readerNc);
  const reader = new PayloadTransport(readerNc);
  await reader.start();
  await holderNc.flush();
  const payload = pattern(3 * 1024 * 1024);
  const { headers } = holder.prepare(payload, newHeaders(), 10_000, { shared: true });
  const whole = parseBlobRef(headers.get(Header.Blob));
  assert.ok(whole.tcp, 'offered over TCP');
  const a = { ...whole, offset: 1000, length: 5000 };
  const b = { ...whole, offset: 2_000_000, length: 1_000_000 };
  assert.ok(Buffer.from(await reader.fetch(a, 5000)).equals(Buffer.from(payload.subarray(1000, 6000))), 'range over TCP');
  assert.ok(Buffer.from(await reader.fetch({ ...b, tcp: undefined }, 5000)).equals(Buffer.from(payload.subarray(2_000_000, 3_000_000))), 'range over NATS');
  assert.ok(Buffer.from(await reader.fetch(whole, 5000)).equals(Buffer.from(payload)), 'read whole, still kept');
  assert.ok((await reader.fetch(a, 5000)).byteLength === 5000, 'a retry can read it again');
  reader.releaseRemote(whole);
  await readerNc.flush();
  await new Promise((r) => setTimeout(r, 50));
  const gone = await reader.fetch({ ...a, tcp: undefined }, 2000).catch((e) => e);
  assert.instance(gone, Unavailable, 'released');
});

test('no replica on a subject is UNAVAILABLE at once, not a hang', async () => {
  const t0 = performance.now();
  const err = await stages.call({ subject: 't.nobody', payload: new Uint8Array(3), deadline: Date.now() + 10_000, requestId: 'r2', stage: 'nobody' }).catch((e) => e);
  assert.instance(err, Unavailable);
  assert.match(err.message, /no nobody replica is running/);
  assert.ok(performance.now() - t0 < 1000);
});

test('a replica error arrives as the same domain error with its message', async () => {
  await replica('t.refuse', async () => {
    throw new InvalidInput('not a DICOM, PNG or JPEG image');
  });
  const err = await stages.call({ subject: 't.refuse', payload: new Uint8Array(3), deadline: Date.now() + 5000, requestId: 'r3', stage: 'refuse' }).catch((e) => e);
  assert.instance(err, InvalidInput);
  assert.is(err.message, 'not a DICOM, PNG or JPEG image');
});

test('the deadline travels with the request: a slow stage ends in DEADLINE_EXCEEDED on time, and the replica sees it', async () => {
  let seenDeadline = 0;
  await replica('t.slow', async (req) => {
    seenDeadline = req.deadline;
    await new Promise((r) => setTimeout(r, 1000));
    return { data: req.data };
  });
  const deadline = Date.now() + 300;
  const t0 = performance.now();
  const err = await stages.call({ subject: 't.slow', payload: new Uint8Array(1), deadline, requestId: 'r4', stage: 'slow' }).catch((e) => e);
  assert.instance(err, DeadlineExceeded);
  assert.ok(performance.now() - t0 < 600, 'returned near the deadline');
  assert.is(seenDeadline, deadline);
});

test('a replica that dies holding a request: the call is retried on another replica', async () => {
  let served = 0;
  const doomed = await replica('t.crash', async () => new Promise<never>(() => undefined)); // takes it, never answers
  const doomedSeen = new Promise<void>((resolve) => {
    doomed.subscribe('t.crash', { callback: () => resolve(), max: 1 }); // observe arrival on the doomed connection
  });
  await doomed.flush(); // the observer is subscribed before the call goes out
  const p = stages.call({ subject: 't.crash', payload: new Uint8Array([7]), deadline: Date.now() + 10_000, requestId: 'r5', stage: 'crash' });
  p.catch(() => undefined); // awaited below; never an unhandled rejection meanwhile
  await doomedSeen;
  await replica('t.crash', async (req) => {
    served++;
    return { data: req.data };
  });
  await doomed.close(); // the crash: its connection and heartbeats vanish
  const reply = await p;
  assert.equal([...reply.data], [7]);
  assert.is(reply.attempts, 2);
  assert.is(served, 1);
});

test.run();
