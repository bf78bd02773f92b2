// Developer convenience: converts the Distill reference models of ../shared into the viewer's
// git-ignored public/models/distill/ folder, and the texture article's 66 models into
// public/models/distill-textures/, each with the index.json the viewer lists them from.
// Run from the repository root: `pnpm exec tsx packages/trainer/scripts/convert-distill.ts`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.ts';

const input = fileURLToPath(new URL('../../../../shared/fixtures/distill-models/', import.meta.url));
const output = fileURLToPath(new URL('../../viewer/public/models/distill/', import.meta.url));
const textures = fileURLToPath(new URL('../../../../shared/fixtures/distill-textures/models.json', import.meta.url));
const texturesOutput = fileURLToPath(new URL('../../viewer/public/models/distill-textures/', import.meta.url));

// `--if-needed` (used by `pnpm dev`): do nothing when they are converted already, and only say
// so when ../shared is not there (it is optional for the viewer).
if (process.argv.includes('--if-needed')) {
  if (existsSync(new URL('index.json', `file://${output}/`)) && (!existsSync(textures) || existsSync(new URL('index.json', `file://${texturesOutput}/`)))) {
    process.exit(0);
  }
  if (!existsSync(input)) {
    console.log(`(no Distill reference models: ${input} is not there)`);
    process.exit(0);
  }
}
process.exitCode = await main(['convert', '--from', 'distill', '--all', input, output]);
if (process.exitCode === 0 && existsSync(textures)) {
  process.exitCode = await main(['convert', '--from', 'distill-textures', textures, texturesOutput]);
}
