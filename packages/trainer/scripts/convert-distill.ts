// Developer convenience: converts the Distill reference models of ../shared into the viewer's
// git-ignored public/models/distill/ folder, with the index.json the viewer lists them from.
// Run from the repository root: `pnpm exec tsx packages/trainer/scripts/convert-distill.ts`.
import { fileURLToPath } from 'node:url';
import { main } from '../src/cli.ts';

const input = fileURLToPath(new URL('../../../../shared/fixtures/distill-models/', import.meta.url));
const output = fileURLToPath(new URL('../../viewer/public/models/distill/', import.meta.url));

process.exitCode = await main(['convert', '--from', 'distill', '--all', input, output]);
