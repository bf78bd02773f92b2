// IEEE 754 binary16 <-> binary32, bit by bit, so the result does not depend on the platform
// having Float16Array (browsers and Node ship it only recently).

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** Divides `significand` by 2^shift, rounding to nearest, ties to even. */
function shiftRoundEven(significand: number, shift: number): number {
  const kept = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  return rest > half || (rest === half && (kept & 1) === 1) ? kept + 1 : kept;
}

function toHalfBits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) {
    // Infinity keeps its sign; every NaN becomes the quiet NaN.
    return mantissa === 0 ? sign | 0x7c00 : sign | 0x7e00;
  }
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) {
    return sign | 0x7c00;
  }
  if (halfExponent >= 1) {
    // Normal: drop 13 mantissa bits. A carry out of the mantissa bumps the exponent, which is
    // exactly right, up to and including rounding 65520 and above to infinity.
    return sign | shiftRoundEven((halfExponent << 23) | mantissa, 13);
  }
  // Subnormal half: value = significand * 2^(exponent - 150) = q * 2^-24.
  const shift = 126 - exponent;
  if (shift > 24) {
    // Below half of the smallest subnormal (2^-25): rounds to a signed zero.
    return sign;
  }
  return sign | shiftRoundEven(0x800000 | mantissa, shift);
}

function fromHalfBits(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) {
    return sign * mantissa * 2 ** -24;
  }
  if (exponent === 0x1f) {
    return mantissa === 0 ? sign * Infinity : NaN;
  }
  return sign * (1024 + mantissa) * 2 ** (exponent - 25);
}

/** Round to nearest even; overflow gives +-Infinity, NaN gives 0x7e00, tiny values subnormals or +-0. */
export function float32ToFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = toHalfBits(values[i] ?? 0);
  }
  return out;
}

/** Exact: every binary16 value is representable in binary32. */
export function float16ToFloat32(values: Uint16Array): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    out[i] = fromHalfBits(values[i] ?? 0);
  }
  return out;
}

/** bfloat16 is the top half of a float32: widening is a shift, exact for every value. */
export function bfloat16ToFloat32(values: Uint16Array): Float32Array {
  const bits = new Uint32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    bits[i] = values[i]! << 16;
  }
  return new Float32Array(bits.buffer);
}
