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
