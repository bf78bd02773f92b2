import { createRng, eraseDisc, kernelRun, seedArray, sharedKernel, startArray } from '@nca-studio/core/training';
import { type NcaConfig, type NcaParams } from '@nca-studio/weights-format';
import { encodePng, stateToFrame, tile, upscale, type Frame } from '../images/picture.ts';

/** loss.csv: one row per iteration. */
export function lossCsv(losses: readonly number[]): string {
  return ['iteration,loss', ...losses.map((loss, i) => `${i + 1},${loss}`)].join('\n') + '\n';
}

/** A small standalone SVG of the loss on a log scale, with decade grid lines. */
export function lossSvg(losses: readonly number[], title: string): string {
  const width = 640;
  const height = 320;
  const m = { left: 60, right: 16, top: 28, bottom: 36 };
  const finite = losses.filter((l) => Number.isFinite(l) && l > 0);
  const lo = Math.floor(Math.log10(Math.min(...finite, 1)));
  const hi = Math.ceil(Math.log10(Math.max(...finite, 10 ** (lo + 1))));
  const x = (i: number): number => m.left + ((width - m.left - m.right) * i) / Math.max(1, losses.length - 1);
  const y = (v: number): number => m.top + ((height - m.top - m.bottom) * (hi - Math.log10(v))) / Math.max(1, hi - lo);
  const grid: string[] = [];
  for (let d = lo; d <= hi; d++) {
    grid.push(`<line x1="${m.left}" x2="${width - m.right}" y1="${y(10 ** d).toFixed(1)}" y2="${y(10 ** d).toFixed(1)}" stroke="#ddd"/>`);
    grid.push(`<text x="${m.left - 6}" y="${(y(10 ** d) + 4).toFixed(1)}" text-anchor="end" font-size="11">1e${d}</text>`);
  }
  const points = losses
    .map((l, i) => (Number.isFinite(l) && l > 0 ? `${x(i).toFixed(1)},${y(l).toFixed(1)}` : null))
    .filter((p): p is string => p !== null)
    .join(' ');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13">${escapeXml(title)}</text>`,
    ...grid,
    `<polyline fill="none" stroke="#1f6feb" stroke-width="1.2" points="${points}"/>`,
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11">iteration (1..${losses.length})</text>`,
    `<text x="14" y="${height / 2}" text-anchor="middle" font-size="11" transform="rotate(-90 14 ${height / 2})">loss (log)</text>`,
    `</svg>`,
  ].join('\n');
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

const GROWTH_STEPS = [0, 20, 40, 60, 100, 200] as const;

/**
 * growth.png: the model grown from a seed, a frame at each of GROWTH_STEPS; with `regrow`, a
 * second row: the grown pattern with a disc erased at its centre, then regrowing. Run on core's
 * rollout kernel (forward only), as `nca render` and `nca eval` are.
 */
export async function growthStrip(params: NcaParams, config: NcaConfig, options: { regrow: boolean; seed: number; scale?: number }): Promise<Buffer> {
  const kernel = await sharedKernel();
  const rng = createRng(options.seed);
  const grid = { height: config.gridHeight, width: config.gridWidth, channels: config.channels };
  const scale = options.scale ?? 3;
  const frameOf = (state: Float32Array): Frame => upscale(stateToFrame(state, grid.height, grid.width, grid.channels), scale);
  /** Runs from `start` (left alone), a frame at each step count of `at` (ascending). */
  const framesAt = (start: Float32Array, at: readonly number[]): { frames: Frame[]; end: Float32Array } => {
    const frames: Frame[] = [];
    let state = start;
    let t = 0;
    for (const next of at) {
      state = kernelRun(kernel, { config, params }, state, 1, next - t, rng).states;
      t = next;
      frames.push(frameOf(state));
    }
    return { frames, end: state };
  };
  const grown = framesAt(seedArray(grid), GROWTH_STEPS);
  const rows: Frame[][] = [grown.frames];
  if (options.regrow) {
    const damaged = grown.end.slice();
    eraseDisc(damaged, grid, { x: grid.width / 2, y: grid.height / 2, radius: Math.min(grid.width, grid.height) / 5 });
    rows.push(framesAt(damaged, [0, ...GROWTH_STEPS.slice(2)]).frames);
  }
  return encodePng(tile(rows));
}

/** Step counts of texture.png's first row: the texture forming from zeros. */
const FORMING_STEPS = [0, 16, 32, 64, 128, 256, 512] as const;
/** The side of tile.png's grid: larger than the training torus, so a seam or a repeat would show. */
const TILE_SIDE = 256;

/**
 * A texture run's pictures (docs/design.md §4.9), on core's rollout kernel: texture.png, the
 * texture forming from zeros on the training grid at FORMING_STEPS, and below it a scratch (a
 * disc erased at the centre after 512 steps) healing; tile.png, a 256x256 render after 512
 * steps drawn twice by two, so the torus's wrap shows wherever it would break.
 */
export async function textureStrips(params: NcaParams, config: NcaConfig, seed: number): Promise<{ forming: Buffer; tile: Buffer }> {
  const kernel = await sharedKernel();
  const rng = createRng(seed);
  const grid = { height: config.gridHeight, width: config.gridWidth, channels: config.channels };
  const frameOf = (state: Float32Array, g = grid): Frame => upscale(stateToFrame(state, g.height, g.width, g.channels, [1, 1, 1], config.display), 2);
  const framesAt = (start: Float32Array, at: readonly number[], c = config): { frames: Frame[]; end: Float32Array } => {
    const frames: Frame[] = [];
    let state = start;
    let t = 0;
    for (const next of at) {
      state = kernelRun(kernel, { config: c, params }, state, 1, next - t, rng).states;
      t = next;
      frames.push(frameOf(state, { height: c.gridHeight, width: c.gridWidth, channels: c.channels }));
    }
    return { frames, end: state };
  };
  const formed = framesAt(startArray(config, grid), FORMING_STEPS);
  const scratched = formed.end.slice();
  eraseDisc(scratched, grid, { x: grid.width / 2, y: grid.height / 2, radius: Math.min(grid.width, grid.height) / 4 });
  const healing = framesAt(scratched, [0, 8, 16, 32, 64, 128, 256]);
  const large = { ...config, gridWidth: TILE_SIDE, gridHeight: TILE_SIDE };
  const big = kernelRun(kernel, { config: large, params }, startArray(large, { ...grid, width: TILE_SIDE, height: TILE_SIDE }), 1, 512, rng).states;
  const one = stateToFrame(big, TILE_SIDE, TILE_SIDE, config.channels, [1, 1, 1], config.display);
  const twice: Frame = { width: 2 * TILE_SIDE, height: 2 * TILE_SIDE, rgba: new Uint8Array(4 * TILE_SIDE * TILE_SIDE * 4) };
  for (let y = 0; y < 2 * TILE_SIDE; y++) {
    for (let x = 0; x < 2 * TILE_SIDE; x += TILE_SIDE) {
      const from = (y % TILE_SIDE) * TILE_SIDE * 4;
      twice.rgba.set(one.rgba.subarray(from, from + TILE_SIDE * 4), (y * 2 * TILE_SIDE + x) * 4);
    }
  }
  return { forming: await encodePng(tile([formed.frames, healing.frames])), tile: await encodePng(twice) };
}
