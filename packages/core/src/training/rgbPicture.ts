// A picture as the texture loss and its evaluation read it: RGB floats, [H, W, 3], row 0 on top.

export interface RgbPicture {
  width: number;
  height: number;
  rgb: Float32Array;
}

/** Averages 2x2 blocks (a trailing odd row or column is dropped): the next scale of a pyramid. */
export function halve(picture: RgbPicture): RgbPicture {
  const width = Math.floor(picture.width / 2);
  const height = Math.floor(picture.height / 2);
  const rgb = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < 3; c++) {
        const at = (yy: number, xx: number): number => picture.rgb[(yy * picture.width + xx) * 3 + c]!;
        rgb[(y * width + x) * 3 + c] = 0.25 * (at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1));
      }
    }
  }
  return { width, height, rgb };
}
