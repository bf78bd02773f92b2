import type { Rgba } from '../engine/display.ts';

/** Named backgrounds the app offers and the widget's `background` attribute understands. */
export const BACKGROUNDS: Readonly<Record<string, Rgba>> = {
  white: [1, 1, 1, 1],
  black: [0, 0, 0, 1],
  grey: [0.5, 0.5, 0.5, 1],
  transparent: [0, 0, 0, 0],
};

/**
 * A background from a name above or a hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa); null for
 * anything else.
 */
export function parseBackground(text: string | null | undefined): Rgba | null {
  if (text === null || text === undefined) {
    return null;
  }
  const value = text.trim().toLowerCase();
  const named = BACKGROUNDS[value];
  if (named !== undefined) {
    return named;
  }
  const hex = /^#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})$/.exec(value)?.[1];
  if (hex === undefined) {
    return null;
  }
  const digits = hex.length <= 4 ? [...hex].map((d) => d + d) : (hex.match(/../g) ?? []);
  const [r = 0, g = 0, b = 0, a = 255] = digits.map((pair) => parseInt(pair, 16));
  return [r / 255, g / 255, b / 255, a / 255];
}
