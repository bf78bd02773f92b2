// The 31 pretrained Distill models (CC BY 4.0 test data) live in ../shared, never in this repo.
// CI has that folder; where it is missing, the tests that need it are skipped with this message.
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const DISTILL_DIR = fileURLToPath(new URL('../../../shared/fixtures/distill-models/', import.meta.url));

export const HAS_DISTILL = existsSync(DISTILL_DIR);

export const SKIP_REASON = `skipped: the Distill fixtures are not at ${DISTILL_DIR} (clone the shared folder beside the repo)`;

/** The fixture file names, sorted; empty where the folder is missing. */
export function distillFiles(): string[] {
  return HAS_DISTILL
    ? readdirSync(DISTILL_DIR)
        .filter((name) => name.endsWith('.json'))
        .sort()
    : [];
}

export const LIZARD = 'ex3_1f98e.json';
