// Chooses which model version serves each stage of a request. Today: the highest served version
// of the default classifier and detector; the A/B rollout table will plug in here.
import type { ModelRepository, ModelVersion } from '../model-repository/model-repository.ts';
import { Task } from '../common/model-config.ts';

export const DEFAULT_CLASSIFIER = 'spine-classifier';
export const DEFAULT_DETECTOR = 'spine-detector';

export class ModelRouter {
  constructor(private readonly repo: ModelRepository) {}

  /** The classifier version for a request (an explicit model/version wins). */
  classifier(model = '', version = 0): ModelVersion {
    return this.repo.resolve(model || this.defaultOf(Task.Classification, DEFAULT_CLASSIFIER), version);
  }

  detector(model = '', version = 0): ModelVersion {
    return this.repo.resolve(model || this.defaultOf(Task.Detection, DEFAULT_DETECTOR), version);
  }

  private defaultOf(task: Task, preferred: string): string {
    const names = this.repo.byTask(task);
    return names.includes(preferred) ? preferred : (names[0] ?? preferred);
  }
}
