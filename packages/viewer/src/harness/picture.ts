// The Train view's picture path on this page: the browser decodes, core prepares. The browser
// tests compare it with the CLI's (sharp decodes, core prepares) on the same files.
import { prepareTarget, type TargetOptions } from '@nca-studio/core/target';
import { readPicture } from '../train/readPicture.ts';

export async function targetOnPage(
  bytes: number[],
  name: string,
  type: string,
  options: TargetOptions,
): Promise<{ width: number; height: number; rgba8: number[] } | { error: string; code: string }> {
  try {
    const pixels = await readPicture(new Blob([new Uint8Array(bytes)], { type }), name);
    const target = prepareTarget(pixels, name, options);
    return { width: target.width, height: target.height, rgba8: Array.from(target.rgba8) };
  } catch (error) {
    return { error: (error as Error).message, code: (error as { code?: string }).code ?? '' };
  }
}
