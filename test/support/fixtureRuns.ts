// Every Distill fixture, converted by `nca convert` and run 300 stochastic steps by `nca render`'s
// engine on its own grid. The 31 runs take minutes of CPU, so they are shared out over test files
// that vitest runs in parallel, one per core.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert, loadModel, renderModel, stateStats } from '@nca-studio/trainer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTILL_DIR, distillFiles, HAS_DISTILL, SKIP_REASON } from './distillFixtures.ts';

const STEPS = 300;

/** Defines the runs of fixtures number `part`, `part + parts`, ... (sorted by name). */
export function describeFixtureRuns(part: number, parts: number): void {
  describe(`the Distill fixtures, part ${part + 1} of ${parts}`, () => {
    if (!HAS_DISTILL) {
      it.skip(SKIP_REASON, () => {});
      return;
    }
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'nca-distill-runs-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('all 31 fixtures are there', () => {
      expect(distillFiles()).toHaveLength(31);
    });

    const mine = distillFiles().filter((_, i) => i % parts === part);
    it.each(mine)(`%s converts and runs ${STEPS} stochastic steps: finite, not empty`, async (name) => {
      const output = join(dir, name.replace(/\.json$/, '.safetensors'));
      await convert({ from: 'distill', input: join(DISTILL_DIR, name), output });
      const { model } = await loadModel(output);
      const result = await renderModel(model, { steps: STEPS, seed: 1 });
      const { mature, nonFinite } = stateStats(result.state, result.channels);
      expect(nonFinite).toBe(0);
      expect(mature).toBeGreaterThan(50);
    });
  });
}
