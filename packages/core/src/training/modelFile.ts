import { writeModel } from '@nca-studio/weights-format';
import type { RunPlan, TrainingState } from '@nca-studio/weights-format';

/** Who trained a model, for the file's training metadata. */
export interface TrainedBy {
  backend: string;
  backendDetail: string;
  /** e.g. "nca-studio 0.1.0" (the CLI) or "nca-studio viewer 0.1.0" (the page). */
  toolVersion: string;
  date?: Date;
}

/** The final loss a run reports: the mean of its last 10 iterations (single losses jump with damage). */
export function finalLoss(losses: readonly number[]): number {
  const tail = losses.slice(-10);
  return tail.reduce((a, b) => a + b, 0) / Math.max(1, tail.length);
}

/** A run's target as the model file stores it: premultiplied RGBA bytes from the padded values in [0, 1]. */
export function targetBytes(target: Float32Array): Uint8Array<ArrayBuffer> {
  const rgba8 = new Uint8Array(target.length);
  target.forEach((v, i) => (rgba8[i] = Math.round(Math.min(1, Math.max(0, v)) * 255)));
  return rgba8;
}

/**
 * A run's model.safetensors (docs/design.md §2 and §4): the weights, the target as bytes, and the
 * training metadata, from its checkpoint. The CLI and the page write it here, so `nca
 * inspect`, `nca eval`, the widget and the app read either the same way.
 */
export function trainedModelFile(end: TrainingState & { plan: RunPlan }, by: TrainedBy): Uint8Array<ArrayBuffer> {
  const { plan } = end;
  const rgba8 = targetBytes(end.target);
  const training = {
    preset: plan.preset,
    iterations: end.iteration,
    final_loss: finalLoss(end.losses),
    backend: by.backend,
    backend_detail: by.backendDetail,
    seed: plan.seed,
    seconds: Math.round(end.seconds * 10) / 10,
    date: (by.date ?? new Date()).toISOString(),
    tool_version: by.toolVersion,
    settings: plan.training,
  };
  return writeModel({
    config: plan.config,
    params: end.params,
    // A texture's target is its exemplar, of its own size.
    target: {
      width: plan.exemplar?.width ?? plan.config.gridWidth,
      height: plan.exemplar?.height ?? plan.config.gridHeight,
      data: rgba8,
      name: plan.targetName,
      size: plan.training.targetSize,
      padding: plan.training.padding,
    },
    training,
  });
}
