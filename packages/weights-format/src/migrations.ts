// Older weights files are brought up to the current layout on read, one version step at a
// time, at the container level (metadata strings and raw tensors), before anything is validated
// against the current schema. A new format version adds one entry to MIGRATIONS.
import { WeightsFormatError } from './errors.ts';
import type { SafetensorsFile } from './safetensors.ts';

export interface Migration {
  from: number;
  to: number;
  summary: string;
  migrate: (file: SafetensorsFile, source: string | undefined) => SafetensorsFile;
}

/**
 * Version 0, the pre-release layout (prototype files, never published):
 * - `config` had only `channel_n`, `hidden_n`, `fire_rate` and one square `grid_size`; every
 *   other behaviour was fixed (the values pinned below, which were also v1's defaults);
 * - the tensors were named `w1`, `b1`, `w2`, `b2` (same shapes and order as dense1/dense2).
 */
const V0_FIXED = {
  padding: 'zero',
  sobel_scale: 1 / 8,
  angle: 0,
  tanh: false,
  alive_threshold: 0.1,
  alive_masking: 'pre_and_post',
  clamp_rgba: false,
};

const V0_TENSOR_NAMES: Record<string, string> = {
  w1: 'dense1.weight',
  b1: 'dense1.bias',
  w2: 'dense2.weight',
  b2: 'dense2.bias',
};

function v0ToV1(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  let old: unknown;
  try {
    old = JSON.parse(file.metadata['config'] ?? '{}');
  } catch {
    throw new WeightsFormatError('BAD_CONFIG', 'format_version 0 config is not valid JSON', source);
  }
  if (typeof old !== 'object' || old === null || Array.isArray(old)) {
    throw new WeightsFormatError('BAD_CONFIG', 'format_version 0 config must be a JSON object', source);
  }
  const { channel_n, hidden_n, grid_size, ...rest } = old as Record<string, unknown>;
  // Pinned explicitly, not left to v1's defaults: a later change of defaults must not change
  // what an old file means. Unknown v0 keys pass through for parseConfig to refuse by name.
  const config: Record<string, unknown> = {
    ...V0_FIXED,
    ...rest,
    ...(channel_n === undefined ? {} : { channels: channel_n }),
    ...(hidden_n === undefined ? {} : { hidden: hidden_n }),
    ...(grid_size === undefined ? {} : { grid_width: grid_size, grid_height: grid_size }),
  };
  const tensors = Object.fromEntries(Object.entries(file.tensors).map(([name, tensor]) => [V0_TENSOR_NAMES[name] ?? name, tensor]));
  return { metadata: { ...file.metadata, format_version: '1', config: JSON.stringify(config) }, tensors };
}

/** MIGRATIONS[v] takes a file from version v to v + 1. */
export const MIGRATIONS: readonly Migration[] = [
  { from: 0, to: 1, summary: 'v0 config keys (channel_n, hidden_n, grid_size) and tensor names (w1, b1, w2, b2)', migrate: v0ToV1 },
];

/**
 * A file's `format_version`: a non-negative integer string, at most `newest` (VERSION_TOO_NEW
 * names what to upgrade). The weights file and the checkpoint file read theirs alike.
 */
export function parseFormatVersion(raw: string | undefined, newest: number, source: string | undefined, upgrade = '@nca-studio/weights-format'): number {
  if (raw === undefined) {
    throw new WeightsFormatError('BAD_VERSION', `metadata has no format_version (expected an integer string such as "${newest}")`, source);
  }
  if (!/^(0|[1-9][0-9]*)$/.test(raw)) {
    throw new WeightsFormatError('BAD_VERSION', `format_version ${JSON.stringify(raw)} is not a non-negative integer`, source);
  }
  if (raw.length > 9 || Number(raw) > newest) {
    throw new WeightsFormatError('VERSION_TOO_NEW', `format_version ${raw} is newer than this reader supports (${newest}); upgrade ${upgrade}`, source);
  }
  return Number(raw);
}

/** Applies every step of `steps` (steps[v] takes version v to v + 1) from `fromVersion` up to `toVersion`. */
export function migrate(
  file: SafetensorsFile,
  fromVersion: number,
  toVersion: number,
  source?: string,
  steps: readonly Migration[] = MIGRATIONS,
): SafetensorsFile {
  let current = file;
  for (let version = fromVersion; version < toVersion; version++) {
    const step = steps[version];
    if (step === undefined) {
      throw new WeightsFormatError('BAD_VERSION', `no migration from format_version ${version}`, source);
    }
    current = step.migrate(current, source);
  }
  return current;
}
