// GLSL sources of the fused step, generated per model. The state lives in ceil(C/4) RGBA float
// textures: texture g holds channels 4g..4g+3 of cell (x, y) at texel (x, y), row 0 first.
//
// Two passes make one step of docs/design.md §3 (each of core's functions within one of them):
//   update:     perceive (§3.1) -> updateRule (§3.2) -> stochasticUpdate (§3.3), one fragment per
//               cell, all its channels at once through multiple render targets.
//   aliveMask:  the alive masks before and after (§3.4), ANDed, applied; the optional clamp (§3.5).
//               A texture model (no mask, no clamp) skips it: its step is the update pass alone.
// The weights are written into the source as constants: on software renderers (SwiftShader)
// a constant is several times cheaper than a uniform or a texture fetch.
import { perceptionFilters, type Display, type NcaConfig, type Padding } from '@nca-studio/weights-format';
import type { EngineModel } from './engine.ts';

/** Texture groups of 4 channels for C channels. */
export function groupCount(channels: number): number {
  return Math.ceil(channels / 4);
}

/** A float32 value as a GLSL literal that reads back to the same float32 (shortest such). */
export function glslFloat(value: number): string {
  const f = Math.fround(value);
  if (!Number.isFinite(f)) {
    throw new RangeError(`glslFloat: ${value} has no GLSL literal`);
  }
  if (Number.isInteger(f) && Math.abs(f) < 1e9) {
    return `${f < 0 || Object.is(f, -0) ? '-' : ''}${Math.abs(f)}.0`;
  }
  // At most 9 significant digits identify a float32; fewer often do.
  let text = f.toPrecision(9);
  for (let digits = 1; digits < 9; digits++) {
    const candidate = f.toPrecision(digits);
    if (Math.fround(Number(candidate)) === f) {
      text = candidate;
      break;
    }
  }
  const [mantissa = '', exponent] = text.split('e');
  const decimal = mantissa.includes('.') ? mantissa.replace(/0+$/, '').replace(/\.$/, '.0') : `${mantissa}.0`;
  return exponent === undefined ? decimal : `${decimal}e${exponent}`;
}

function vec4(values: readonly number[]): string {
  return `vec4(${values.map(glslFloat).join(', ')})`;
}

const HEADER = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
`;

/** GLSL for `ivec2 cellAt(ivec2 c)` (where a padded neighbour reads) and `bool inside(ivec2 c)`. */
function paddingFunctions(padding: Padding): string {
  switch (padding) {
    case 'zero':
      return `ivec2 cellAt(ivec2 c) { return clamp(c, ivec2(0), size - 1); }
bool inside(ivec2 c) { return all(greaterThanEqual(c, ivec2(0))) && all(lessThan(c, size)); }
`;
    case 'wrap':
      return `ivec2 cellAt(ivec2 c) { return (c + 2 * size) % size; }
bool inside(ivec2 c) { return true; }
`;
    case 'reflect':
      // -1 reads 1 and `size` reads size-2 (no edge repeat), as core's padState does.
      return `ivec2 cellAt(ivec2 c) { c = abs(c); return min(c, 2 * (size - 1) - c); }
bool inside(ivec2 c) { return true; }
`;
  }
}

/** The 3x3 offsets in kernel order: rows y-1, y, y+1; columns x-1, x, x+1. */
const TAPS: readonly (readonly [number, number])[] = [-1, 0, 1].flatMap((dy) => [-1, 0, 1].map((dx) => [dx, dy] as const));

function samplerDeclarations(prefix: string, count: number): string {
  return Array.from({ length: count }, (_, g) => `uniform sampler2D ${prefix}${g};\n`).join('');
}

function outputDeclarations(count: number): string {
  return Array.from({ length: count }, (_, g) => `layout(location = ${g}) out vec4 out${g};\n`).join('');
}

/** A weight block as a GLSL mat4, or null where it is all zeros (skipped). */
function mat4Of(column: (r: number) => readonly number[]): string | null {
  const values: number[] = [];
  for (let r = 0; r < 4; r++) {
    values.push(...column(r));
  }
  return values.every((v) => v === 0) ? null : `mat4(${values.map(glslFloat).join(', ')})`;
}

export interface UpdatePassOptions {
  /** Read the fire mask from a texture (fireMask, red channel) instead of hashing: for tests. */
  fireTexture?: boolean;
}

/**
 * The update pass: perceive -> updateRule -> stochasticUpdate for one cell, writing the
 * updated (not yet masked) state. Uniforms: state0.., rotation (cos, sin), stepIndex, seed,
 * fireRate, and fireMask with `fireTexture`.
 */
export function updatePassSource(model: EngineModel, options: UpdatePassOptions = {}): string {
  const { config, params } = model;
  const c = config.channels;
  const hidden = config.hidden;
  const groups = groupCount(c);
  const inputs = perceptionFilters(config) * groups;
  const hiddenGroups = Math.ceil(hidden / 4);
  const w1 = params.dense1Weight;
  const w2 = params.dense2Weight;
  const s = config.sobelScale;

  const lines: string[] = [];
  const emit = (line: string): void => {
    lines.push(`  ${line}`);
  };

  // Neighbourhood of every group: n{g}_{t}, t in kernel order (4 is the cell itself).
  TAPS.forEach(([dx, dy], t) => {
    emit(`ivec2 c${t} = cellAt(xy + ivec2(${dx}, ${dy})); bool k${t} = inside(xy + ivec2(${dx}, ${dy}));`);
  });
  const fetch = (g: number, t: number): string => `n${g}_${t}`;
  for (let g = 0; g < groups; g++) {
    TAPS.forEach((_, t) => {
      emit(`vec4 ${fetch(g, t)} = k${t} ? texelFetch(state${g}, c${t}, 0) : vec4(0.0);`);
    });
  }
  // perceive: p[g] identity, p[G+g] sobel_x, p[2G+g] sobel_y (filter-major, docs/design.md §3.1).
  for (let g = 0; g < groups; g++) {
    const n = (t: number): string => fetch(g, t);
    emit(`vec4 p${g} = ${n(4)};`);
    emit(`vec4 gx${g} = ((${n(2)} - ${n(0)}) + 2.0 * (${n(5)} - ${n(3)}) + (${n(8)} - ${n(6)})) * ${glslFloat(s)};`);
    emit(`vec4 gy${g} = ((${n(6)} - ${n(0)}) + 2.0 * (${n(7)} - ${n(1)}) + (${n(8)} - ${n(2)})) * ${glslFloat(s)};`);
    emit(`vec4 p${groups + g} = rotation.x * gx${g} - rotation.y * gy${g};`);
    emit(`vec4 p${2 * groups + g} = rotation.y * gx${g} + rotation.x * gy${g};`);
    if (config.laplacian) {
      // docs/design.md §3.6: [[1, 2, 1], [2, -12, 2], [1, 2, 1]] * s, after the three.
      emit(
        `vec4 p${3 * groups + g} = ((${n(0)} + ${n(2)} + ${n(6)} + ${n(8)}) + 2.0 * (${n(1)} + ${n(3)} + ${n(5)} + ${n(7)}) - 12.0 * ${n(4)}) * ${glslFloat(s)};`,
      );
    }
  }
  const bound = config.clip === null ? null : glslFloat(config.clip);
  if (bound !== null) {
    for (let k = 0; k < inputs; k++) {
      emit(`p${k} = clamp(p${k}, -${bound}, ${bound});`);
    }
  }

  // updateRule: h = relu(W1 p + b1), ds = W2 h + b2 (docs/design.md §3.2), four hidden units at a time.
  const w1Column =
    (k: number, j: number) =>
    (r: number): number[] => {
      const filter = Math.floor(k / groups);
      const channel = (k % groups) * 4 + r;
      return [0, 1, 2, 3].map((q) => {
        const unit = 4 * j + q;
        return channel < c && unit < hidden ? w1[(filter * c + channel) * hidden + unit]! : 0;
      });
    };
  const w2Column =
    (j: number, g: number) =>
    (r: number): number[] => {
      const unit = 4 * j + r;
      return [0, 1, 2, 3].map((q) => {
        const channel = 4 * g + q;
        return unit < hidden && channel < c ? w2[unit * c + channel]! : 0;
      });
    };
  const pad4 = (values: ArrayLike<number>, start: number, count: number): number[] => [0, 1, 2, 3].map((q) => (start + q < count ? values[start + q]! : 0));

  for (let g = 0; g < groups; g++) {
    emit(`vec4 ds${g} = ${vec4(pad4(params.dense2Bias, 4 * g, c))};`);
  }
  emit('vec4 h;');
  for (let j = 0; j < hiddenGroups; j++) {
    const out = Array.from({ length: groups }, (_, g) => mat4Of(w2Column(j, g)));
    if (out.every((m) => m === null)) {
      continue;
    }
    const terms = [vec4(pad4(params.dense1Bias, 4 * j, hidden))];
    for (let k = 0; k < inputs; k++) {
      const m = mat4Of(w1Column(k, j));
      if (m !== null) {
        terms.push(`${m} * p${k}`);
      }
    }
    emit(bound === null ? `h = max(${terms.join('\n    + ')}, 0.0);` : `h = clamp(${terms.join('\n    + ')}, 0.0, ${bound});`);
    out.forEach((m, g) => {
      if (m !== null) {
        emit(`ds${g} += ${m} * h;`);
      }
    });
  }
  if (config.tanh) {
    for (let g = 0; g < groups; g++) {
      // GLSL's tanh may compute (e^2x - 1) / (e^2x + 1) and return NaN once e^2x overflows;
      // float32 tanh is exactly +-1 beyond |x| = 9.01, so clamping to 15 changes no value.
      emit(`ds${g} = tanh(clamp(ds${g}, -15.0, 15.0));`);
    }
  }

  if (bound !== null) {
    for (let g = 0; g < groups; g++) {
      emit(`ds${g} = clamp(ds${g}, -${bound}, ${bound});`);
    }
  }

  // stochasticUpdate: the cell applies ds with probability fireRate (docs/design.md §3.3).
  emit(options.fireTexture ? 'float fire = texelFetch(fireMask, xy, 0).r;' : 'float fire = fireDraw(xy) < fireRate ? 1.0 : 0.0;');
  for (let g = 0; g < groups; g++) {
    // The state's clip (§3.6) commutes with the alive mask's select, so it is taken here.
    emit(bound === null ? `out${g} = ${fetch(g, 4)} + ds${g} * fire;` : `out${g} = clamp(${fetch(g, 4)} + ds${g} * fire, -${bound}, ${bound});`);
  }

  return `${HEADER}${samplerDeclarations('state', groups)}${options.fireTexture ? 'uniform sampler2D fireMask;\n' : ''}uniform vec2 rotation;
uniform uint stepIndex;
uniform uint seed;
uniform float fireRate;
${outputDeclarations(groups)}
ivec2 size;
${paddingFunctions(config.padding)}
// A 32-bit integer hash (lowbias32, by Chris Wellons) for one uniform draw per cell and step.
uint mixBits(uint x) {
  x ^= x >> 16; x *= 0x7feb352du;
  x ^= x >> 15; x *= 0x846ca68bu;
  x ^= x >> 16;
  return x;
}

float fireDraw(ivec2 xy) {
  uint h = mixBits(uint(xy.x) ^ mixBits(uint(xy.y) ^ mixBits(stepIndex ^ mixBits(seed))));
  return float(h >> 8) * (1.0 / 16777216.0);
}

void main() {
  size = textureSize(state0, 0);
  ivec2 xy = ivec2(gl_FragCoord.xy);
${lines.join('\n')}
}
`;
}

/**
 * The aliveMask pass: next = updated * alive, alive = 3x3 max of alpha > threshold after the
 * update, ANDed with the same before it (pre-post), then the optional RGBA clamp.
 * Uniforms: before0 (the state before the step, group 0), updated0...
 */
export function aliveMaskSource(config: NcaConfig): string {
  const groups = groupCount(config.channels);
  const max3 = (sampler: string): string => {
    let expression = '';
    TAPS.forEach(([dx, dy], t) => {
      const term = `alphaAt(${sampler}, xy + ivec2(${dx}, ${dy}))`;
      expression = t === 0 ? term : `max(${expression}, ${term})`;
    });
    return expression;
  };
  const threshold = glslFloat(config.aliveThreshold);
  // alive_masking "none" (the texture model): every cell lives; the pass copies (and clamps).
  const lines = [config.aliveMasking === 'none' ? '  float alive = 1.0;' : `  float alive = ${max3('updated0')} > ${threshold} ? 1.0 : 0.0;`];
  if (config.aliveMasking === 'pre-post') {
    lines.push(`  alive *= ${max3('before0')} > ${threshold} ? 1.0 : 0.0;`);
  }
  for (let g = 0; g < groups; g++) {
    // A select, not a product: cells of skipped tiles hold stale values (see tileActivitySource).
    lines.push(`  out${g} = alive > 0.0 ? texelFetch(updated${g}, xy, 0) : vec4(0.0);`);
  }
  if (config.clampRgba) {
    lines.push('  out0 = clamp(out0, 0.0, 1.0);');
  }
  return `${HEADER}uniform sampler2D before0;
${samplerDeclarations('updated', groups)}${outputDeclarations(groups)}
ivec2 size;
${paddingFunctions(config.padding)}
float alphaAt(sampler2D s, ivec2 c) { return inside(c) ? texelFetch(s, cellAt(c), 0).a : 0.0; }

void main() {
  size = textureSize(updated0, 0);
  ivec2 xy = ivec2(gl_FragCoord.xy);
${lines.join('\n')}
}
`;
}

/**
 * Which tiles of TILE x TILE cells the step must compute (pre-post masking only): those with a
 * cell of alpha > threshold within 2 cells (through the padding). Elsewhere every cell is dead
 * before the update and so is each of its neighbours, so the step sets them to 0 whatever
 * their update: the update pass skips them and the aliveMask pass writes their zeros.
 * Output: one texel per tile, red 1 (compute) or 0 (skip). Uniform: state0.
 */
export function tileActivitySource(config: NcaConfig, tile: number): string {
  return `${HEADER}uniform sampler2D state0;
out vec4 compute;

ivec2 size;
${paddingFunctions(config.padding)}
void main() {
  size = textureSize(state0, 0);
  ivec2 first = ivec2(gl_FragCoord.xy) * ${tile} - 2;
  ivec2 last = min(first + ${tile + 3}, size + 1);
  bool any = false;
  for (int y = first.y; y <= last.y; y++) {
    for (int x = first.x; x <= last.x; x++) {
      ivec2 c = ivec2(x, y);
      any = any || (inside(c) && texelFetch(state0, cellAt(c), 0).a > ${glslFloat(config.aliveThreshold)});
    }
  }
  compute = vec4(any ? 1.0 : 0.0);
}
`;
}

/**
 * Edits of the state: mode 0 erases a disc (damageDisc: cells whose distance to `centre` is
 * below `radius`), mode 1 plants a seed at the cell `centre` (seedState: channels 3.. set to 1).
 */
export function paintSource(channels: number): string {
  const groups = groupCount(channels);
  const seed = (g: number): string => vec4([0, 1, 2, 3].map((q) => (4 * g + q >= 3 && 4 * g + q < channels ? 1 : 0)));
  const lines: string[] = [];
  for (let g = 0; g < groups; g++) {
    lines.push(`  vec4 s${g} = texelFetch(source${g}, xy, 0);`);
    lines.push(`  out${g} = mode == 0 ? (erase ? vec4(0.0) : s${g}) : (plant ? ${seed(g)} : s${g});`);
  }
  return `${HEADER}${samplerDeclarations('source', groups)}uniform int mode;
uniform vec2 centre;
uniform float radius;
${outputDeclarations(groups)}
void main() {
  ivec2 xy = ivec2(gl_FragCoord.xy);
  vec2 d = vec2(xy) - centre;
  bool erase = dot(d, d) < radius * radius;
  bool plant = xy == ivec2(centre);
${lines.join('\n')}
}
`;
}

/** View modes of the display pass; `channels` shows three state channels as RGB. */
export type ViewMode = { kind: 'colour' } | { kind: 'alpha' } | { kind: 'channels'; first: number };

/**
 * The display pass: draws the state into the canvas, row 0 at the top, premultiplied alpha.
 * Uniforms: state0.., mode (0 colour, 1 alpha, 2 channels), first, background (straight RGBA),
 * height. The colour of a texture (`rgb-signed`, §3.6) is `clamp(x / 2 + 0.5, 0, 1)`, opaque.
 */
export function displaySource(channels: number, display: Display = 'rgba'): string {
  const groups = groupCount(channels);
  const cases = Array.from({ length: groups }, (_, g) => `  if (group == ${g}) { return texelFetch(state${g}, xy, 0)[c % 4]; }`).join('\n');
  return `${HEADER}${samplerDeclarations('state', groups)}uniform int mode;
uniform int first;
uniform vec4 background;
uniform int height;
out vec4 colour;

float channel(ivec2 xy, int c) {
  if (c >= ${channels}) { return 0.0; }
  int group = c / 4;
${cases}
  return 0.0;
}

void main() {
  ivec2 xy = ivec2(int(gl_FragCoord.x), height - 1 - int(gl_FragCoord.y));
  if (mode == 0 && ${display === 'rgb-signed' ? 'true' : 'false'}) {
    colour = vec4(clamp(texelFetch(state0, xy, 0).rgb * 0.5 + 0.5, 0.0, 1.0), 1.0);
  } else if (mode == 0) {
    // docs/design.md §3: colour over the background is rgb + (1 - clamp(alpha)) * background.
    vec4 cell = texelFetch(state0, xy, 0);
    float a = clamp(cell.a, 0.0, 1.0);
    float outA = a + (1.0 - a) * background.a;
    vec3 rgb = clamp(cell.rgb, 0.0, 1.0) + (1.0 - a) * background.rgb * background.a;
    colour = vec4(min(rgb, vec3(outA)), outA);
  } else if (mode == 1) {
    colour = vec4(vec3(clamp(channel(xy, 3), 0.0, 1.0)), 1.0);
  } else {
    // Hidden channels have no fixed range: 0 shows as mid-grey, +-1 as full or no intensity.
    vec3 v = vec3(channel(xy, first), channel(xy, first + 1), channel(xy, first + 2));
    colour = vec4(clamp(0.5 + 0.5 * v, 0.0, 1.0), 1.0);
  }
}
`;
}
