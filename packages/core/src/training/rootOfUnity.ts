// cos and sin of 2 pi k / n from +, -, * and / alone. Those are correctly rounded in every
// engine; Math.cos and Math.sin are not: Chromium's V8 and Node's differ in the last bit for some
// angles, and a texture run in the page must reach the CLI's bits (docs/design.md §4.9).

/** cos and sin of (pi / 4) a / n for 0 <= a <= n: Taylor series, exact to a few ulps there. */
function octant(a: number, n: number): [number, number] {
  const t = ((Math.PI / 4) * a) / n;
  const t2 = t * t;
  // Horner in t^2; the 11th terms are below 1e-24 at t = pi / 4.
  let c = 1;
  let s = 1;
  for (let j = 11; j >= 1; j--) {
    c = 1 - (t2 / ((2 * j - 1) * (2 * j))) * c;
    s = 1 - (t2 / (2 * j * (2 * j + 1))) * s;
  }
  return [c, t * s];
}

/** [cos, sin] of 2 pi k / n, for integers k and n > 0; the same bits in every JavaScript engine. */
export function rootOfUnity(k: number, n: number): [number, number] {
  const m = ((k % n) + n) % n;
  // 2 pi m / n = (pi / 4) (q + r / n) with octant q and remainder r, both integers.
  const q = Math.floor((8 * m) / n);
  const r = 8 * m - q * n;
  const [ca, sa] = octant(r, n);
  const [cb, sb] = octant(n - r, n);
  // 0 - x, not -x: a zero stays +0, so the quarter turns are exactly (0, ±1) and (±1, 0).
  switch (q) {
    case 0:
      return [ca, sa];
    case 1:
      return [sb, cb];
    case 2:
      return [0 - sa, ca];
    case 3:
      return [0 - cb, sb];
    case 4:
      return [0 - ca, 0 - sa];
    case 5:
      return [0 - sb, 0 - cb];
    case 6:
      return [sa, 0 - ca];
    default:
      return [cb, 0 - sb];
  }
}
