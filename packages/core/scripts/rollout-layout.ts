// Prints C assertions that rollout.c's Task has the layout of TASK_FIELDS, the table the host
// packs it by; scripts/build-wasm.sh compiles them into the kernel.
import { cLayoutAsserts, TASK_FIELDS } from '../src/rolloutLayout.ts';

process.stdout.write(cLayoutAsserts('Task', TASK_FIELDS));
