import { main } from '../cli.ts';

/** Runs the `nca` CLI in-process, as a user would, capturing its output lines and exit code. */
export async function nca(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out, err };
}

/**
 * Whether a `nca train` ran to its end: exit 0, or exit 1 with the one line that says its model
 * does not grow (what the few iterations of a test's run give: the verdict is part of a run's end).
 */
export function ranToEnd(result: { code: number; err: string[] }): boolean {
  return result.code === 0 || (result.code === 1 && result.err.length === 1 && result.err[0]!.startsWith('nca: the model does not grow: '));
}
