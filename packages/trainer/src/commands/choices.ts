// The values the CLI offers and reads for its flags, apart from the commands that use them,
// so parsing the flags imports no command.

/** `nca convert --from`: a Distill .json, the texture article's models.json, or the PyTorch notebook's state dict. */
export const CONVERT_FORMATS = ['distill', 'distill-textures', 'torch'] as const;
export type ConvertFormat = (typeof CONVERT_FORMATS)[number];

/** `nca convert --to`: the PyTorch notebook's state dict. */
export const EXPORT_FORMATS = ['torch'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `nca train`'s defaults of the flags that are not a preset's (training/plan.ts applies them). */
export const TRAIN_DEFAULTS = { preset: 'auto', seed: 1, backend: 'auto', checkpointEvery: 100, logEvery: 10 } as const;

/** `nca bench`'s defaults (docs/design.md §8's workload). */
export const BENCH_DEFAULTS = { preset: 'regenerating', steps: 80, iterations: 6 } as const;

/** A disc erased (every channel set to 0) once `step` steps have run, before the next one. */
export interface DamageSpec {
  x: number;
  y: number;
  radius: number;
  step: number;
}

/** Parses `X,Y,R@STEP` (the `--damage` flag); null if it is not of that form. */
export function parseDamage(text: string): DamageSpec | null {
  const num = '(-?\\d+(?:\\.\\d+)?)';
  const m = new RegExp(`^${num},${num},${num}@(\\d+)$`).exec(text.replace(/\s+/g, ''));
  if (!m) {
    return null;
  }
  return { x: Number(m[1]), y: Number(m[2]), radius: Number(m[3]), step: Number(m[4]) };
}
