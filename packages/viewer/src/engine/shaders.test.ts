import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import type { NcaConfig, NcaParams } from '@nca-studio/weights-format';
import { aliveMaskSource, displaySource, glslFloat, groupCount, paintSource, tileActivitySource, updatePassSource } from './shaders.ts';

function model(config: Partial<NcaConfig>, fill: (name: keyof NcaParams, i: number) => number): { config: NcaConfig; params: NcaParams } {
  const c: NcaConfig = { ...DEFAULT_CONFIG, ...config };
  const sizes: Record<keyof NcaParams, number> = {
    dense1Weight: 3 * c.channels * c.hidden,
    dense1Bias: c.hidden,
    dense2Weight: c.hidden * c.channels,
    dense2Bias: c.channels,
  };
  const params = Object.fromEntries(
    (Object.keys(sizes) as (keyof NcaParams)[]).map((name) => [name, Float32Array.from({ length: sizes[name] }, (_, i) => fill(name, i))]),
  ) as unknown as NcaParams;
  return { config: c, params };
}

/** The numbers of every `mat4(...)` literal, in source order. */
function mat4s(source: string): number[][] {
  return [...source.matchAll(/mat4\(([^)]*)\)/g)].map((m) => m[1]!.split(',').map(Number));
}

describe('glslFloat', () => {
  it('writes literals that read back to the same float32', () => {
    const values = [0, 1, -1, 0.125, 1 / 3, -2.5e-7, 1e-30, 3.4e38, 123456789, 0.1, Math.PI];
    for (let i = 0; i < 200; i++) {
      values.push(((Math.sin(i * 12.9898) * 43758.5453) % 1) * 10 ** ((i % 9) - 4));
    }
    for (const value of values) {
      const literal = glslFloat(value);
      expect(literal).toMatch(/^-?\d+\.\d+(e[+-]?\d+)?$/);
      expect(Math.fround(Number(literal))).toBe(Math.fround(value));
    }
  });

  it('keeps short values short', () => {
    expect(glslFloat(0.125)).toBe('0.125');
    expect(glslFloat(2)).toBe('2.0');
    expect(glslFloat(-0)).toBe('-0.0');
    expect(glslFloat(1e-10)).toBe('1.0e-10');
    expect(glslFloat(-3)).toBe('-3.0');
    expect(glslFloat(0.1)).toBe('0.1');
  });
});

describe('updatePassSource', () => {
  it('lays dense1 out as mat4 blocks: column r is input 4k+r, row q is hidden unit 4j+q', () => {
    // channels 4, hidden 8: inputs 12 (3 vec4), hidden 2 vec4; w1[i * 8 + u] = 100 i + u.
    const m = model({ channels: 4, hidden: 8 }, (name, i) => (name === 'dense1Weight' ? 100 * Math.floor(i / 8) + (i % 8) : 1));
    const blocks = mat4s(updatePassSource(m));
    // hidden group 0: blocks for inputs k = 0, 1, 2, then the dense2 block; hidden group 1 likewise.
    expect(blocks[0]).toEqual([0, 1, 2, 3, 100, 101, 102, 103, 200, 201, 202, 203, 300, 301, 302, 303]);
    expect(blocks[1]).toEqual([400, 401, 402, 403, 500, 501, 502, 503, 600, 601, 602, 603, 700, 701, 702, 703]);
    expect(blocks[2]![0]).toBe(800);
    expect(blocks[4]).toEqual([4, 5, 6, 7, 104, 105, 106, 107, 204, 205, 206, 207, 304, 305, 306, 307]);
  });

  it('lays dense2 out as mat4 blocks: column r is hidden unit 4j+r, row q is channel 4g+q', () => {
    const m = model({ channels: 8, hidden: 4 }, (name, i) => (name === 'dense2Weight' ? 10 * Math.floor(i / 8) + (i % 8) + 1 : 0.5));
    const source = updatePassSource(m);
    const dense2 = [...source.matchAll(/ds(\d) \+= mat4\(([^)]*)\)/g)].map((match) => [Number(match[1]), ...match[2]!.split(',').map(Number)]);
    expect(dense2).toEqual([
      [0, 1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 31, 32, 33, 34],
      [1, 5, 6, 7, 8, 15, 16, 17, 18, 25, 26, 27, 28, 35, 36, 37, 38],
    ]);
  });

  it('pads channels and hidden units that do not fill a vec4 with zeros', () => {
    const m = model({ channels: 6, hidden: 5 }, () => 1);
    const source = updatePassSource(m);
    expect(groupCount(6)).toBe(2);
    expect(source).toContain('layout(location = 1) out vec4 out1;');
    expect(source).toContain('vec4 ds1 = vec4(1.0, 1.0, 0.0, 0.0);');
    // The second hidden group has one real unit: bias (1, 0, 0, 0).
    expect(source).toContain('h = max(vec4(1.0, 0.0, 0.0, 0.0)');
  });

  it('skips all-zero blocks, so an untrained model (dense2 = 0) computes no hidden layer', () => {
    const untrained = model({}, (name) => (name === 'dense1Weight' ? 0.5 : 0));
    const source = updatePassSource(untrained);
    expect(source).not.toContain('h = max(');
    expect(source).toContain('out0 = n0_4 + ds0 * fire;');
  });

  it('follows the config: Sobel scale, tanh, padding, fire source', () => {
    const m = model({ sobelScale: 1, tanh: true, padding: 'wrap' }, () => 0.1);
    const source = updatePassSource(m, { fireTexture: true });
    expect(source).toContain('* 1.0;');
    expect(source).toContain('ds3 = tanh(clamp(ds3, -15.0, 15.0));');
    expect(source).toContain('return (c + 2 * size) % size;');
    expect(source).toContain('uniform sampler2D fireMask;');
    expect(source).toContain('float fire = texelFetch(fireMask, xy, 0).r;');
    const reflect = updatePassSource(model({ padding: 'reflect' }, () => 0.1));
    expect(reflect).toContain('min(c, 2 * (size - 1) - c)');
    expect(reflect).toContain('float fire = fireDraw(xy) < fireRate ? 1.0 : 0.0;');
  });

  it('orders perception filter-major: identity, then rotated Sobel x and y of every group', () => {
    const source = updatePassSource(model({}, () => 0.1));
    expect(source).toContain('vec4 p0 = n0_4;');
    expect(source).toContain('vec4 p3 = n3_4;');
    expect(source).toContain('vec4 p4 = rotation.x * gx0 - rotation.y * gy0;');
    expect(source).toContain('vec4 p8 = rotation.y * gx0 + rotation.x * gy0;');
    expect(source).toContain('vec4 gx0 = ((n0_2 - n0_0) + 2.0 * (n0_5 - n0_3) + (n0_8 - n0_6)) * 0.125;');
    expect(source).toContain('vec4 gy0 = ((n0_6 - n0_0) + 2.0 * (n0_7 - n0_1) + (n0_8 - n0_2)) * 0.125;');
  });
});

describe('aliveMaskSource and the others', () => {
  it('ANDs the pre-update mask only for pre-post masking, and clamps only when asked', () => {
    const prePost = aliveMaskSource(DEFAULT_CONFIG);
    expect(prePost).toContain('alive *= ');
    expect(prePost).toContain('> 0.1 ?');
    expect(prePost).not.toContain('clamp(out0');
    const post = aliveMaskSource({ ...DEFAULT_CONFIG, aliveMasking: 'post', clampRgba: true, aliveThreshold: 0 });
    expect(post).not.toContain('alive *= ');
    expect(post).toContain('out0 = clamp(out0, 0.0, 1.0);');
    expect(post).toContain('> 0.0 ?');
  });

  it('marks a tile when a cell within 2 cells is mature', () => {
    const source = tileActivitySource(DEFAULT_CONFIG, 8);
    expect(source).toContain('ivec2 first = ivec2(gl_FragCoord.xy) * 8 - 2;');
    expect(source).toContain('ivec2 last = min(first + 11, size + 1);');
  });

  it('plants seeds with channels 3.. set to 1, and draws row 0 at the top', () => {
    expect(paintSource(16)).toContain('vec4(0.0, 0.0, 0.0, 1.0)');
    expect(paintSource(6)).toContain('vec4(1.0, 1.0, 0.0, 0.0)');
    expect(displaySource(16)).toContain('height - 1 - int(gl_FragCoord.y)');
    expect(displaySource(16)).toContain('if (group == 3)');
  });
});
