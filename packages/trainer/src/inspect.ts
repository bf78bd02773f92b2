import { readFile, stat } from 'node:fs/promises';
import { parameterCount, readModel, type NcaModel } from '@nca-studio/weights-format';
import { NcaError } from './errors.ts';

export interface Inspection {
  path: string;
  bytes: number;
  parameters: number;
  model: NcaModel;
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

/** `nca inspect MODEL`: config, metadata, parameter count and size. */
export async function inspect(path: string): Promise<Inspection> {
  const { model, bytes } = await loadModel(path);
  return { path, bytes, parameters: parameterCount(model.config), model };
}

export function formatInspection(info: Inspection): string {
  const { model } = info;
  const lines = [
    `${info.path}`,
    `  size        ${info.bytes.toLocaleString('en-US')} bytes`,
    `  parameters  ${info.parameters.toLocaleString('en-US')}`,
    `  config`,
    ...Object.entries(model.config).map(([k, v]) => `    ${k.padEnd(15)} ${String(v)}`),
  ];
  if (model.target) {
    lines.push(`  target        ${model.target.name ?? '(unnamed)'} ${model.target.width}x${model.target.height} (size ${model.target.size ?? '?'}, padding ${model.target.padding ?? '?'})`);
  }
  if (model.training) {
    lines.push(`  training      ${JSON.stringify(model.training)}`);
  }
  if (model.source) {
    lines.push(`  source        ${JSON.stringify(model.source)}`);
  }
  return lines.join('\n');
}
