// The model repository on disk: models/<model>/config.json + models/<model>/<version>/model.onnx,
// with an optional per-version config.json deep-merged over the model's (operating point, input size).
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ModelConfigSchema, type ModelConfig } from '../common/model-config.ts';
import { ModelNotFound } from '../common/errors.ts';
import { MODEL_NAME_PATTERN } from '../common/wire.ts';

/** One immutable, published version of a model. */
export interface ModelVersion {
  name: string;
  version: number;
  /** The model config with this version's overrides applied. */
  config: ModelConfig;
  onnxPath: string;
  dir: string;
}

/**
 * Reads the repository once; versions are immutable, so nothing is re-read while serving.
 * @example
 * const repo = await ModelRepository.load('models');
 * const v = repo.resolve('spine-classifier');        // highest served version
 * const v1 = repo.resolve('spine-classifier', 1);
 */
export class ModelRepository {
  private constructor(
    readonly root: string,
    private readonly models: Map<string, ModelVersion[]>,
  ) {}

  static async load(root: string): Promise<ModelRepository> {
    const models = new Map<string, ModelVersion[]>();
    let entries: string[];
    try {
      entries = await readdir(root);
    } catch (err) {
      throw new Error(`model repository ${root} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    for (const name of entries.sort()) {
      const dir = join(root, name);
      const configPath = join(dir, 'config.json');
      if (!(await isFile(configPath))) continue;
      if (!MODEL_NAME_PATTERN.test(name)) throw new Error(`model folder name "${name}" must match ${MODEL_NAME_PATTERN}`);
      const base = await readJson(configPath);
      const versions: ModelVersion[] = [];
      for (const v of await readdir(dir)) {
        if (!/^\d+$/.test(v)) continue;
        const vdir = join(dir, v);
        const onnxPath = join(vdir, 'model.onnx');
        if (!(await isFile(onnxPath))) continue;
        const overridePath = join(vdir, 'config.json');
        const merged = (await isFile(overridePath)) ? deepMerge(base, await readJson(overridePath)) : base;
        const parsed = ModelConfigSchema.safeParse(merged);
        if (!parsed.success) {
          const why = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
          throw new Error(`invalid config for ${name} version ${v}: ${why}`);
        }
        if (parsed.data.name !== name) throw new Error(`${configPath} names the model "${parsed.data.name}", but its folder is "${name}"`);
        versions.push({ name, version: Number(v), config: parsed.data, onnxPath, dir: vdir });
      }
      versions.sort((a, b) => a.version - b.version);
      const served = applyVersionPolicy(versions);
      if (served.length) models.set(name, served);
    }
    return new ModelRepository(root, models);
  }

  /** Model names with at least one served version. */
  names(): string[] {
    return [...this.models.keys()];
  }

  versions(name: string): ModelVersion[] {
    const v = this.models.get(name);
    if (!v) throw new ModelNotFound(`model "${name}" is not in the model repository (have: ${this.names().join(', ') || 'none'})`);
    return v;
  }

  /** The given version, or the highest served one when `version` is 0 or omitted. */
  resolve(name: string, version = 0): ModelVersion {
    const versions = this.versions(name);
    if (!version) return versions[versions.length - 1];
    const found = versions.find((v) => v.version === version);
    if (!found) throw new ModelNotFound(`model "${name}" has no served version ${version} (served: ${versions.map((v) => v.version).join(', ')})`);
    return found;
  }

  /** Models of one task, e.g. every detection model. */
  byTask(task: ModelConfig['task']): string[] {
    return this.names().filter((n) => this.versions(n)[0].config.task === task);
  }
}

function applyVersionPolicy(versions: ModelVersion[]): ModelVersion[] {
  if (!versions.length) return versions;
  const policy = versions[versions.length - 1].config.versionPolicy;
  if ('latest' in policy) return versions.slice(-policy.latest);
  if ('specific' in policy) return versions.filter((v) => policy.specific.includes(v.version));
  return versions;
}

async function isFile(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isFile();
  } catch {
    return false;
  }
}

async function readJson(p: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(p, 'utf8'));
  } catch (err) {
    throw new Error(`${p} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Objects merge key by key; arrays and scalars from `over` replace those of `base`. */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = deepMerge(base[k], v);
  return out;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}
