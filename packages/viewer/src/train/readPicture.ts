import { checkPictureSize, pictureHeader, TargetError, type Pixels } from '@nca-studio/core/target';

/** The CLI's download limit, for a dropped file too: more is no picture anyone trains on. */
const MAX_PICTURE_BYTES = 20 * 1024 * 1024;
/** SVGs are drawn at 4x their own size before shrinking, as the CLI's sharp does (density 288). */
const SVG_SCALE = 4;

export class PictureError extends Error {
  override readonly name = 'PictureError';
  constructor(
    readonly code: 'BAD_PICTURE' | 'TARGET_TOO_LARGE',
    message: string,
  ) {
    super(message);
  }
}

function isSvg(head: Uint8Array, type: string): boolean {
  if (type === 'image/svg+xml') {
    return true;
  }
  const text = new TextDecoder().decode(head.subarray(0, 512)).trimStart().toLowerCase();
  return text.startsWith('<svg') || (text.startsWith('<?xml') && text.includes('<svg'));
}

/**
 * A dropped or picked picture, decoded by the browser into straight-alpha RGBA bytes, for
 * core's prepareTarget (the CLI gets its pixels from sharp). Its size is read from the header
 * and refused over core's limit before anything decodes it whole.
 */
export async function readPicture(file: Blob, name: string): Promise<Pixels> {
  if (file.size === 0) {
    throw new PictureError('BAD_PICTURE', `${name} is empty (0 bytes)`);
  }
  if (file.size > MAX_PICTURE_BYTES) {
    throw new PictureError(
      'TARGET_TOO_LARGE',
      `${name} is ${(file.size / 2 ** 20).toFixed(1)} MB, over the ${MAX_PICTURE_BYTES / 2 ** 20} MB limit; shrink it first`,
    );
  }
  const head = new Uint8Array(await file.slice(0, 64 * 1024).arrayBuffer());
  try {
    if (isSvg(head, file.type)) {
      return await drawSvg(file, name);
    }
    const header = pictureHeader(head);
    if (header === null) {
      throw new PictureError('BAD_PICTURE', `${name}: not a picture (PNG, JPEG, WebP, GIF or SVG expected)`);
    }
    checkPictureSize(header.width, header.height, name);
    let bitmap: ImageBitmap;
    try {
      // Straight alpha and the file's own colours: what sharp hands the CLI.
      bitmap = await createImageBitmap(file, { premultiplyAlpha: 'none', colorSpaceConversion: 'none' });
    } catch {
      throw new PictureError('BAD_PICTURE', `${name}: the browser could not decode this ${header.format.toUpperCase()} file (it may be damaged)`);
    }
    return pixelsOf(bitmap, bitmap.width, bitmap.height);
  } catch (error) {
    if (error instanceof TargetError) {
      throw new PictureError('TARGET_TOO_LARGE', error.message);
    }
    throw error;
  }
}

function pixelsOf(image: CanvasImageSource, width: number, height: number): Pixels {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) {
    throw new PictureError('BAD_PICTURE', 'this browser gives no 2D canvas to read the picture with');
  }
  context.drawImage(image, 0, 0, width, height);
  if (image instanceof ImageBitmap) {
    image.close();
  }
  return { width, height, data: context.getImageData(0, 0, width, height).data };
}

/** An SVG is drawn by an <img> at 4x its own size (its width/height or viewBox). */
async function drawSvg(file: Blob, name: string): Promise<Pixels> {
  const url = URL.createObjectURL(file.type === 'image/svg+xml' ? file : new Blob([file], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    image.src = url;
    try {
      await image.decode();
    } catch {
      throw new PictureError('BAD_PICTURE', `${name}: the browser could not draw this SVG`);
    }
    const width = Math.round((image.naturalWidth || 0) * SVG_SCALE);
    const height = Math.round((image.naturalHeight || 0) * SVG_SCALE);
    if (width === 0 || height === 0) {
      throw new PictureError('BAD_PICTURE', `${name}: the SVG has no size (give it width and height, or a viewBox)`);
    }
    checkPictureSize(width, height, name);
    return pixelsOf(image, width, height);
  } finally {
    URL.revokeObjectURL(url);
  }
}
