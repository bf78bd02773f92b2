// The <nca-viewer> attributes, read from strings (pure functions, tested in node).
/** A positive number of cells, else the fallback. */
export function parsePositive(text: string | null, fallback: number): number {
  const value = text === null ? NaN : Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Boolean attributes are on when present, except for an explicit "false". */
export function parseFlag(text: string | null): boolean {
  return text !== null && text.trim().toLowerCase() !== 'false';
}

/** One of `choices`, case-insensitive, else the first (the default), as <img loading> reads an unknown value. */
function parseChoice<T extends string>(text: string | null, choices: readonly [T, ...T[]]): T {
  const value = text?.trim().toLowerCase();
  return choices.find((choice) => choice === value) ?? choices[0];
}

/** `start`: the grown pattern at first paint (default), or the seed. */
export const parseStart = (text: string | null): 'grown' | 'seed' => parseChoice(text, ['grown', 'seed']);

/** `loading`: as on <img>, eager by default. */
export const parseLoading = (text: string | null): 'eager' | 'lazy' => parseChoice(text, ['eager', 'lazy']);

/** `render`: crisp cells (default) or a smooth upscale. */
export const parseRender = (text: string | null): 'pixelated' | 'smooth' => parseChoice(text, ['pixelated', 'smooth']);

/** `autoplay`: off, on (held still under prefers-reduced-motion), or "always" (plays whatever the visitor asked). */
export function parseAutoplay(text: string | null): 'off' | 'on' | 'always' {
  if (!parseFlag(text)) {
    return 'off';
  }
  return text?.trim().toLowerCase() === 'always' ? 'always' : 'on';
}

/** The most cells a `cell-size` grid may hold on a side (the viewer's grid limit). */
export const CELL_GRID_MAX = 2048;

/** `cell-size`: CSS pixels per cell, a whole number from 1 to 64; null where absent or anything else. */
export function parseCellSize(text: string | null): number | null {
  if (text === null || !/^\s*\d+\s*$/.test(text)) {
    return null;
  }
  const value = Number(text);
  return value >= 1 && value <= 64 ? value : null;
}

/** The grid a box of `width` x `height` CSS pixels holds at `cellSize` pixels a cell (3 to CELL_GRID_MAX a side). */
export function cellGrid(width: number, height: number, cellSize: number): { width: number; height: number } {
  const side = (pixels: number): number => Math.min(CELL_GRID_MAX, Math.max(3, Math.floor(pixels / cellSize)));
  return { width: side(width), height: side(height) };
}
