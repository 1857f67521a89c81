// End to end: real nats-server, real service processes, real models, real gRPC over sockets.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { status } from '@grpc/grpc-js';
import sharp from 'sharp';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCluster, type TestCluster } from '../support/test-cluster.ts';
import { iou as boxIou } from '../../services/quality/detection-ap.ts';
import { generateImage, type PhantomImage } from '../../models/phantoms/phantom-generator.ts';
import { toDicom } from '../../models/phantoms/dicom-writer.ts';
import { toDisplayUint16 } from '../../models/phantoms/display.ts';
import { haveTool, runDicomTool } from '../../services/preprocess/testing/dicom-tools.ts';
import { connectNats } from '../../services/launcher/nats-server.ts';

const MAX_IMAGE_BYTES = 40 * 1024 * 1024;
let tc: TestCluster;
let implant: PhantomImage;
let implantDicom: Uint8Array;

test.before(async () => {
  tc = await startTestCluster({ env: { MAX_IMAGE_BYTES: String(MAX_IMAGE_BYTES) } });
  implant = generateImage({ seed: 4242, view: 'ap', forceFindings: ['Surgical implant'] });
  implantDicom = toDicom(implant);
});

test.after(async () => {
  await tc?.stop();
});

test('health follows the replicas, and reflection lists the services', async () => {
  let s = '';
  for (let i = 0; i < 30 && s !== 'SERVING'; i++) {
    s = await tc.health('spinexr.v1.Analysis');
    if (s !== 'SERVING') await new Promise((r) => setTimeout(r, 200));
  }
  assert.is(s, 'SERVING', `Analysis health: ${s}`);
  assert.is(await tc.health('spinexr.v1.Detection'), 'SERVING');
  assert.is(await tc.health(''), 'SERVING');
});

test('a phantom with a surgical implant comes back with an implant box at IoU >= 0.5', async () => {
  const { res, err } = await tc.call('Analysis', 'Analyze', { image: implantDicom, studyId: 'study-1', imageId: 'implant-1' });
  assert.not.ok(err, err?.details);
  const truth = implant.boxes.filter((b) => b.lesionType === 'Surgical implant');
  assert.ok(truth.length > 0);
  const found = res.findings.filter((f: any) => f.label === 'Surgical implant');
  const best = Math.max(0, ...truth.flatMap((t) => found.map((f: any) => boxIou(f.box, t))));
  assert.ok(best >= 0.5, `best implant IoU ${best.toFixed(3)}; findings ${JSON.stringify(res.findings.slice(0, 5))}`);
  assert.is(res.imageId, 'implant-1');
  assert.is(res.image.width, implant.width);
  assert.is(res.image.format, 'dicom');
  assert.is(res.classifier.name, 'spine-classifier');
  assert.is(res.detector.name, 'spine-detector');
  assert.ok(res.requestId.length > 10);
  assert.equal(res.timings.map((t: any) => t.stage), ['preprocess', 'classify', 'detect', 'fuse', 'total']);
  assert.ok(res.abnormalProbability >= 0 && res.abnormalProbability <= 1);
  assert.is(res.abnormal, res.abnormalProbability >= res.operatingPoint);
});

/** Rewrites the meta header's Transfer Syntax UID (0002,0010), fixing its length and the group length. */
function withTransferSyntax(dicom: Uint8Array, uid: string): Uint8Array {
  const buf = Buffer.from(dicom);
  const at = buf.indexOf(Buffer.from([0x02, 0x00, 0x10, 0x00, 0x55, 0x49]), 132); // (0002,0010) UI
  const oldLen = buf.readUInt16LE(at + 6);
  const value = Buffer.from(uid.length % 2 ? uid + '\0' : uid, 'latin1');
  const head = Buffer.alloc(8);
  buf.copy(head, 0, at, at + 6);
  head.writeUInt16LE(value.length, 6);
  const out = Buffer.concat([buf.subarray(0, at), head, value, buf.subarray(at + 8 + oldLen)]);
  const groupLengthAt = out.indexOf(Buffer.from([0x02, 0x00, 0x00, 0x00, 0x55, 0x4c]), 132); // (0002,0000) UL
  out.writeUInt32LE(out.readUInt32LE(groupLengthAt + 8) + value.length - oldLen, groupLengthAt + 8);
  return out;
}

/** dcmodify edits in place: run it on a temporary copy. */
function modifyDicom(bytes: Uint8Array, args: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'spinexr-mod-'));
  try {
    const file = join(dir, 'x.dcm');
    writeFileSync(file, bytes);
    execFileSync('dcmodify', [...args, file], { stdio: 'pipe' });
    return new Uint8Array(readFileSync(file));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same picture stored the other way round: MONOCHROME1 <-> MONOCHROME2 with inverted stored values. */
function invertedPhotometric(img: PhantomImage): PhantomImage {
  const pixels = new Uint16Array(img.pixels.length);
  for (let i = 0; i < pixels.length; i++) pixels[i] = 4095 - img.pixels[i];
  const k = img.rescaleSlope * 4095 + 2 * img.rescaleIntercept;
  return { ...img, pixels, photometric: img.photometric === 'MONOCHROME1' ? 'MONOCHROME2' : 'MONOCHROME1', windowCenter: k - img.windowCenter + img.rescaleSlope };
}

test('patient tags stay in the preprocessing stage: not on the bus after it, not in replies, not in logs', async () => {
  const img = generateImage({ seed: 5151, width: 700, height: 900 });
  const secrets = [img.patient.patientName, img.patient.patientId, img.patient.accessionNumber].filter((x) => x.length >= 4);
  const nc = await connectNats(tc.cluster.natsUrl, 'test-wiretap');
  const seen: { subject: string; text: string }[] = [];
  const sub = nc.subscribe('>', {
    callback: (_e, m) => {
      const headers = m.headers ? [...m.headers].map(([k, v]) => `${k}: ${v.join(',')}`).join('\n') : '';
      seen.push({ subject: m.subject, text: Buffer.from(m.data).toString('latin1') + headers });
    },
  });
  await nc.flush();
  const { res, err } = await tc.call('Analysis', 'Analyze', { image: toDicom(img), studyId: 'privacy', imageId: 'privacy-1' });
  await nc.flush();
  sub.unsubscribe();
  await nc.close();
  assert.not.ok(err, err?.details);
  assert.ok(seen.some((m) => m.subject === 'spinexr.v1.preprocess'), 'the wiretap saw the request');
  const afterPreprocessing = seen.filter((m) => m.subject !== 'spinexr.v1.preprocess');
  assert.ok(afterPreprocessing.length >= 3, 'replies and inference requests were seen');
  for (const secret of secrets) {
    for (const m of afterPreprocessing) assert.not.ok(m.text.includes(secret), `"${secret}" on ${m.subject}`);
    assert.not.ok(JSON.stringify(res).includes(secret), `"${secret}" in the reply`);
    assert.not.ok(tc.logs.some((l) => l.includes(secret)), `"${secret}" in a log`);
  }
});

test('the same image as DICOM in several transfer syntaxes, MONOCHROME1 and 2, and as PNG gives the same findings', async () => {
  const variants: [string, Uint8Array][] = [['explicit LE, ' + implant.photometric, implantDicom], [`explicit LE, inverted to ${invertedPhotometric(implant).photometric}`, toDicom(invertedPhotometric(implant))]];
  const conversions: [string, string, string[]][] = [
    ['implicit LE', 'dcmconv', ['+ti']],
    ['big endian', 'dcmconv', ['+tb']],
    ['deflated', 'dcmconv', ['+td']],
    ['RLE', 'dcmcrle', []],
    ['JPEG lossless', 'dcmcjpeg', ['+e1']],
    ['JPEG-LS lossless', 'dcmcjpls', ['+el']],
    ['JPEG 2000 lossless', 'gdcmconv', ['--j2k']],
  ];
  for (const [name, tool, args] of conversions) {
    if (!haveTool(tool)) {
      console.log(`  (skipping ${name}: ${tool} not installed)`);
      continue;
    }
    variants.push([name, runDicomTool(tool, args, implantDicom)]);
  }
  const png = await sharp(toDisplayUint16(implant), { raw: { width: implant.width, height: implant.height, channels: 1 } })
    .toColourspace('grey16')
    .png()
    .toBuffer();
  variants.push(['PNG 16-bit', png]);
  const results = [];
  for (const [name, bytes] of variants) {
    const { res, err } = await tc.call('Analysis', 'Analyze', { image: bytes, studyId: 's', imageId: name });
    assert.not.ok(err, `${name}: ${err?.details}`);
    results.push({ name, res });
  }
  const ref = results[0].res;
  for (const { name, res } of results.slice(1)) {
    assert.ok(Math.abs(res.abnormalProbability - ref.abnormalProbability) < 0.01, `${name}: p ${res.abnormalProbability} vs ${ref.abnormalProbability}`);
    const strong = (r: any) => r.findings.filter((f: any) => f.score >= 0.3);
    const a = strong(ref);
    const b = strong(res);
    for (const f of a) {
      const match = b.find((g: any) => g.label === f.label && boxIou(g.box, f.box) > 0.8 && Math.abs(g.score - f.score) < 0.05);
      assert.ok(match, `${name}: no match for ${f.label} ${f.score.toFixed(3)} ${JSON.stringify(f.box)}`);
    }
  }
});

test('bad input is INVALID_ARGUMENT with a clear message, and the replica keeps serving', async () => {
  const truncated = implantDicom.subarray(0, Math.floor(implantDicom.length / 2));
  const unsupported = withTransferSyntax(implantDicom, '1.2.840.10008.1.2.4.100'); // MPEG2
  const cases: [string, Uint8Array, RegExp][] = [
    ['zero bytes', new Uint8Array(0), /empty image/],
    ['not an image', new TextEncoder().encode('%PDF-1.7 this is a report, not a radiograph'), /not a DICOM, PNG or JPEG/],
    ['truncated DICOM', truncated, /truncated|ends|short|incomplete/i],
    ['unsupported transfer syntax', unsupported, /transfer syntax/i],
  ];
  if (haveTool('dcmodify')) {
    // Absurd dimensions in the header, few bytes of pixels: refused before any big allocation.
    const bomb = modifyDicom(implantDicom, ['-m', '(0028,0010)=60000', '-m', '(0028,0011)=60000', '-nb']);
    cases.push(['60000 x 60000 pixels', bomb, /pixels|too large|limit/i]);
  }
  for (const [name, image, why] of cases) {
    const { err } = await tc.call('Analysis', 'Analyze', { image, studyId: 's', imageId: name });
    assert.ok(err, `${name}: expected an error`);
    assert.is(status[err!.code], 'INVALID_ARGUMENT', `${name}: ${err!.details}`);
    assert.match(err!.details, why, `${name}: ${err!.details}`);
  }
  const { err } = await tc.call('Analysis', 'Analyze', { image: implantDicom, studyId: 's', imageId: 'after-bad-input' });
  assert.not.ok(err, 'still serving after bad input');
  assert.ok(tc.cluster.processes.every((p) => p.child.exitCode === null), 'no process died');
});

test('a 30 MB DICOM works end to end; one over the limit fails at once with RESOURCE_EXHAUSTED', async () => {
  const big = generateImage({ seed: 7, view: 'lateral', width: 3900, height: 3900 });
  const bigDicom = toDicom(big);
  assert.ok(bigDicom.byteLength > 30_000_000, `${bigDicom.byteLength} bytes`);
  const ok = await tc.call('Analysis', 'Analyze', { image: bigDicom, studyId: 's', imageId: 'big' }, 60_000);
  assert.not.ok(ok.err, ok.err?.details);
  assert.is(ok.res.image.width, 3900);
  console.log(`  30 MB DICOM: ${ok.ms.toFixed(0)} ms end to end (preprocess ${ok.res.timings[0].ms.toFixed(0)} ms)`);
  const tooBig = new Uint8Array(MAX_IMAGE_BYTES + 1024);
  tooBig.set(bigDicom.subarray(0, 1024));
  const bad = await tc.call('Analysis', 'Analyze', { image: tooBig, studyId: 's', imageId: 'too-big' });
  assert.is(status[bad.err!.code], 'RESOURCE_EXHAUSTED', bad.err?.details);
  assert.match(bad.err!.details, /above this gateway's limit/);
  assert.ok(bad.ms < 2000, `${bad.ms} ms`);
});

test('the client deadline propagates: DEADLINE_EXCEEDED on time, and the expired work is dropped', async () => {
  // Small on the wire but slow to decode: the request reaches the gateway, then expires in preprocessing.
  const j2k = runDicomTool('gdcmconv', ['--j2k'], toDicom(generateImage({ seed: 8, width: 2800, height: 2800 })));
  const { err, ms } = await tc.call('Analysis', 'Analyze', { image: j2k, studyId: 's', imageId: 'late' }, 150);
  assert.is(status[err!.code], 'DEADLINE_EXCEEDED', err?.details);
  assert.ok(ms < 1000, `${ms} ms`);
  await new Promise((r) => setTimeout(r, 2500)); // let the preprocess replica finish what it held
  const mine = tc.logs.filter((l) => l.includes('"late"') || /deadline/.test(l));
  assert.ok(mine.some((l) => l.startsWith('gateway') && /DEADLINE_EXCEEDED/.test(l)), `gateway answered it:\n${mine.join('\n')}`);
  assert.ok(mine.some((l) => l.startsWith('preprocess') && /deadline passed/.test(l) && /dropped/.test(l)), `the replica dropped it:\n${mine.join('\n')}`);
  assert.not.ok(mine.some((l) => /^(classifier|detector)/.test(l)), 'no inference ran for it');
});

test('Classify, Detect and Preprocess serve one stage alone', async () => {
  const c = await tc.call('Classification', 'Classify', { image: implantDicom, imageId: 'c' });
  assert.not.ok(c.err, c.err?.details);
  assert.is(c.res.model.name, 'spine-classifier');
  const d = await tc.call('Detection', 'Detect', { image: implantDicom, imageId: 'd' });
  assert.not.ok(d.err, d.err?.details);
  assert.ok(d.res.findings.some((f: any) => f.label === 'Surgical implant'));
  const p = await tc.call('Preprocessing', 'Preprocess', { image: implantDicom, imageId: 'p', models: ['spine-classifier'] });
  assert.not.ok(p.err, p.err?.details);
  const t = p.res.inputs[0].tensor;
  assert.is(t.data.length, t.shape.reduce((a: number, b: number) => a * b, 1) * 4);
  const missing = await tc.call('Classification', 'Classify', { image: implantDicom, imageId: 'c', version: 99 });
  assert.is(status[missing.err!.code], 'NOT_FOUND', missing.err?.details);
});

test('AnalyzeStudy and AnalyzeStream', async () => {
  const second = toDicom(generateImage({ seed: 99, view: 'lateral', normal: true }));
  const s = await tc.call('Analysis', 'AnalyzeStudy', { studyId: 'st', images: [{ image: implantDicom, imageId: 'a' }, { image: second, imageId: 'b' }] });
  assert.not.ok(s.err, s.err?.details);
  assert.is(s.res.images.length, 2);
  assert.is(s.res.abnormalProbability, Math.max(...s.res.images.map((i: any) => i.abnormalProbability)));
  const stream = tc.client('Analysis').AnalyzeStream();
  const got: any[] = [];
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (r: any) => got.push(r));
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  stream.write({ image: implantDicom, imageId: 'one' });
  stream.write({ image: new Uint8Array([1, 2, 3]), imageId: 'bad' });
  stream.write({ image: second, imageId: 'two' });
  stream.end();
  await done;
  assert.equal(got.map((r) => r.imageId).sort(), ['bad', 'one', 'two']);
  assert.is(got.find((r) => r.imageId === 'bad').error.code, 'INVALID_ARGUMENT');
});

test("spinexr phantoms + spinexr eval --images: the paper's report against the running cluster", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'spinexr-eval-'));
  try {
    const bin = new URL('../../bin/spinexr.js', import.meta.url).pathname;
    const run = (args: string[]) => execFileSync(process.execPath, [bin, ...args], { encoding: 'utf8', stdio: 'pipe', timeout: 240_000 });
    run(['phantoms', '--count', '8', '--seed', '77', '--out', dir]);
    const out = run(['eval', '--annotations', join(dir, 'annotations.csv'), '--images', join(dir, 'dicom'), '--address', tc.address, '--bootstrap', '200', '--json', join(dir, 'report.json'), '--save-predictions', join(dir, 'predictions.csv')]);
    assert.match(out, /AUROC/);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
    assert.ok(report.classification.auroc.value === null || (report.classification.auroc.value >= 0 && report.classification.auroc.value <= 1));
    assert.ok('Surgical implant' in report.detection.detectorAlone.perFinding);
    const predictions = readFileSync(join(dir, 'predictions.csv'), 'utf8').trim().split('\n');
    assert.is(predictions[0], 'image_id,abnormal_score,lesion_type,score,xmin,ymin,xmax,ymax');
    const ids = new Set(predictions.slice(1).map((l) => l.split(',')[0]));
    assert.is(ids.size, 8, 'every image was scored');
    // Re-scoring the saved predictions gives the same report.
    run(['eval', '--annotations', join(dir, 'annotations.csv'), '--predictions', join(dir, 'predictions.csv'), '--bootstrap', '200', '--json', join(dir, 'again.json'), '--quiet']);
    const again = JSON.parse(readFileSync(join(dir, 'again.json'), 'utf8'));
    const close = (a: number | null, b: number | null) => (a === null ? b === null : b !== null && Math.abs(a - b) < 1e-6);
    assert.ok(close(again.classification.auroc.value, report.classification.auroc.value));
    assert.ok(close(again.detection.detectorAlone.mAP, report.detection.detectorAlone.mAP));
    assert.ok(close(again.detection.withDecisionRule.mAP, report.detection.withDecisionRule.mAP));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no replica for a stage: UNAVAILABLE within 1 s, not a hang', async () => {
  for (const p of tc.cluster.processes.filter((p) => p.role === 'detector')) p.child.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 300));
  const { err, ms } = await tc.call('Analysis', 'Analyze', { image: implantDicom, studyId: 's', imageId: 'no-detector' });
  assert.is(status[err!.code], 'UNAVAILABLE', err?.details);
  assert.match(err!.details, /no .*detector replica/);
  assert.ok(ms < 1000, `${ms} ms`);
});

test.run();
