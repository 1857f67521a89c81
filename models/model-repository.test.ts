// Model repository check: every published model version parses as a ModelConfig, loads in ONNX Runtime and agrees with PyTorch on its fixture.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as ort from 'onnxruntime-node';
import { FINDINGS, ModelConfigSchema, type ModelConfig } from '../services/common/model-config.ts';

/** The repository under test; `MODEL_REPOSITORY=/path` checks another one (e.g. a site's own). */
const REPOSITORY = process.env.MODEL_REPOSITORY ?? new URL('.', import.meta.url).pathname;
const MODELS = ['spine-classifier', 'spine-detector'] as const;
const MAX_ONNX_BYTES = 10 * 1024 * 1024;
/** Scores this far apart from their neighbours have an unambiguous TopK rank in both runtimes. */
const SEPARATED_SCORE_GAP = 1e-3;

type Json = Record<string, unknown>;

/** Objects merge key by key; arrays and scalars in the override replace the base (as serving does). */
function deepMerge(base: unknown, override: unknown): unknown {
  if (isObject(base) && isObject(override)) {
    const out: Json = { ...base };
    for (const [k, v] of Object.entries(override)) out[k] = k in base ? deepMerge(base[k], v) : v;
    return out;
  }
  return override === undefined ? base : override;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function readJson(path: string): Json {
  return JSON.parse(readFileSync(path, 'utf8')) as Json;
}

function versionsOf(model: string): string[] {
  const dir = join(REPOSITORY, model);
  return readdirSync(dir)
    .filter((v) => /^\d+$/.test(v) && statSync(join(dir, v)).isDirectory())
    .sort((a, b) => Number(a) - Number(b));
}

interface FixtureTensor {
  dtype: 'float32' | 'int64';
  shape: number[];
  data?: number[];
  file?: string;
  encoding?: 'gzip';
}
interface Fixture {
  inputs: Record<string, FixtureTensor>;
  outputs: Record<string, FixtureTensor>;
  tolerance: number;
}

function loadFloat32(dir: string, t: FixtureTensor): Float32Array {
  if (t.data) return Float32Array.from(t.data);
  let bytes = readFileSync(join(dir, t.file!));
  if (t.encoding === 'gzip') bytes = gunzipSync(bytes);
  // copy into an aligned buffer; values are little-endian float32
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.is(a.length, b.length, 'length');
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

function toNumbers(t: ort.Tensor): number[] {
  return Array.from(t.data as ArrayLike<number | bigint>, (v) => Number(v));
}

for (const model of MODELS) {
  const modelDir = join(REPOSITORY, model);
  test(`${model}: model-level config.json parses with ModelConfigSchema`, () => {
    assert.ok(existsSync(join(modelDir, 'config.json')), `${modelDir}/config.json missing`);
    const cfg = ModelConfigSchema.parse(readJson(join(modelDir, 'config.json')));
    assert.is(cfg.name, model);
    assert.ok(versionsOf(model).length >= 2, 'at least two versions are published (A/B rollout)');
  });

  for (const version of existsSync(modelDir) ? versionsOf(model) : []) {
    const dir = join(modelDir, version);
    const merged = () =>
      ModelConfigSchema.parse(deepMerge(readJson(join(modelDir, 'config.json')), existsSync(join(dir, 'config.json')) ? readJson(join(dir, 'config.json')) : {}));

    test(`${model}/${version}: config, ONNX signature and PyTorch agreement`, async () => {
      const cfg: ModelConfig = merged();
      assert.is(cfg.preprocessing.mean.length, cfg.input.channels, 'one mean per channel');
      assert.is(cfg.preprocessing.std.length, cfg.input.channels, 'one std per channel');
      if (cfg.task === 'classification') {
        assert.equal(cfg.labels, ['abnormal']);
        assert.type(cfg.thresholds.operatingPoint, 'number', 'classifier versions carry thresholds.operatingPoint');
      } else {
        assert.equal(cfg.labels, [...FINDINGS]);
      }

      const onnxPath = join(dir, 'model.onnx');
      assert.ok(statSync(onnxPath).size < MAX_ONNX_BYTES, 'model.onnx < 10 MB');
      const session = await ort.InferenceSession.create(onnxPath);
      try {
        assert.equal([...session.inputNames], [cfg.input.name]);
        const meta = session.inputMetadata[0];
        if (meta?.isTensor) {
          assert.is(meta.type, 'float32');
          assert.equal(meta.shape.slice(1), [cfg.input.channels, cfg.input.height, cfg.input.width], 'input shape');
          assert.type(meta.shape[0], 'string', 'dynamic batch axis');
        }
        const out = cfg.output;
        const expectedOutputs = 'kind' in out ? [out.name] : [out.boxes, out.scores, out.labels];
        assert.equal([...session.outputNames].sort(), [...expectedOutputs].sort(), 'output names');

        const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8')) as Fixture;
        const inT = fixture.inputs[cfg.input.name];
        assert.ok(inT, 'fixture has the model input');
        assert.equal(inT.shape.slice(1), [cfg.input.channels, cfg.input.height, cfg.input.width]);
        const input = new ort.Tensor('float32', loadFloat32(dir, inT), inT.shape);
        const res = await session.run({ [cfg.input.name]: input });
        const tol = fixture.tolerance ?? 1e-4;

        if ('kind' in out) {
          const want = fixture.outputs[out.name];
          assert.equal([...res[out.name].dims], want.shape);
          const d = maxAbsDiff(toNumbers(res[out.name]), want.data!);
          console.log(`  ${model}/${version} ${out.name}: max |ORT - PyTorch| = ${d.toExponential(2)}`);
          assert.ok(d <= tol, `${out.name}: max |ORT - PyTorch| = ${d}`);
          return;
        }
        // detector: K fixed, scores compared as sorted vectors (TopK may order exact ties
        // differently), boxes and labels where the PyTorch score is clearly separated
        const k = fixture.outputs[out.scores].shape[1];
        for (const name of [out.boxes, out.scores, out.labels]) {
          assert.equal([...res[name].dims], fixture.outputs[name].shape, `${name} shape`);
        }
        assert.is(res[out.labels].type, 'int64');
        const batch = fixture.outputs[out.scores].shape[0];
        const sOrt = toNumbers(res[out.scores]);
        const sPt = fixture.outputs[out.scores].data!;
        const bOrt = toNumbers(res[out.boxes]);
        const bPt = fixture.outputs[out.boxes].data!;
        const lOrt = toNumbers(res[out.labels]);
        const lPt = fixture.outputs[out.labels].data!;
        let compared = 0;
        let worstScore = 0;
        let worstBox = 0;
        for (let n = 0; n < batch; n++) {
          const a = sOrt.slice(n * k, (n + 1) * k).sort((x, y) => y - x);
          const b = sPt.slice(n * k, (n + 1) * k).sort((x, y) => y - x);
          const ds = maxAbsDiff(a, b);
          worstScore = Math.max(worstScore, ds);
          assert.ok(ds <= tol, `scores: max |ORT - PyTorch| = ${ds}`);
          for (let i = 0; i < k; i++) {
            const j = n * k + i;
            const prev = i > 0 ? sPt[j - 1] : Infinity;
            const next = i < k - 1 ? sPt[j + 1] : -Infinity;
            if (prev - sPt[j] < SEPARATED_SCORE_GAP || sPt[j] - next < SEPARATED_SCORE_GAP) continue;
            compared++;
            assert.is(lOrt[j], lPt[j], `label of entry ${i}`);
            const db = maxAbsDiff(bOrt.slice(j * 4, j * 4 + 4), bPt.slice(j * 4, j * 4 + 4));
            worstBox = Math.max(worstBox, db);
            assert.ok(db <= tol, `boxes of entry ${i}: max |ORT - PyTorch| = ${db}`);
          }
        }
        console.log(`  ${model}/${version} scores max |ORT - PyTorch| = ${worstScore.toExponential(2)}; ` +
          `boxes ${worstBox.toExponential(2)} and labels equal over ${compared} separated detections`);
        assert.ok(compared >= 5, `at least 5 well-separated detections compared (got ${compared})`);
      } finally {
        await session.release();
      }
    });

    test(`${model}/${version}: metrics.json and MODEL_CARD.md`, () => {
      const m = readJson(join(dir, 'metrics.json'));
      const cfg = merged();
      for (const key of ['model', 'version', 'data', 'training']) assert.ok(key in m, `metrics.json has ${key}`);
      const training = m.training as Json;
      for (const key of ['torch', 'trainSeconds', 'architecture', 'seed']) assert.ok(key in training, `training.${key}`);
      const data = m.data as Json;
      for (const key of ['train', 'validation']) assert.ok(key in data, `data.${key}`);
      if (cfg.task === 'classification') {
        for (const key of ['auroc', 'sensitivity', 'specificity', 'f1', 'operatingPoint']) {
          assert.type(m[key], 'number', key);
        }
        const ci = m.aurocCi95 as number[];
        assert.ok(Array.isArray(ci) && ci.length === 2 && ci[0] <= (m.auroc as number) && (m.auroc as number) <= ci[1], 'aurocCi95');
        assert.ok(Math.abs((m.operatingPoint as number) - cfg.thresholds.operatingPoint!) < 1e-5, 'config operating point = metrics');
      } else {
        const ap = m.apAt50 as Json;
        assert.equal(Object.keys(ap), [...FINDINGS], 'AP@0.5 for every finding, in order');
        assert.ok('mAP' in m, 'mAP');
      }
      const card = readFileSync(join(dir, 'MODEL_CARD.md'), 'utf8');
      assert.match(card, /not for clinical use/i);
    });
  }
}

test.run();
