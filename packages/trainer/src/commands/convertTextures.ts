// `nca convert --from distill-textures models.json DIR`: the texture article's models, one
// weights file each, with the exemplar each was trained on where the demo's sprite sheet is beside
// models.json (../shared/fixtures/distill-textures/README.md describes both files).
import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { DistillFormatError, importDistillTextures, writeModel } from '@nca-studio/weights-format';
import type { NcaModel, NcaTarget, WeightsDType } from '@nca-studio/weights-format';
import { writeFileAtomic } from '../files/atomicWrite.ts';
import { NcaError } from '../errors.ts';
import type { ModelManifest } from './convert.ts';

/** The published models.json is 446 KB; far larger is not one. */
const MAX_MODELS_BYTES = 16 * 2 ** 20;
const MAX_SHEET_BYTES = 32 * 2 ** 20;

export const DISTILL_TEXTURES_TITLE = 'Distill texture models';
export const DISTILL_TEXTURES_MANIFEST_CREDIT =
  'Niklasson, Mordvintsev, Randazzo, Levin, "Self-Organising Textures", Distill, 2021 (https://distill.pub/selforg/2021/textures), CC BY 4.0';

/** The sheet of exemplars beside models.json: its file and the cell grid (exemplars.json). */
interface SheetIndex {
  sheet: string;
  columns: number;
  cellWidth: number;
  cellHeight: number;
}

async function readBounded(path: string, limit: number, what: string): Promise<Buffer> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new NcaError('BAD_DISTILL_FILE', `input file not found: ${path}`);
  }
  if (!info.isFile()) {
    throw new NcaError('BAD_DISTILL_FILE', `input is not a file: ${path}`);
  }
  if (info.size > limit) {
    throw new NcaError('BAD_DISTILL_FILE', `${path}: ${info.size} bytes is far larger than ${what}`);
  }
  return readFile(path);
}

/** exemplars.json's grid, validated; null where there is no exemplars.json beside models.json. */
async function readSheetIndex(dir: string): Promise<SheetIndex | null> {
  const path = join(dir, 'exemplars.json');
  let text: string;
  try {
    text = (await readBounded(path, 1 << 20, 'an exemplar index')).toString('utf8');
  } catch (error) {
    if (error instanceof NcaError && error.message.startsWith('input file not found')) {
      return null;
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NcaError('BAD_DISTILL_FILE', `${path}: not JSON`);
  }
  const { sheet, grid } = (json ?? {}) as { sheet?: unknown; grid?: Record<string, unknown> };
  const count = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0 && v <= 4096;
  if (typeof sheet !== 'string' || !/^[\w.-]+$/.test(sheet) || !count(grid?.['columns']) || !count(grid?.['cell_width']) || !count(grid?.['cell_height'])) {
    throw new NcaError('BAD_DISTILL_FILE', `${path}: expected "sheet" (a file name) and "grid" {columns, cell_width, cell_height}`);
  }
  return { sheet, columns: grid['columns'] as number, cellWidth: grid['cell_width'] as number, cellHeight: grid['cell_height'] as number };
}

/** Model i's exemplar: cell (i mod columns, i div columns) of the sheet, opaque RGBA. */
async function exemplars(dir: string, index: SheetIndex, count: number): Promise<NcaTarget[]> {
  const path = join(dir, index.sheet);
  const bytes = await readBounded(path, MAX_SHEET_BYTES, 'a sprite sheet');
  let image: { data: Buffer; info: { width: number; height: number } };
  try {
    image = await sharp(bytes).removeAlpha().ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw new NcaError('BAD_DISTILL_FILE', `${path}: not a picture sharp reads (${error instanceof Error ? error.message : String(error)})`);
  }
  const { width, height } = image.info;
  const rows = Math.ceil(count / index.columns);
  if (width < index.columns * index.cellWidth || height < rows * index.cellHeight) {
    throw new NcaError(
      'BAD_DISTILL_FILE',
      `${path} is ${width}x${height}, too small for ${count} cells of ${index.cellWidth}x${index.cellHeight} in ${index.columns} columns`,
    );
  }
  return Array.from({ length: count }, (_, i) => {
    const [x0, y0] = [(i % index.columns) * index.cellWidth, Math.floor(i / index.columns) * index.cellHeight];
    const data = new Uint8Array(index.cellWidth * index.cellHeight * 4);
    for (let y = 0; y < index.cellHeight; y++) {
      const from = ((y0 + y) * width + x0) * 4;
      data.set(image.data.subarray(from, from + index.cellWidth * 4), y * index.cellWidth * 4);
    }
    return { width: index.cellWidth, height: index.cellHeight, data };
  });
}

export interface TextureConversion {
  manifest: ModelManifest;
  /** Whether each file carries its exemplar as the model's target. */
  withExemplars: boolean;
}

/**
 * Writes `<name>.safetensors` for every model of `models.json` into `outputDir`, and `index.json`
 * listing them in the file's order. Refuses a file of another shape before writing anything.
 */
export async function convertTextures(
  request: { input: string; outputDir: string; dtype: WeightsDType },
  io: { log: (line: string) => void } = { log: () => {} },
): Promise<TextureConversion> {
  const text = (await readBounded(request.input, MAX_MODELS_BYTES, 'the texture models file (about 446 KB)')).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new NcaError('BAD_DISTILL_FILE', `${request.input}: not a Distill texture models file: the file is not JSON`);
  }
  let models: { name: string; model: NcaModel }[];
  try {
    models = importDistillTextures(json, { source: request.input });
  } catch (error) {
    if (error instanceof DistillFormatError) {
      throw new NcaError('BAD_DISTILL_FILE', error.message);
    }
    throw error;
  }
  const dir = dirname(request.input);
  const index = await readSheetIndex(dir);
  const targets = index === null ? null : await exemplars(dir, index, models.length);
  const items: ModelManifest['models'] = [];
  for (const [i, { name, model }] of models.entries()) {
    const withTarget: NcaModel = targets === null ? model : { ...model, target: { ...targets[i]!, name } };
    const file = `${name}.safetensors`;
    const bytes = writeModel(withTarget, { dtype: request.dtype });
    await writeFileAtomic(join(request.outputDir, file), bytes);
    items.push({ id: name, name, file, gridWidth: model.config.gridWidth, gridHeight: model.config.gridHeight });
  }
  const manifest: ModelManifest = { title: DISTILL_TEXTURES_TITLE, credit: DISTILL_TEXTURES_MANIFEST_CREDIT, models: items };
  const indexPath = join(request.outputDir, 'index.json');
  await writeFileAtomic(indexPath, new TextEncoder().encode(JSON.stringify(manifest, null, 2) + '\n'));
  io.log(
    `converted ${models.length} texture models from ${request.input} -> ${request.outputDir}` +
      `${targets === null ? ' (no exemplars.json beside it: no exemplars stored)' : `, each with its exemplar from ${index!.sheet}`}; wrote ${indexPath}`,
  );
  return { manifest, withExemplars: targets !== null };
}
