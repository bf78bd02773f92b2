import { describe, expect, it } from 'vitest';
import { configToJson, DEFAULT_CONFIG, parseConfig, parseGridSize, perceptionFilters, TEXTURE_CONFIG } from './config.ts';
import type { NcaConfig } from './config.ts';
import { WeightsFormatError } from './errors.ts';

function configError(json: unknown): WeightsFormatError {
  try {
    parseConfig(json, { source: 'm.safetensors' });
  } catch (error) {
    if (error instanceof WeightsFormatError) {
      return error;
    }
    throw error;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(json)}`);
}

describe('config', () => {
  it('has the defaults of docs/design.md §3 and the regenerating preset', () => {
    expect(DEFAULT_CONFIG).toEqual({
      channels: 16,
      hidden: 128,
      padding: 'zero',
      sobelScale: 0.125,
      angle: 0,
      tanh: false,
      fireRate: 0.5,
      aliveThreshold: 0.1,
      aliveMasking: 'pre-post',
      clampRgba: false,
      laplacian: false,
      clip: null,
      start: 'seed',
      display: 'rgba',
      gridWidth: 72,
      gridHeight: 72,
    });
    expect(Object.isFrozen(DEFAULT_CONFIG)).toBe(true);
  });

  it('has the texture model of the Self-Organising Textures README', () => {
    expect(TEXTURE_CONFIG).toEqual({
      channels: 12,
      hidden: 96,
      padding: 'wrap',
      sobelScale: 0.125,
      angle: 0,
      tanh: false,
      fireRate: 0.5,
      aliveThreshold: 0.1,
      aliveMasking: 'none',
      clampRgba: false,
      laplacian: true,
      clip: 2,
      start: 'zeros',
      display: 'rgb-signed',
      gridWidth: 128,
      gridHeight: 128,
    });
    expect(parseConfig(configToJson(TEXTURE_CONFIG))).toEqual(TEXTURE_CONFIG);
    expect(perceptionFilters(TEXTURE_CONFIG)).toBe(4);
    expect(perceptionFilters(DEFAULT_CONFIG)).toBe(3);
  });

  it('stores snake_case keys in a fixed order', () => {
    expect(JSON.stringify(configToJson(DEFAULT_CONFIG))).toBe(
      '{"channels":16,"hidden":128,"padding":"zero","sobel_scale":0.125,"angle":0,"tanh":false,' +
        '"fire_rate":0.5,"alive_threshold":0.1,"alive_masking":"pre_and_post","clamp_rgba":false,' +
        '"laplacian":false,"clip":null,"start":"seed","display":"rgba","grid_width":72,"grid_height":72}',
    );
  });

  it('round-trips a config with every field changed', () => {
    const notebook: NcaConfig = {
      channels: 12,
      hidden: 96,
      padding: 'reflect',
      sobelScale: 1,
      angle: 0.75,
      tanh: true,
      fireRate: 0.75,
      aliveThreshold: 0,
      aliveMasking: 'post',
      clampRgba: true,
      laplacian: true,
      clip: 1.5,
      start: 'seed',
      display: 'rgb-signed',
      gridWidth: 64,
      gridHeight: 48,
    };
    expect(parseConfig(JSON.parse(JSON.stringify(configToJson(notebook))))).toEqual(notebook);
  });

  it('fills missing fields with defaults', () => {
    expect(parseConfig({})).toEqual(DEFAULT_CONFIG);
    expect(parseConfig({ channels: 8, alive_masking: 'post' })).toEqual({ ...DEFAULT_CONFIG, channels: 8, aliveMasking: 'post' });
  });

  it.each([
    ['channels', 3, /config\.channels must be an integer in 4\.\.64, got 3/],
    ['channels', 16.5, /config\.channels must be an integer/],
    ['channels', '16', /config\.channels must be an integer in 4\.\.64, got "16"/],
    ['hidden', 0, /config\.hidden must be an integer in 1\.\.1024/],
    ['hidden', 1025, /config\.hidden/],
    ['padding', 'mirror', /config\.padding must be one of "zero", "wrap", "reflect", got "mirror"/],
    ['sobel_scale', 0, /config\.sobel_scale must be a finite number > 0/],
    ['sobel_scale', null, /config\.sobel_scale/],
    ['angle', 'pi', /config\.angle must be a finite number/],
    ['tanh', 1, /config\.tanh must be true or false, got 1/],
    ['fire_rate', 3, /config\.fire_rate must be a number in \[0, 1\], got 3/],
    ['fire_rate', -0.1, /config\.fire_rate/],
    ['alive_threshold', 1.5, /config\.alive_threshold must be a number in \[0, 1\]/],
    ['alive_masking', 'pre-post', /config\.alive_masking must be one of "pre_and_post", "post", "none"/],
    ['laplacian', 1, /config\.laplacian must be true or false/],
    ['clip', 0, /config\.clip must be null or a finite number > 0, got 0/],
    ['clip', 'inf', /config\.clip/],
    ['start', 'zero', /config\.start must be one of "seed", "zeros", got "zero"/],
    ['display', 'rgb-signed', /config\.display must be one of "rgba", "rgb_signed"/],
    ['clamp_rgba', 'yes', /config\.clamp_rgba/],
    ['grid_width', 2, /config\.grid_width must be an integer in 3\.\.2048/],
    ['grid_height', 4096, /config\.grid_height/],
  ])('refuses %s = %j', (key, value, message) => {
    const error = configError({ [key]: value });
    expect(error.code).toBe('BAD_CONFIG');
    expect(error.message).toMatch(/^m\.safetensors: /);
    expect(error.message).toMatch(message);
  });

  it('refuses an all-zero start under an alive mask: nothing would ever live', () => {
    expect(configError({ start: 'zeros' }).message).toMatch(/config\.start "zeros" needs alive_masking "none"/);
    expect(parseConfig({ start: 'zeros', alive_masking: 'none' }).start).toBe('zeros');
  });

  it('refuses unknown keys, so a misspelt field does not silently fall back to its default', () => {
    expect(configError({ fireRate: 0.2 }).message).toMatch(/unknown field 'fireRate'/);
  });

  it('refuses a config that is not an object', () => {
    expect(configError([1, 2]).message).toMatch(/config must be a JSON object, got an array/);
    expect(configError(null).code).toBe('BAD_CONFIG');
    expect(configError('x').code).toBe('BAD_CONFIG');
  });
});

describe('parseGridSize', () => {
  it('reads W x H, a square, and refuses sides outside 3..2048', () => {
    expect(parseGridSize('72')).toEqual({ width: 72, height: 72 });
    expect(parseGridSize(' 96x64 ')).toEqual({ width: 96, height: 64 });
    expect(parseGridSize('96×64')).toEqual({ width: 96, height: 64 });
    expect(parseGridSize('144X96')).toEqual({ width: 144, height: 96 });
    expect(parseGridSize('2')).toBeNull();
    expect(parseGridSize('2049x10')).toBeNull();
    expect(parseGridSize('big')).toBeNull();
    expect(parseGridSize('12x')).toBeNull();
  });
});
