import { ViewerError } from './gpu.ts';
import type { Precision } from './gpu.ts';

/**
 * One triangle that covers the viewport, counter-clockwise (tfjs leaves back-face culling on).
 * No vertex buffers: the corners come from gl_VertexID.
 */
const FULLSCREEN_VERTEX = `#version 300 es
void main() {
  vec2 corner = vec2(float((gl_VertexID & 1) << 2), float((gl_VertexID & 2) << 1));
  gl_Position = vec4(corner - 1.0, 0.0, 1.0);
}
`;

/** Tile edge, in cells, of the tiled draws (see tileActivitySource). */
export const TILE = 8;

/**
 * Six vertices (two counter-clockwise triangles) per instance, one instance per tile of
 * TILE x TILE cells; a tile whose texel in activeTiles is 0 collapses to a point outside the
 * viewport, so none of its fragments run.
 */
export const TILES_VERTEX = `#version 300 es
precision highp float;
precision highp int;
precision highp sampler2D;
uniform sampler2D activeTiles;
uniform ivec2 gridSize;
void main() {
  ivec2 tiles = textureSize(activeTiles, 0);
  ivec2 tile = ivec2(gl_InstanceID % tiles.x, gl_InstanceID / tiles.x);
  if (texelFetch(activeTiles, tile, 0).r < 0.5) {
    gl_Position = vec4(2.0, 2.0, 2.0, 1.0);
    return;
  }
  int v = gl_VertexID;
  ivec2 corner = ivec2(v == 1 || v == 2 || v == 4 ? 1 : 0, v == 2 || v == 4 || v == 5 ? 1 : 0);
  vec2 cell = vec2(min((tile + corner) * ${TILE}, gridSize));
  gl_Position = vec4(cell / vec2(gridSize) * 2.0 - 1.0, 0.0, 1.0);
}
`;

export interface Program {
  program: WebGLProgram;
  uniforms: Map<string, WebGLUniformLocation>;
}

function compileShader(gl: WebGL2RenderingContext, type: number, source: string, label: string): WebGLShader {
  const shader = gl.createShader(type);
  if (shader === null) {
    throw new ViewerError('SHADER', `${label}: could not create a shader (is the WebGL context lost?)`);
  }
  gl.shaderSource(shader, source);
  gl.compileShader(shader);
  if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) {
    const log = gl.getShaderInfoLog(shader) ?? '';
    gl.deleteShader(shader);
    throw new ViewerError('SHADER', `${label}: the shader did not compile: ${log.slice(0, 500)}`);
  }
  return shader;
}

/** Compiles and links; looks up the named uniforms (a name the compiler removed maps to nothing). */
export function createProgram(
  gl: WebGL2RenderingContext,
  fragmentSource: string,
  uniformNames: readonly string[],
  label: string,
  vertexSource = FULLSCREEN_VERTEX,
): Program {
  const vertex = compileShader(gl, gl.VERTEX_SHADER, vertexSource, label);
  const fragment = compileShader(gl, gl.FRAGMENT_SHADER, fragmentSource, label);
  const program = gl.createProgram();
  gl.attachShader(program, vertex);
  gl.attachShader(program, fragment);
  gl.linkProgram(program);
  gl.deleteShader(vertex);
  gl.deleteShader(fragment);
  if (!gl.getProgramParameter(program, gl.LINK_STATUS)) {
    const log = gl.getProgramInfoLog(program) ?? '';
    gl.deleteProgram(program);
    throw new ViewerError('SHADER', `${label}: the program did not link: ${log.slice(0, 500)}`);
  }
  const uniforms = new Map<string, WebGLUniformLocation>();
  for (const name of uniformNames) {
    const location = gl.getUniformLocation(program, name);
    if (location !== null) {
      uniforms.set(name, location);
    }
  }
  return { program, uniforms };
}

/** An RGBA float texture for 4 channels of every cell, sampled with texelFetch only. */
export function createStateTexture(gl: WebGL2RenderingContext, width: number, height: number, precision: Precision): WebGLTexture {
  const texture = gl.createTexture();
  gl.bindTexture(gl.TEXTURE_2D, texture);
  gl.texStorage2D(gl.TEXTURE_2D, 1, precision === 'float32' ? gl.RGBA32F : gl.RGBA16F, width, height);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MIN_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_S, gl.CLAMP_TO_EDGE);
  gl.texParameteri(gl.TEXTURE_2D, gl.TEXTURE_WRAP_T, gl.CLAMP_TO_EDGE);
  return texture;
}

/** A framebuffer that writes one texture per draw buffer (location g -> textures[g]). */
export function createFramebuffer(gl: WebGL2RenderingContext, textures: readonly WebGLTexture[]): WebGLFramebuffer {
  const framebuffer = gl.createFramebuffer();
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  const buffers = textures.map((texture, g) => {
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0 + g, gl.TEXTURE_2D, texture, 0);
    return gl.COLOR_ATTACHMENT0 + g;
  });
  gl.drawBuffers(buffers);
  const status = gl.checkFramebufferStatus(gl.FRAMEBUFFER);
  if (status !== gl.FRAMEBUFFER_COMPLETE) {
    gl.deleteFramebuffer(framebuffer);
    throw new ViewerError('NO_FLOAT_RENDER', `cannot render to these float textures (framebuffer status 0x${status.toString(16)})`);
  }
  return framebuffer;
}

/** Binds each texture to the texture unit of its index. */
export function bindTextures(gl: WebGL2RenderingContext, textures: readonly WebGLTexture[], firstUnit = 0): void {
  textures.forEach((texture, i) => {
    gl.activeTexture(gl.TEXTURE0 + firstUnit + i);
    gl.bindTexture(gl.TEXTURE_2D, texture);
  });
}

/**
 * Draws the full-screen triangle into `framebuffer` (null: the canvas) over width x height.
 * The viewport, scissor and vertex array are set here: tfjs sets its own before each of its
 * programs, and leaves the scissor test on, so both sides can share the context.
 */
export function drawQuad(gl: WebGL2RenderingContext, framebuffer: WebGLFramebuffer | null, width: number, height: number, vao: WebGLVertexArrayObject): void {
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  gl.viewport(0, 0, width, height);
  gl.scissor(0, 0, width, height);
  gl.bindVertexArray(vao);
  gl.drawArrays(gl.TRIANGLES, 0, 3);
  gl.bindVertexArray(null);
}

/** Like drawQuad, over the active tiles only (the program's vertex shader is TILES_VERTEX). */
export function drawTiles(gl: WebGL2RenderingContext, framebuffer: WebGLFramebuffer, width: number, height: number, vao: WebGLVertexArrayObject): void {
  gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
  gl.viewport(0, 0, width, height);
  gl.scissor(0, 0, width, height);
  gl.bindVertexArray(vao);
  gl.drawArraysInstanced(gl.TRIANGLES, 0, 6, Math.ceil(width / TILE) * Math.ceil(height / TILE));
  gl.bindVertexArray(null);
}
