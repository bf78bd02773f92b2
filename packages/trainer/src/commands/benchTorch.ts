// `nca bench`'s baseline: ../shared/bench/torch_baseline.py (the PyTorch notebook on the CPU),
// run on the same picture, grid and batch after ours, never at the same time.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const TORCH_THREADS = 2;
const PYTHON = '/usr/bin/python3';

export const TORCH_BASELINE = fileURLToPath(new URL('../../../../../shared/bench/torch_baseline.py', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

export interface TorchResult {
  /** The baseline's cell-steps per second; null when it was not run. */
  cellStepsPerSecond: number | null;
  /** Why it was not run, or how it failed. */
  skipped?: string;
}

/** Exit status of a command, or null when it could not be started. */
function runProcess(command: string, args: string[], onLine: (line: string) => void): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  return new Promise((resolve) => {
    const lines: string[] = [];
    let stderr = '';
    let pending = '';
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      pending += chunk;
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      for (const line of parts) {
        lines.push(line);
        onLine(line);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', () => resolve({ code: null, lines, stderr }));
    child.on('close', (code) => {
      if (pending !== '') {
        lines.push(pending);
        onLine(pending);
      }
      resolve({ code, lines, stderr });
    });
  });
}

/** `torch_baseline.py` on the same picture, grid and batch, after ours (never at the same time). */
export async function runTorchBaseline(
  run: { png: string; iterations: number; batch: number; targetPx: number; padding: number },
  log: (line: string) => void,
): Promise<TorchResult> {
  const probe = await runProcess(PYTHON, ['-c', 'import torch'], () => {});
  if (probe.code !== 0) {
    log(`torch: skipped, ${PYTHON} cannot import torch`);
    return { cellStepsPerSecond: null, skipped: `${PYTHON} cannot import torch` };
  }
  if (!existsSync(TORCH_BASELINE)) {
    log(`torch: skipped, ${TORCH_BASELINE} is missing`);
    return { cellStepsPerSecond: null, skipped: `${TORCH_BASELINE} is missing` };
  }
  const args = [TORCH_BASELINE, run.png, String(run.iterations), String(TORCH_THREADS), String(run.batch), String(run.targetPx), String(run.padding)];
  log(`torch: ${PYTHON} ${args.join(' ')}`);
  const result = await runProcess(PYTHON, args, (line) => log(`torch: ${line}`));
  const last = /^cell_steps_per_s (\d+(?:\.\d+)?)$/.exec(result.lines.at(-1)?.trim() ?? '');
  if (result.code !== 0 || last === null) {
    const why = `torch baseline failed (exit ${result.code}): ${result.stderr.trim().split('\n').at(-1) ?? ''}`;
    log(`torch: ${why}`);
    return { cellStepsPerSecond: null, skipped: why };
  }
  return { cellStepsPerSecond: Number(last[1]) };
}
