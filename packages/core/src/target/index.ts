// Target pictures, with no tfjs: the CLI and the page import this entry point alone.
export { prepareTarget, checkPictureSize, parseColour, hasTransparency, keyOut, targetShape, TargetError, MAX_INPUT_PIXELS } from './prepareTarget.ts';
export { resampleRgba } from './resample.ts';
export { prepareExemplar, MIN_EXEMPLAR_SIDE } from './prepareExemplar.ts';
export type { Exemplar } from './prepareExemplar.ts';
export { pictureHeader } from './imageHeader.ts';
export { emojiCodepoints, emojiTargetName } from './emojiName.ts';
export type { Pixels, Target, TargetErrorCode, TargetOptions } from './prepareTarget.ts';
export type { PictureHeader } from './imageHeader.ts';
