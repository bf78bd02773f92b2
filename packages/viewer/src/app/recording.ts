// The app's Record button: what the viewer's canvas shows (a growth, or a cut and its healing)
// as a WebM through MediaRecorder where the browser has it, and as a GIF everywhere (the CLI's
// encoder, weights-format's encodeGif). The grid's few pixels are scaled up without smoothing on
// a canvas of their own, so both files show crisp cells at a size people share.
import { encodeGif } from '@nca-studio/weights-format';

/** The recording's longest side in pixels, at a whole-number scale of the grid. */
const RECORDED_SIDE = 320;
/** GIF frames: one every 80 ms (12.5 frames/s, the GIF's 8 hundredths). */
const GIF_FRAME_MS = 80;
/** A recording stops by itself after this long: a GIF keeps every frame in memory. */
export const MAX_RECORDING_SECONDS = 30;

export interface Recorded {
  /** Null where the browser has no MediaRecorder for WebM. */
  webm: Blob | null;
  gif: Blob;
  frames: number;
  width: number;
  height: number;
}

export interface Recording {
  /** Stops and encodes; resolves with both files. */
  stop(): Promise<Recorded>;
}

/** The whole-number upscale that brings the grid's longest side nearest to RECORDED_SIDE (at least 1). */
export function recordingScale(width: number, height: number): number {
  return Math.max(1, Math.round(RECORDED_SIDE / Math.max(width, height)));
}

/** A file name from the model's name: letters, digits and dashes. */
export function recordingName(modelName: string): string {
  const slug = modelName
    .normalize('NFKD')
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '')
    .toLowerCase();
  return slug === '' ? 'nca' : slug;
}

export function startRecording(source: HTMLCanvasElement, onLimit: () => void): Recording {
  const scale = recordingScale(source.width, source.height);
  const canvas = document.createElement('canvas');
  canvas.width = source.width * scale;
  canvas.height = source.height * scale;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.imageSmoothingEnabled = false;
  const frames: ImageData[] = [];
  let lastGifFrame = -Infinity;
  let handle = 0;
  const copy = (time: number): void => {
    context.fillStyle = 'white';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    if (time - lastGifFrame >= GIF_FRAME_MS) {
      lastGifFrame = time;
      frames.push(context.getImageData(0, 0, canvas.width, canvas.height));
    }
    handle = requestAnimationFrame(copy);
  };
  copy(performance.now());
  const limit = setTimeout(onLimit, MAX_RECORDING_SECONDS * 1000);

  const webm =
    typeof MediaRecorder !== 'undefined' && MediaRecorder.isTypeSupported('video/webm')
      ? new MediaRecorder(canvas.captureStream(30), { mimeType: 'video/webm' })
      : null;
  const chunks: Blob[] = [];
  webm?.addEventListener('dataavailable', (event) => chunks.push(event.data));
  webm?.start();

  return {
    async stop() {
      clearTimeout(limit);
      cancelAnimationFrame(handle);
      const video =
        webm === null
          ? null
          : await new Promise<Blob>((resolve) => {
              webm.addEventListener('stop', () => resolve(new Blob(chunks, { type: 'video/webm' })), { once: true });
              webm.stop();
            });
      const gif = encodeGif(
        frames.map((frame) => ({ width: frame.width, height: frame.height, rgba: frame.data })),
        { frameMs: GIF_FRAME_MS },
      );
      return {
        webm: video,
        gif: new Blob([gif as Uint8Array<ArrayBuffer>], { type: 'image/gif' }),
        frames: frames.length,
        width: canvas.width,
        height: canvas.height,
      };
    },
  };
}

/** Saves a file the way a page can: a link with `download`, clicked. */
export function download(blob: Blob, name: string): void {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(blob);
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}
