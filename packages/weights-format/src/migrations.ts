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

/**
 * Version 1, before the texture model: the perception had no Laplacian, nothing was clipped, a run
 * started from one seed, the state was shown as RGBA, and alive_masking had no "none". Its files
 * read with exactly that behaviour; a version 1 file naming a later field or value is refused.
 */
const V1_FIXED = { laplacian: false, clip: null, start: 'seed', display: 'rgba' };

function v1ToV2(file: SafetensorsFile, source: string | undefined): SafetensorsFile {
  let old: unknown;
  try {
    old = JSON.parse(file.metadata['config'] ?? '{}');
  } catch {
    // parseConfig's reader names the problem after the migration; nothing to pin here.
    return { metadata: { ...file.metadata, format_version: '2' }, tensors: file.tensors };
  }
  if (typeof old !== 'object' || old === null || Array.isArray(old)) {
    return { metadata: { ...file.metadata, format_version: '2' }, tensors: file.tensors };
  }
  const stored = old as Record<string, unknown>;
  for (const key of Object.keys(V1_FIXED)) {
    if (Object.hasOwn(stored, key)) {
      throw new WeightsFormatError('BAD_CONFIG', `config has '${key}', a format_version 2 field, in a format_version 1 file`, source);
    }
  }
  if (stored['alive_masking'] === 'none') {
    throw new WeightsFormatError('BAD_CONFIG', `config.alive_masking "none" is format_version 2, in a format_version 1 file`, source);
  }
  return { metadata: { ...file.metadata, format_version: '2', config: JSON.stringify({ ...stored, ...V1_FIXED }) }, tensors: file.tensors };
}

/** MIGRATIONS[v] takes a file from version v to v + 1. */
export const MIGRATIONS: readonly Migration[] = [
  { from: 0, to: 1, summary: 'v0 config keys (channel_n, hidden_n, grid_size) and tensor names (w1, b1, w2, b2)', migrate: v0ToV1 },
  { from: 1, to: 2, summary: 'the texture model: laplacian, clip, start, display, alive_masking "none" (v1 files: none of them)', migrate: v1ToV2 },
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
