import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parameterCount, readModel, type NcaModel } from '@nca-studio/weights-format';
import { decodeCheckpoint, isCheckpointFile, type Checkpoint } from '@nca-studio/weights-format';
import { CHECKPOINT_FILE } from '../training/checkpoint.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import type { CommandIo } from './io.ts';
import { describeLength } from '../training/length.ts';

export interface Inspection {
  path: string;
  bytes: number;
  parameters: number;
  model: NcaModel;
}

export interface CheckpointInspection {
  path: string;
  bytes: number;
  parameters: number;
  checkpoint: Checkpoint;
}

/** Reads and validates a weights file (the weights-format errors say what is wrong). */
export async function loadModel(path: string): Promise<{ model: NcaModel; bytes: number }> {
  let data: Buffer;
  try {
    if (!(await stat(path)).isFile()) {
      throw new Error('not a file');
    }
    data = await readFile(path);
  } catch {
    throw new NcaError('BAD_MODEL', `model file not found: ${path}`);
  }
  return { model: readModel(data, { source: path }), bytes: data.length };
}

/**
 * `nca inspect FILE`: a model's config, metadata, parameter count and size; or a checkpoint's
 * (a file, or a run folder holding one) iteration, settings and pool.
 */
export async function inspect(path: string): Promise<Inspection | CheckpointInspection> {
  const info = await stat(path).catch(() => null);
  const file = info?.isDirectory() === true ? join(path, CHECKPOINT_FILE) : path;
  const data = await readFile(file).catch(() => null);
  if (data !== null && isCheckpointFile(data)) {
    const checkpoint = decodeCheckpoint(data, file);
    return { path: file, bytes: data.length, parameters: parameterCount(checkpoint.plan.config), checkpoint };
  }
  const { model, bytes } = await loadModel(path);
  return { path, bytes, parameters: parameterCount(model.config), model };
}

/** What `nca inspect --json` prints. */
export function inspectionJson(info: Inspection | CheckpointInspection): Record<string, unknown> {
  const base = { path: info.path, bytes: info.bytes, parameters: info.parameters };
  if ('checkpoint' in info) {
    const { plan, iteration, losses, seconds, pool } = info.checkpoint;
    return {
      ...base,
      format: 'nca-checkpoint',
      iteration,
      iterations: plan.training.iterations,
      seconds,
      last_loss: losses.at(-1) ?? null,
      pool: pool === null ? 0 : plan.training.pool,
      preset: plan.preset,
      seed: plan.seed,
      target: plan.targetName,
      config: plan.config,
      training: plan.training,
      resumptions: info.checkpoint.resumptions,
    };
  }
  const { model } = info;
  return {
    ...base,
    config: model.config,
    target: model.target ? { ...model.target, data: undefined } : null,
    training: model.training ?? null,
    source: model.source ?? null,
  };
}

function formatCheckpoint(info: CheckpointInspection): string {
  const { plan, iteration, losses, seconds, pool } = info.checkpoint;
  const t = plan.training;
  return [
    `${info.path}`,
    `  checkpoint  iteration ${iteration} of ${describeLength(t)}, ${seconds.toFixed(0)} s of training, last loss ${losses.length > 0 ? losses.at(-1)!.toExponential(3) : '-'}`,
    `  run         ${plan.targetName}, preset ${plan.preset}, seed ${plan.seed}`,
    `  resumed     ${info.checkpoint.resumptions.length === 0 ? 'never' : info.checkpoint.resumptions.map((r) => `at ${r.iteration}${Object.keys(r.changed).length > 0 ? ` (${Object.keys(r.changed).join(', ')})` : ''}`).join('; ')}`,
    `  pool        ${pool === null ? 'none' : `${t.pool} samples of ${plan.config.gridWidth}x${plan.config.gridHeight}`}`,
    `  size        ${info.bytes.toLocaleString('en-US')} bytes`,
    `  parameters  ${info.parameters.toLocaleString('en-US')}`,
    `  settings`,
    ...Object.entries(t).map(([k, v]) => `    ${k.padEnd(15)} ${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`),
    `  config`,
    ...Object.entries(plan.config).map(([k, v]) => `    ${k.padEnd(15)} ${String(v)}`),
  ].join('\n');
}

export function formatInspection(info: Inspection | CheckpointInspection): string {
  if ('checkpoint' in info) {
    return formatCheckpoint(info);
  }
  const { model } = info;
  const lines = [
    `${info.path}`,
    `  size        ${info.bytes.toLocaleString('en-US')} bytes`,
    `  parameters  ${info.parameters.toLocaleString('en-US')}`,
    `  config`,
    ...Object.entries(model.config).map(([k, v]) => `    ${k.padEnd(15)} ${String(v)}`),
  ];
  if (model.target) {
    lines.push(
      `  target        ${model.target.name ?? '(unnamed)'} ${model.target.width}x${model.target.height} (size ${model.target.size ?? '?'}, padding ${model.target.padding ?? '?'})`,
    );
  }
  if (model.training) {
    lines.push(`  training      ${JSON.stringify(model.training)}`);
  }
  if (model.source) {
    lines.push(`  source        ${JSON.stringify(model.source)}`);
  }
  return lines.join('\n');
}

/** `nca inspect FILE [--json]`. */
export async function inspectCommand(path: string, flags: { json?: boolean }, io: CommandIo): Promise<number> {
  const info = await inspect(path);
  io.log(flags.json ? JSON.stringify(inspectionJson(info), null, 2) : formatInspection(info));
  return EXIT_OK;
}
