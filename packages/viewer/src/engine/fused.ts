import type { Disc } from '@nca-studio/core';
import { parameterCount } from '@nca-studio/weights-format';
import type { Engine, EngineModel, PassTiming, StateTextures, StepOptions } from './engine.ts';
import { bindTextures, createFramebuffer, createProgram, createStateTexture, drawQuad, drawTiles, TILE, TILES_VERTEX } from './gl.ts';
import type { Program } from './gl.ts';
import { onContextChange } from './gpu.ts';
import type { Gpu } from './gpu.ts';
import { aliveMaskSource, groupCount, paintSource, tileActivitySource, updatePassSource } from './shaders.ts';

/** Above this many weights the generated shader gets too long to compile quickly: use core. */
const MAX_FUSED_WEIGHTS = 40_000;

/** Why the fused engine cannot run a model here, or null where it can. */
export function fusedUnsupported(gpu: Gpu, model: EngineModel): string | null {
  const { channels, hidden } = model.config;
  if (groupCount(channels) > gpu.maxDrawBuffers) {
    return `${channels} channels need ${groupCount(channels)} render targets, this device has ${gpu.maxDrawBuffers}`;
  }
  const weights = parameterCount(model.config) - hidden - channels;
  if (weights > MAX_FUSED_WEIGHTS) {
    return `${weights} weights is more than the fused shader takes (${MAX_FUSED_WEIGHTS})`;
  }
  return null;
}

interface Shared {
  program: Program;
  users: number;
}

/** Programs by source: several viewers of the same model compile it once. */
const programs = new WeakMap<WebGL2RenderingContext, Map<string, Shared>>();
onContextChange((change, gl) => {
  if (change === 'lost') {
    programs.delete(gl);
  }
});

function acquire(gl: WebGL2RenderingContext, source: string, uniforms: readonly string[], label: string, vertex?: string): Program {
  let cache = programs.get(gl);
  if (cache === undefined) {
    cache = new Map();
    programs.set(gl, cache);
  }
  const key = `${vertex ?? ''}\n${source}`;
  let entry = cache.get(key);
  if (entry === undefined) {
    entry = { program: createProgram(gl, source, uniforms, label, vertex), users: 0 };
    cache.set(key, entry);
  }
  entry.users++;
  return entry.program;
}

function release(gl: WebGL2RenderingContext, program: Program): void {
  const cache = programs.get(gl);
  if (cache === undefined) {
    return;
  }
  for (const [source, entry] of cache) {
    if (entry.program === program && --entry.users === 0) {
      gl.deleteProgram(program.program);
      cache.delete(source);
    }
  }
}

interface StateSet {
  textures: WebGLTexture[];
  framebuffer: WebGLFramebuffer;
}

const UNIFORMS = ['rotation', 'stepIndex', 'seed', 'fireRate', 'mode', 'centre', 'radius', 'fireMask', 'before0', 'activeTiles', 'gridSize', 'state0'];

function samplerNames(prefix: string, count: number): string[] {
  return Array.from({ length: count }, (_, g) => `${prefix}${g}`);
}

export interface FusedOptions {
  width: number;
  height: number;
  /** Seed of the fire-mask hash. */
  seed?: number;
  /**
   * Compute only the tiles near living cells (pre-post masking; same result, see
   * tileActivitySource). Default true.
   */
  tiles?: boolean;
}

/**
 * The CA as fused WebGL passes (see shaders.ts) on the page's shared context. The state
 * rotates through three texture sets: the state, the updated state, the next state.
 */
export function createFusedEngine(gpu: Gpu, model: EngineModel, options: FusedOptions): Engine {
  const { gl, precision } = gpu;
  const { config } = model;
  const { width, height } = options;
  const channels = config.channels;
  const groups = groupCount(channels);
  const seed = options.seed ?? 1;
  const tiled = (options.tiles ?? true) && config.aliveMasking === 'pre-post';
  const vertex = tiled ? TILES_VERTEX : undefined;

  const label = `fused step (${channels} channels, ${config.hidden} hidden)`;
  const updateUniforms = [...UNIFORMS, ...samplerNames('state', groups)];
  const update = acquire(gl, updatePassSource(model), updateUniforms, label, vertex);
  let updateWithFire: Program | null = null;
  // A texture model (no alive mask, no RGBA clamp) has nothing for the aliveMask pass to do but
  // copy: its step is the update pass alone, straight into the next state.
  const masked = config.aliveMasking !== 'none' || config.clampRgba;
  const alive = masked ? acquire(gl, aliveMaskSource(config), [...UNIFORMS, ...samplerNames('updated', groups)], label, vertex) : null;
  const paint = acquire(gl, paintSource(channels), [...UNIFORMS, ...samplerNames('source', groups)], label);
  const activity = tiled ? acquire(gl, tileActivitySource(config, TILE), UNIFORMS, label) : null;
  const vao = gl.createVertexArray();

  const tilesWide = Math.ceil(width / TILE);
  const tilesHigh = Math.ceil(height / TILE);
  let activeTiles: { texture: WebGLTexture; framebuffer: WebGLFramebuffer } | null = null;
  if (tiled) {
    const texture = gl.createTexture();
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, tilesWide, tilesHigh);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    activeTiles = { texture, framebuffer: createFramebuffer(gl, [texture]) };
  }

  const sets: StateSet[] = [0, 1, 2].map(() => {
    const textures = Array.from({ length: groups }, () => createStateTexture(gl, width, height, precision));
    return { textures, framebuffer: createFramebuffer(gl, textures) };
  });
  let fireTexture: WebGLTexture | null = null;
  let current = 0;
  let stepIndex = 0;
  let disposed = false;

  const setSamplers = (program: Program, prefix: string, count: number, firstUnit: number): void => {
    for (let g = 0; g < count; g++) {
      const location = program.uniforms.get(`${prefix}${g}`);
      if (location !== undefined) {
        gl.uniform1i(location, firstUnit + g);
      }
    }
  };

  const uniform = (program: Program, name: string): WebGLUniformLocation | null => program.uniforms.get(name) ?? null;

  const clear = (set: StateSet): void => {
    gl.bindFramebuffer(gl.FRAMEBUFFER, set.framebuffer);
    gl.scissor(0, 0, width, height);
    for (let g = 0; g < groups; g++) {
      gl.clearBufferfv(gl.COLOR, g, [0, 0, 0, 0]);
    }
  };

  const runUpdatePass = (from: StateSet, to: StateSet, step: StepOptions, fire: boolean): void => {
    const program = fire ? updateWithFire! : update;
    gl.useProgram(program.program);
    setSamplers(program, 'state', groups, 0);
    bindTextures(gl, from.textures, 0);
    if (fire) {
      gl.uniform1i(uniform(program, 'fireMask'), groups);
      bindTextures(gl, [fireTexture!], groups);
    }
    gl.uniform2f(uniform(program, 'rotation'), Math.cos(step.angle), Math.sin(step.angle));
    gl.uniform1ui(uniform(program, 'stepIndex'), stepIndex >>> 0);
    gl.uniform1ui(uniform(program, 'seed'), seed >>> 0);
    gl.uniform1f(uniform(program, 'fireRate'), config.fireRate);
    draw(program, to.framebuffer, groups + (fire ? 1 : 0));
  };

  /** Finds the tiles to compute from the state before the step (tileActivitySource). */
  const runTileActivity = (before: StateSet): void => {
    if (activity === null || activeTiles === null) {
      return;
    }
    gl.useProgram(activity.program);
    gl.uniform1i(uniform(activity, 'state0'), 0);
    bindTextures(gl, [before.textures[0]!], 0);
    drawQuad(gl, activeTiles.framebuffer, tilesWide, tilesHigh, vao);
  };

  /** The full grid, or with tiles the active ones only (the tile texture on texture unit `unit`). */
  const draw = (program: Program, framebuffer: WebGLFramebuffer, unit: number): void => {
    if (activeTiles === null) {
      drawQuad(gl, framebuffer, width, height, vao);
      return;
    }
    gl.uniform1i(uniform(program, 'activeTiles'), unit);
    gl.uniform2i(uniform(program, 'gridSize'), width, height);
    bindTextures(gl, [activeTiles.texture], unit);
    drawTiles(gl, framebuffer, width, height, vao);
  };

  const runAliveMask = (alive: Program, before: StateSet, updated: StateSet, to: StateSet): void => {
    gl.useProgram(alive.program);
    gl.uniform1i(uniform(alive, 'before0'), 0);
    setSamplers(alive, 'updated', groups, 1);
    bindTextures(gl, [before.textures[0]!], 0);
    bindTextures(gl, updated.textures, 1);
    if (activeTiles !== null) {
      // Skipped tiles are all zeros in the next state.
      clear(to);
    }
    draw(alive, to.framebuffer, 1 + groups);
  };

  const runPaint = (mode: 0 | 1, x: number, y: number, radius: number): void => {
    const from = sets[current]!;
    const to = sets[(current + 1) % 3]!;
    gl.useProgram(paint.program);
    setSamplers(paint, 'source', groups, 0);
    bindTextures(gl, from.textures, 0);
    gl.uniform1i(uniform(paint, 'mode'), mode);
    gl.uniform2f(uniform(paint, 'centre'), x, y);
    gl.uniform1f(uniform(paint, 'radius'), radius);
    drawQuad(gl, to.framebuffer, width, height, vao);
    current = (current + 1) % 3;
  };

  const uploadFire = (mask: Float32Array): void => {
    if (mask.length !== width * height) {
      throw new RangeError(`fire mask has ${mask.length} values, expected ${width * height}`);
    }
    updateWithFire ??= acquire(gl, updatePassSource(model, { fireTexture: true }), updateUniforms, `${label}, fixed fire`, vertex);
    if (fireTexture === null) {
      fireTexture = gl.createTexture();
      gl.bindTexture(gl.TEXTURE_2D, fireTexture);
      gl.texStorage2D(gl.TEXTURE_2D, 1, gl.R32F, width, height);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
      gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    }
    gl.bindTexture(gl.TEXTURE_2D, fireTexture);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, width, height, gl.RED, gl.FLOAT, mask);
  };

  const oneStep = (options: StepOptions, fire: boolean): void => {
    const before = sets[current]!;
    const updated = sets[(current + 1) % 3]!;
    const next = sets[(current + 2) % 3]!;
    runTileActivity(before);
    runUpdatePass(before, updated, options, fire);
    if (alive === null) {
      current = (current + 1) % 3;
    } else {
      runAliveMask(alive, before, updated, next);
      current = (current + 2) % 3;
    }
    stepIndex++;
  };

  const readSet = (set: StateSet): Float32Array => {
    gl.bindFramebuffer(gl.FRAMEBUFFER, set.framebuffer);
    const out = new Float32Array(width * height * channels);
    const texels = new Float32Array(width * height * 4);
    for (let g = 0; g < groups; g++) {
      gl.readBuffer(gl.COLOR_ATTACHMENT0 + g);
      gl.readPixels(0, 0, width, height, gl.RGBA, gl.FLOAT, texels);
      for (let i = 0; i < width * height; i++) {
        for (let q = 0; q < 4 && 4 * g + q < channels; q++) {
          out[i * channels + 4 * g + q] = texels[i * 4 + q]!;
        }
      }
    }
    gl.readBuffer(gl.COLOR_ATTACHMENT0);
    return out;
  };

  const finish = (): void => {
    const pixel = new Float32Array(4);
    gl.bindFramebuffer(gl.FRAMEBUFFER, sets[current]!.framebuffer);
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.FLOAT, pixel);
  };

  const engine: Engine = {
    kind: 'fused',
    precision,
    width,
    height,
    channels,

    step(count, options) {
      if (options.fire !== undefined) {
        uploadFire(options.fire);
      }
      for (let i = 0; i < count; i++) {
        oneStep(options, options.fire !== undefined);
      }
    },

    reset() {
      clear(sets[current]!);
      // The model's start (docs/design.md §3.5, §3.6): a seed in the centre, or a texture's zeros.
      if (config.start === 'seed') {
        runPaint(1, Math.floor(width / 2), Math.floor(height / 2), 0);
      }
      stepIndex = 0;
    },

    damage(disc: Disc) {
      runPaint(0, disc.x, disc.y, disc.radius);
    },

    plant(x, y) {
      runPaint(1, Math.round(x), Math.round(y), 0);
    },

    write(state) {
      if (state.length !== width * height * channels) {
        throw new RangeError(`state has ${state.length} values, expected ${height} x ${width} x ${channels}`);
      }
      const texels = new Float32Array(width * height * 4);
      sets[current]!.textures.forEach((texture, g) => {
        texels.fill(0);
        for (let i = 0; i < width * height; i++) {
          for (let q = 0; q < 4 && 4 * g + q < channels; q++) {
            texels[i * 4 + q] = state[i * channels + 4 * g + q]!;
          }
        }
        gl.bindTexture(gl.TEXTURE_2D, texture);
        gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, width, height, gl.RGBA, gl.FLOAT, texels);
      });
    },

    async read() {
      return readSet(sets[current]!);
    },

    async sync() {
      finish();
    },

    view(): StateTextures {
      return { textures: sets[current]!.textures, release: () => {} };
    },

    async profile(count, options) {
      const time = (run: () => void): number => {
        finish();
        const start = performance.now();
        for (let i = 0; i < count; i++) {
          run();
        }
        finish();
        return (performance.now() - start) / count;
      };
      const total = time(() => oneStep(options, false));
      // Each pass alone, from the current state into the spare sets.
      const before = sets[current]!;
      const updated = sets[(current + 1) % 3]!;
      const activityMs = activity === null ? 0 : time(() => runTileActivity(before));
      const update = time(() => runUpdatePass(before, updated, options, false));
      const passes: PassTiming[] = [];
      if (activity !== null) {
        passes.push({ name: 'tileActivity', msPerStep: activityMs });
      }
      passes.push({ name: 'update', msPerStep: update });
      if (alive !== null) {
        passes.push({ name: 'aliveMask', msPerStep: Math.max(0, total - update - activityMs) });
      }
      return passes;
    },

    dispose() {
      if (disposed) {
        return;
      }
      disposed = true;
      for (const set of sets) {
        gl.deleteFramebuffer(set.framebuffer);
        set.textures.forEach((t) => gl.deleteTexture(t));
      }
      if (fireTexture !== null) {
        gl.deleteTexture(fireTexture);
      }
      if (activeTiles !== null) {
        gl.deleteFramebuffer(activeTiles.framebuffer);
        gl.deleteTexture(activeTiles.texture);
      }
      gl.deleteVertexArray(vao);
      for (const program of [update, alive, paint, activity, updateWithFire]) {
        if (program !== null) {
          release(gl, program);
        }
      }
    },
  };
  engine.reset();
  return engine;
}
