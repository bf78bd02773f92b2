import * as tf from '@tensorflow/tfjs-core';
import { MathBackendWebGL, setWebGLContext } from '@tensorflow/tfjs-backend-webgl/dist/base';
import { registerViewerKernels } from './kernels.ts';

/** Where the state textures keep their numbers: float32 where the device renders to it, else float16. */
export type Precision = 'float32' | 'float16';

/**
 * The one WebGL2 context of the page, shared by tfjs's webgl backend (core's step) and the
 * fused passes, so that both read the same textures. Every viewer on the page draws into its
 * canvas, then copies the pixels to its own 2D canvas: one context serves any number of viewers.
 */
export interface Gpu {
  gl: WebGL2RenderingContext;
  canvas: HTMLCanvasElement;
  /** What the state textures can hold here. */
  precision: Precision;
  /** Why the precision is float16, for the status line. */
  precisionNote: string | null;
  maxDrawBuffers: number;
  maxTextureSize: number;
}

export class ViewerError extends Error {
  override name = 'ViewerError';
  readonly code: 'NO_WEBGL2' | 'NO_FLOAT_RENDER' | 'TFJS_BACKEND' | 'SHADER';

  constructor(code: ViewerError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

const ATTRIBUTES: WebGLContextAttributes = {
  // The display pass writes premultiplied colour with alpha, so a transparent background works.
  alpha: true,
  premultipliedAlpha: true,
  antialias: false,
  depth: false,
  stencil: false,
  preserveDrawingBuffer: false,
  failIfMajorPerformanceCaveat: false,
  powerPreference: 'high-performance',
};

let shared: Promise<Gpu> | null = null;

/** 'lost': every GPU object of the page is gone; 'restored': the context and tfjs are back, objects must be made anew. */
export type ContextChange = 'lost' | 'restored';
type ContextListener = (change: ContextChange, gl: WebGL2RenderingContext) => void;
const contextListeners = new Set<ContextListener>();

/**
 * Calls `listener` when the page's WebGL context is lost (the driver reset, or the GPU ran out
 * of memory) and again once it is restored. Returns the function that unsubscribes.
 */
export function onContextChange(listener: ContextListener): () => void {
  contextListeners.add(listener);
  return () => contextListeners.delete(listener);
}

function notify(change: ContextChange, gl: WebGL2RenderingContext): void {
  for (const listener of [...contextListeners]) {
    listener(change, gl);
  }
}

/** tfjs's WebGL backend holds the lost context's objects: replace it with a new one on the same context. */
async function restartTfjs(gl: WebGL2RenderingContext): Promise<void> {
  tf.removeBackend('webgl');
  tf.registerBackend('webgl', () => new MathBackendWebGL(), 2);
  setWebGLContext(2, gl);
  if (!(await tf.setBackend('webgl'))) {
    throw new ViewerError('TFJS_BACKEND', 'tfjs could not restart its WebGL backend after the context was lost.');
  }
  await tf.ready();
}

/**
 * The page's GPU, created on first use. `forceHalfFloat` (for tests, and to try a phone's
 * path on a desktop) must be the same on every call of a page.
 */
export function getGpu(options: { forceHalfFloat?: boolean } = {}): Promise<Gpu> {
  shared ??= createGpu(options.forceHalfFloat ?? false).catch((error: unknown) => {
    shared = null;
    throw error;
  });
  return shared;
}

async function createGpu(forceHalfFloat: boolean): Promise<Gpu> {
  const canvas = document.createElement('canvas');
  canvas.width = 1;
  canvas.height = 1;
  const gl = canvas.getContext('webgl2', ATTRIBUTES);
  if (gl === null) {
    throw new ViewerError('NO_WEBGL2', 'This browser cannot create a WebGL2 context, which the viewer needs.');
  }
  canvas.addEventListener('webglcontextlost', (event) => {
    // Without preventDefault the browser never restores it.
    event.preventDefault();
    notify('lost', gl);
  });
  canvas.addEventListener('webglcontextrestored', () => {
    void restartTfjs(gl).then(
      () => notify('restored', gl),
      (error: unknown) => console.error(error),
    );
  });
  registerViewerKernels();
  // tfjs takes this context instead of making its own (whose canvas has no alpha).
  setWebGLContext(2, gl);
  tf.env().set('WEBGL_VERSION', 2);
  // Small tensors would otherwise stay on the CPU, and their data could not be drawn from a texture.
  tf.env().set('WEBGL_CPU_FORWARD', false);
  if (forceHalfFloat) {
    tf.env().set('WEBGL_FORCE_F16_TEXTURES', true);
    tf.env().set('WEBGL_RENDER_FLOAT32_ENABLED', false);
  }
  const ok = await tf.setBackend('webgl');
  if (!ok) {
    throw new ViewerError('TFJS_BACKEND', 'tfjs could not start its WebGL backend on this device.');
  }
  await tf.ready();

  const float32 = !forceHalfFloat && gl.getExtension('EXT_color_buffer_float') !== null && tf.env().getBool('WEBGL_RENDER_FLOAT32_ENABLED');
  if (!float32 && gl.getExtension('EXT_color_buffer_half_float') === null && gl.getExtension('EXT_color_buffer_float') === null) {
    throw new ViewerError('NO_FLOAT_RENDER', 'This device cannot render to float textures (neither float32 nor float16).');
  }
  return {
    gl,
    canvas,
    precision: float32 ? 'float32' : 'float16',
    precisionNote: float32
      ? null
      : forceHalfFloat
        ? 'half-float state (forced)'
        : 'half-float state: this device cannot render float32 textures, results are less precise',
    maxDrawBuffers: gl.getParameter(gl.MAX_DRAW_BUFFERS) as number,
    maxTextureSize: gl.getParameter(gl.MAX_TEXTURE_SIZE) as number,
  };
}

/** tfjs's memory counters (tensors, bytes on the GPU): flat over any number of steps. */
export function tensorMemory(): tf.MemoryInfo {
  return tf.memory();
}
