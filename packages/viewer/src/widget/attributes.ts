// The <nca-viewer> attributes, read from strings (pure functions, tested in node).

/** "72" (square) or "96x64"; null for anything else (the model's training size is used). */
export function parseGridSize(text: string | null): { width: number; height: number } | null {
  if (text === null) {
    return null;
  }
  const match = /^\s*(\d+)\s*(?:[x×]\s*(\d+))?\s*$/i.exec(text);
  if (match === null) {
    return null;
  }
  const width = Number(match[1]);
  const height = match[2] === undefined ? width : Number(match[2]);
  return width >= 3 && height >= 3 && width <= 2048 && height <= 2048 ? { width, height } : null;
}

/** A positive number of cells, else the fallback. */
export function parsePositive(text: string | null, fallback: number): number {
  const value = text === null ? NaN : Number(text);
  return Number.isFinite(value) && value > 0 ? value : fallback;
}

/** Boolean attributes are on when present, except for an explicit "false". */
export function parseFlag(text: string | null): boolean {
  return text !== null && text.trim().toLowerCase() !== 'false';
}
