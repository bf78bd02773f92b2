import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import {
  DistillFormatError,
  exportNotebook,
  importDistill,
  importNotebook,
  parameterCount,
  readModel,
  readStateDict,
  writeModel,
  writeStateDictSafetensors,
  writeTorchArchive,
} from '@nca-studio/weights-format';
import type { NcaConfig, NcaModel, WeightsDType } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { EXIT_OK, NcaError } from '../errors.ts';
import { CONVERT_FORMATS, type ConvertFormat, type ExportFormat } from './choices.ts';
import type { CommandIo } from './io.ts';
import { loadModel } from './inspect.ts';
import { renderModel } from './render.ts';

/** A state dict of the notebook's model is about 33 KB; larger files are not read whole. */
const MAX_TORCH_BYTES = 64 << 20;

/** The Distill files are about 11 KB; anything far larger is not one, and is not parsed. */
const MAX_DISTILL_BYTES = 1 << 20;

const EXPERIMENTS: Record<string, string> = { ex1: 'growing', ex2: 'persistent', ex3: 'regenerating' };

/**
 * What each published model shows, keyed by the emoji's code point, in the article's order.
 * The planarian was run with its perception rotated by 90 degrees on a 96x64 grid
 * (../shared/fixtures/distill-models/README.md).
 */
const SUBJECTS: ReadonlyArray<{ key: string; label: string; config?: Partial<NcaConfig> }> = [
  { key: '1f98e', label: 'lizard' },
  { key: '1f600', label: 'smiley' },
  { key: '1f4a5', label: 'boom' },
  { key: '1f441', label: 'eye' },
  { key: '1f420', label: 'fish' },
  { key: '1f98b', label: 'butterfly' },
  { key: '1f41e', label: 'ladybug' },
  { key: '1f578', label: 'spider web' },
  { key: '1f968', label: 'pretzel' },
  { key: '1f384', label: 'christmas tree' },
  { key: 'planarian', label: 'planarian', config: { angle: Math.PI / 2, gridWidth: 96, gridHeight: 64 } },
];

/** A Distill model file recognised by its name (`ex3_1f98e.json`, or the original `ex3_🦎.json`). */
export interface DistillEntry {
  /** `ex3_1f98e`. */
  id: string;
  /** `🦎 lizard (regenerating)`. */
  name: string;
  experiment: string;
  /** Settings the original ran it with, beyond the Distill defaults. */
  config: Partial<NcaConfig>;
  /** Position in the article's order, for listings. */
  order: number;
}

/** Recognises a published Distill model by its file name; null for any other name. */
export function distillEntry(fileName: string): DistillEntry | null {
  const m = /^(ex[123])_(.+?)(?:\.json)?$/i.exec(basename(fileName));
  if (!m) {
    return null;
  }
  const prefix = m[1]!.toLowerCase();
  const rest = m[2]!;
  const key = /^[0-9a-f]+$|^planarian$/i.test(rest) ? rest.toLowerCase() : (rest.codePointAt(0)?.toString(16) ?? '');
  const index = SUBJECTS.findIndex((s) => s.key === key);
  const subject = SUBJECTS[index];
  if (subject === undefined) {
    return null;
  }
  const experiment = EXPERIMENTS[prefix]!;
  const emoji = key === 'planarian' ? '' : `${String.fromCodePoint(parseInt(key, 16))} `;
  return {
    id: `${prefix}_${key}`,
    name: `${emoji}${subject.label} (${experiment})`,
    experiment,
    config: { ...subject.config },
    order: (3 - Number(prefix[2])) * SUBJECTS.length + index,
  };
}

/**
 * Reads a Distill model file into an NcaModel: the original behaviour, plus the settings the
 * article ran that model with when the file name is one of the published ones.
 */
export async function readDistillFile(path: string): Promise<{ model: NcaModel; entry: DistillEntry | null }> {
  let text: string;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      throw new NcaError('BAD_DISTILL_FILE', `input is not a file: ${path}`);
    }
    if (info.size > MAX_DISTILL_BYTES) {
      throw new NcaError('BAD_DISTILL_FILE', `${path}: not a Distill model: ${info.size} bytes, the published ones are about 11 KB`);
    }
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof NcaError) {
      throw error;
    }
    throw new NcaError('BAD_DISTILL_FILE', `input file not found: ${path}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NcaError('BAD_DISTILL_FILE', `${path}: not a Distill model: the file is not JSON`);
  }
  const entry = distillEntry(path);
  let model: NcaModel;
  try {
    model = importDistill(json, { source: path, ...(entry === null ? {} : { name: entry.name }) });
  } catch (error) {
    if (error instanceof DistillFormatError) {
      throw new NcaError('BAD_DISTILL_FILE', error.message);
    }
    throw error;
  }
  if (entry !== null) {
    model.config = { ...model.config, ...entry.config };
    model.source = { ...model.source, id: entry.id, experiment: entry.experiment };
  }
  return { model, entry };
}

/**
 * Reads a PyTorch state dict of the notebook's model (`torch.save` archive or safetensors) into
 * our model; weights-format's errors say what is wrong with the file.
 */
async function readTorchFile(path: string): Promise<NcaModel> {
  let bytes: Buffer;
  try {
    const info = await stat(path);
    if (!info.isFile()) {
      throw new NcaError('BAD_MODEL', `input is not a file: ${path}`);
    }
    if (info.size > MAX_TORCH_BYTES) {
      throw new NcaError('BAD_MODEL', `${path}: ${info.size} bytes is far larger than a state dict of the notebook's model (about 33 KB)`);
    }
    bytes = await readFile(path);
  } catch (error) {
    if (error instanceof NcaError) {
      throw error;
    }
    throw new NcaError('BAD_MODEL', `input file not found: ${path}`);
  }
  return importNotebook(readStateDict(bytes, path), { source: path, name: basename(path) });
}

export interface ConvertRequest {
  from: ConvertFormat;
  input: string;
  output: string;
  /** Storage type of the written weights; default float32 (the dequantized values exactly). */
  dtype?: WeightsDType;
}

export interface ConvertSummary {
  input: string;
  output: string;
  bytes: number;
  model: NcaModel;
  entry: DistillEntry | null;
}

/** `nca convert --from distill IN.json OUT.safetensors`, `nca convert --from torch IN.pt OUT.safetensors`. */
export async function convert(request: ConvertRequest): Promise<ConvertSummary> {
  if (!CONVERT_FORMATS.includes(request.from)) {
    throw new NcaError('BAD_FLAG', `--from ${JSON.stringify(request.from)}: the formats are ${CONVERT_FORMATS.join(', ')}`);
  }
  if (request.from === 'distill-textures') {
    throw new NcaError('BAD_FLAG', '--from distill-textures converts a models.json into a folder (nca convert --from distill-textures models.json DIR)');
  }
  const { model, entry } = request.from === 'torch' ? { model: await readTorchFile(request.input), entry: null } : await readDistillFile(request.input);
  const bytes = writeModel(model, { dtype: request.dtype ?? 'float32' });
  await writeFileAtomic(request.output, bytes);
  return { input: request.input, output: request.output, bytes: bytes.length, model, entry };
}

export interface ExportRequest {
  to: ExportFormat;
  model: string;
  /** `.pt` (a torch.save archive) or `.safetensors` (a safetensors state dict). */
  output: string;
}

/** `nca convert --to torch MODEL OUT.pt|OUT.safetensors`: the notebook's state dict of our model. */
export async function exportModel(request: ExportRequest): Promise<{ output: string; bytes: number }> {
  const kind = /\.pt$|\.pth$/i.test(request.output) ? 'pt' : /\.safetensors$/i.test(request.output) ? 'safetensors' : null;
  if (kind === null) {
    throw new NcaError('BAD_FLAG', `--to torch writes OUT.pt (torch.save) or OUT.safetensors, got ${request.output}`);
  }
  const { model } = await loadModel(request.model);
  const dict = exportNotebook(model, { source: request.model });
  const bytes = kind === 'pt' ? writeTorchArchive(dict, 'archive') : writeStateDictSafetensors(dict, { format: 'pt' });
  await writeFileAtomic(request.output, bytes);
  return { output: request.output, bytes: bytes.length };
}

export function formatConversion(summary: ConvertSummary): string {
  const { config } = summary.model;
  const what = summary.entry === null ? '' : ` (${summary.entry.id}: ${summary.entry.name})`;
  const angle = config.angle === 0 ? '' : `, angle ${config.angle.toFixed(4)} rad`;
  return (
    `converted ${summary.input}${what} -> ${summary.output}: ${config.gridWidth}x${config.gridHeight} grid${angle}, ` +
    `${parameterCount(config).toLocaleString('en-US')} parameters, ${summary.bytes.toLocaleString('en-US')} bytes`
  );
}

/** The manifest a viewer reads to list a folder of converted models. */
export interface ModelManifest {
  title: string;
  credit: string;
  models: Array<{ id: string; name: string; file: string; gridWidth: number; gridHeight: number }>;
}

export const DISTILL_MANIFEST_TITLE = 'Distill reference models';

/**
 * `nca convert --from distill --all IN_DIR OUT_DIR`: converts every `*.json` of a folder to
 * `<id>.safetensors` and writes `index.json`, listing them in the article's order.
 */
export async function convertFolder(
  request: Omit<ConvertRequest, 'input' | 'output'> & { inputDir: string; outputDir: string },
  io: { log: (line: string) => void } = { log: () => {} },
): Promise<ModelManifest> {
  let names: string[];
  try {
    names = (await readdir(request.inputDir)).filter((n) => n.toLowerCase().endsWith('.json')).sort();
  } catch {
    throw new NcaError('BAD_DISTILL_FILE', `input folder not found: ${request.inputDir}`);
  }
  if (names.length === 0) {
    throw new NcaError('BAD_DISTILL_FILE', `no *.json files in ${request.inputDir}`);
  }
  const converted: Array<{ order: number; item: ModelManifest['models'][number] }> = [];
  for (const name of names) {
    const id = distillEntry(name)?.id ?? name.replace(/\.json$/i, '');
    const file = `${id}.safetensors`;
    const summary = await convert({ ...request, input: join(request.inputDir, name), output: join(request.outputDir, file) });
    io.log(formatConversion(summary));
    const { config } = summary.model;
    converted.push({
      order: summary.entry?.order ?? Number.MAX_SAFE_INTEGER,
      item: { id, name: summary.entry?.name ?? id, file, gridWidth: config.gridWidth, gridHeight: config.gridHeight },
    });
  }
  converted.sort((a, b) => a.order - b.order || a.item.id.localeCompare(b.item.id));
  const manifest: ModelManifest = {
    title: DISTILL_MANIFEST_TITLE,
    credit: 'Mordvintsev et al., "Growing Neural Cellular Automata", Distill, 2020 (https://distill.pub/2020/growing-ca), CC BY 4.0',
    models: converted.map((c) => c.item),
  };
  const index = join(request.outputDir, 'index.json');
  await writeFileAtomic(index, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
  io.log(`wrote ${index} (${manifest.models.length} models)`);
  return manifest;
}

/** The forms `--quantize` names (docs/design.md §5): 8-bit with a scale and offset per tensor, half floats, or float32. */
export const QUANTIZE_FORMS = { u8: 'uint8', f16: 'float16', f32: 'float32' } as const satisfies Record<string, WeightsDType>;
export type QuantizeForm = keyof typeof QUANTIZE_FORMS;

/** Steps from the seed after which a smaller form's state is compared with float32's (the Distill demo runs 8-bit weights). */
export const QUANTIZE_CHECK_STEPS = 200;

export interface Quantization {
  input: string;
  output: string;
  form: QuantizeForm;
  bytesBefore: number;
  bytesAfter: number;
  /** After QUANTIZE_CHECK_STEPS steps from its start (a seed, or a texture's zeros) (same fire draws): the largest and the mean absolute difference of the state, and of RGBA alone. */
  maxDifference: number;
  meanDifference: number;
  maxRgbaDifference: number;
}

/**
 * `nca convert MODEL OUT --quantize u8|f16`: the same model in a smaller form, checked by running
 * both from the seed on the kernel with the same fire draws: what the smaller weights change in
 * what a viewer shows is printed, not guessed.
 */
export async function quantize(request: { input: string; output: string; form: QuantizeForm }): Promise<Quantization> {
  const { model, bytes: bytesBefore } = await loadModel(request.input);
  const bytes = writeModel(model, { dtype: QUANTIZE_FORMS[request.form] });
  const smaller = readModel(bytes, { source: request.output });
  const options = { steps: QUANTIZE_CHECK_STEPS, seed: 1 };
  const [reference, candidate] = [await renderModel(model, options), await renderModel(smaller, options)];
  let maxDifference = 0;
  let sum = 0;
  let maxRgbaDifference = 0;
  const channels = model.config.channels;
  reference.state.forEach((value, i) => {
    const difference = Math.abs(value - candidate.state[i]!);
    maxDifference = Math.max(maxDifference, difference);
    sum += difference;
    if (i % channels < 4) {
      maxRgbaDifference = Math.max(maxRgbaDifference, difference);
    }
  });
  await writeFileAtomic(request.output, bytes);
  return {
    input: request.input,
    output: request.output,
    form: request.form,
    bytesBefore,
    bytesAfter: bytes.length,
    maxDifference,
    meanDifference: sum / reference.state.length,
    maxRgbaDifference,
  };
}

export function formatQuantization(q: Quantization): string {
  const n = (value: number): string => value.toLocaleString('en-US');
  return (
    `wrote ${q.output} (${q.form}): ${n(q.bytesBefore)} -> ${n(q.bytesAfter)} bytes; after ${QUANTIZE_CHECK_STEPS} steps from its start ` +
    `its state differs from ${q.input}'s by at most ${q.maxDifference.toExponential(1)} (RGBA ${q.maxRgbaDifference.toExponential(1)}, ` +
    `mean ${q.meanDifference.toExponential(1)})`
  );
}

/** `nca convert`'s flags, as the CLI parses them. */
export interface ConvertFlags {
  from?: ConvertFormat;
  to?: ExportFormat;
  all?: boolean;
  /** The written weights' form; default f32 (an import's values exactly). */
  quantize?: QuantizeForm;
}

/** `nca convert IN OUT`: --from distill|torch into our format (--all: a folder), or --to torch out of it. */
export async function convertCommand(input: string, output: string, flags: ConvertFlags, io: CommandIo): Promise<number> {
  const dtype = QUANTIZE_FORMS[flags.quantize ?? 'f32'];
  if (flags.to !== undefined) {
    if (flags.quantize !== undefined) {
      throw new NcaError('BAD_FLAG', "--quantize writes our weights file; --to torch writes the notebook's float32 state dict");
    }
    const written = await exportModel({ to: flags.to, model: input, output });
    io.log(`exported ${input} -> ${written.output}: the notebook's state dict, ${written.bytes.toLocaleString('en-US')} bytes`);
  } else if (flags.from === undefined) {
    if (flags.quantize === undefined) {
      throw new NcaError(
        'BAD_FLAG',
        'give --from distill|torch (import into our format), --to torch (export from it) or --quantize u8|f16 (a smaller form of our model)',
      );
    }
    if (flags.all) {
      throw new NcaError('BAD_FLAG', '--all converts a folder of Distill models (--from distill)');
    }
    io.log(formatQuantization(await quantize({ input, output, form: flags.quantize })));
  } else if (flags.from === 'distill-textures') {
    if (flags.all) {
      throw new NcaError('BAD_FLAG', '--from distill-textures reads one models.json, which holds every model; drop --all');
    }
    await (await import('./convertTextures.ts')).convertTextures({ input, outputDir: output, dtype }, io);
  } else if (flags.all) {
    if (flags.from !== 'distill') {
      throw new NcaError('BAD_FLAG', '--all converts a folder of Distill models (--from distill)');
    }
    await convertFolder({ from: flags.from, dtype, inputDir: input, outputDir: output }, io);
  } else {
    io.log(formatConversion(await convert({ from: flags.from, dtype, input, output })));
  }
  return EXIT_OK;
}
