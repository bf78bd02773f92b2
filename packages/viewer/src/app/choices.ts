// The app's choice lists, computed from the model (pure functions, tested in node).
import type { ViewMode } from '../engine/shaders.ts';

export interface Choice {
  value: string;
  label: string;
}

/** Grid sizes: the training size first (the default), then larger multiples of it. */
const GRID_SCALES = [1, 1.5, 2, 3, 4] as const;

export function gridChoices(trainWidth: number, trainHeight: number, maxSize = 1024): Choice[] {
  const seen = new Set<string>();
  const choices: Choice[] = [];
  for (const scale of GRID_SCALES) {
    const width = Math.round(trainWidth * scale);
    const height = Math.round(trainHeight * scale);
    const value = `${width}x${height}`;
    if (width > maxSize || height > maxSize || seen.has(value)) {
      continue;
    }
    seen.add(value);
    choices.push({ value, label: `${width} × ${height}${scale === 1 ? ' (training size)' : ''}` });
  }
  return choices;
}

/** Colour, alpha, then the hidden channels three at a time (the last triple may overlap). */
export function viewChoices(channels: number): Choice[] {
  const choices: Choice[] = [
    { value: 'colour', label: 'colour' },
    { value: 'alpha', label: 'alpha (channel 3)' },
  ];
  for (let first = 4; first < channels; first += 3) {
    const start = Math.min(first, channels - 3);
    choices.push({ value: `channels:${start}`, label: `hidden ${start}–${start + 2} as RGB` });
  }
  return choices;
}

export function parseViewChoice(value: string): ViewMode {
  if (value === 'alpha') {
    return { kind: 'alpha' };
  }
  const match = /^channels:(\d+)$/.exec(value);
  return match === null ? { kind: 'colour' } : { kind: 'channels', first: Number(match[1]) };
}
