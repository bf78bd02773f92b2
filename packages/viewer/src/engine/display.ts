import { bindTextures, createProgram, drawQuad } from './gl.ts';
import type { Program } from './gl.ts';
import { onContextChange } from './gpu.ts';
import type { Gpu } from './gpu.ts';
import { displaySource, groupCount } from './shaders.ts';
import type { ViewMode } from './shaders.ts';
import type { Display } from '@nca-studio/weights-format';

/** Straight (not premultiplied) RGBA in 0..1; alpha 0 is a transparent background. */
export type Rgba = readonly [number, number, number, number];

const programs = new WeakMap<WebGL2RenderingContext, Map<string, Program>>();

function displayProgram(gl: WebGL2RenderingContext, channels: number, display: Display): Program {
  let cache = programs.get(gl);
  if (cache === undefined) {
    cache = new Map();
    programs.set(gl, cache);
  }
  const key = `${channels}/${display}`;
  let program = cache.get(key);
  if (program === undefined) {
    const samplers = Array.from({ length: groupCount(channels) }, (_, g) => `state${g}`);
    program = createProgram(gl, displaySource(channels, display), ['mode', 'first', 'background', 'height', ...samplers], 'display');
    cache.set(key, program);
  }
  return program;
}

let vao: WebGLVertexArrayObject | null = null;

onContextChange((change, gl) => {
  if (change === 'lost') {
    programs.delete(gl);
    vao = null;
  }
});

/**
 * Draws the state textures into the shared canvas, then copies them to the viewer's 2D canvas
 * (one pixel per cell; CSS upscales it with nearest-neighbour). Nothing leaves the GPU.
 */
export function drawState(
  gpu: Gpu,
  target: CanvasRenderingContext2D,
  state: { textures: readonly WebGLTexture[]; width: number; height: number; channels: number; display?: Display },
  view: ViewMode,
  background: Rgba,
): void {
  const { gl, canvas } = gpu;
  const { width, height } = state;
  if (canvas.width < width || canvas.height < height) {
    canvas.width = Math.max(canvas.width, width);
    canvas.height = Math.max(canvas.height, height);
  }
  const program = displayProgram(gl, state.channels, state.display ?? 'rgba');
  vao ??= gl.createVertexArray();
  gl.useProgram(program.program);
  state.textures.forEach((_, g) => {
    const location = program.uniforms.get(`state${g}`);
    if (location !== undefined) {
      gl.uniform1i(location, g);
    }
  });
  bindTextures(gl, state.textures, 0);
  const mode = view.kind === 'colour' ? 0 : view.kind === 'alpha' ? 1 : 2;
  gl.uniform1i(program.uniforms.get('mode') ?? null, mode);
  gl.uniform1i(program.uniforms.get('first') ?? null, view.kind === 'channels' ? view.first : 0);
  gl.uniform4f(program.uniforms.get('background') ?? null, ...background);
  gl.uniform1i(program.uniforms.get('height') ?? null, height);
  drawQuad(gl, null, width, height, vao);
  // The canvas's origin is its bottom-left corner; what we drew sits at the bottom.
  target.globalCompositeOperation = 'copy';
  target.imageSmoothingEnabled = false;
  target.drawImage(canvas, 0, canvas.height - height, width, height, 0, 0, width, height);
}
