// What a texture loss asks for, with no CA in the way: a 64x64 torus's colours optimised
// directly (Adam on the pixels) under core's texture loss against an exemplar. If the picture
// this draws does not look like the exemplar, no model trained on the loss will (docs/design.md
// §4.9: the patch loss alone draws blobs for chequered_0121; with the spectrum term, squares).
// Run from the repository root:
//   pnpm loss:picture EXEMPLAR OUT.png [patches|features|spectrum] [iterations, default 300]
import { Adam, createRng, textureExemplar, textureLoss, textureLossSettings } from '@nca-studio/core/training';
import { TEXTURE_LOSS_NAMES, type TextureLossName } from '@nca-studio/weights-format';
import { loadExemplar } from '../src/images/target.ts';
import { writeFileAtomic } from '../src/files/atomicWrite.ts';
import { encodePng, stateToFrame, upscale } from '../src/images/picture.ts';
import { NcaError } from '../src/errors.ts';

const [exemplarPath, out, lossArg = 'spectrum', iterationsArg = '300'] = process.argv.slice(2);
const iterations = Number(iterationsArg);
if (
  exemplarPath === undefined ||
  out === undefined ||
  !out.endsWith('.png') ||
  !(TEXTURE_LOSS_NAMES as readonly string[]).includes(lossArg) ||
  !Number.isInteger(iterations) ||
  iterations < 1 ||
  iterations > 100_000
) {
  console.error(`usage: pnpm loss:picture EXEMPLAR OUT.png [${TEXTURE_LOSS_NAMES.join('|')}] [iterations 1..100000]`);
  process.exit(2);
}
const settings = textureLossSettings(lossArg as TextureLossName);
const exemplar = await loadExemplar({ kind: 'file', path: exemplarPath }, 128).catch((error: unknown) => {
  // The CLI's own refusals (no such file, not a picture, too large) are the user's to fix.
  if (error instanceof NcaError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
});
const kept = textureExemplar(exemplar.rgba8, exemplar.width, exemplar.height, settings);
const side = 64;
const grid = { width: side, height: side, channels: 3 };
// The state as the CA's colour channels hold it (x / 2 + 0.5 is shown), near mid-grey.
const rng = createRng(1);
const state = Float32Array.from({ length: side * side * 3 }, () => (rng.next() - 0.5) * 0.1);
const adam = new Adam([state.length]);
for (let t = 1; t <= iterations; t++) {
  const { losses, grad } = textureLoss(state, 1, grid, kept, rng, 1, settings);
  adam.apply([state], [grad], 0.01);
  // A CA's colours live in [-1, 1] (shown as x / 2 + 0.5): so do these.
  state.forEach((x, i) => (state[i] = Math.max(-1, Math.min(1, x))));
  if (t % 50 === 0 || t === iterations) {
    console.log(`iteration ${t}  loss ${losses[0]!.toExponential(3)}`);
  }
}
await writeFileAtomic(out, await encodePng(upscale(stateToFrame(state, side, side, 3, [1, 1, 1], 'rgb-signed'), 4)));
console.log(`wrote ${out} (${lossArg}, ${iterations} iterations)`);
