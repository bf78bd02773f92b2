import { main } from '../cli.ts';

/** Runs the `nca` CLI in-process, as a user would, capturing its output lines and exit code. */
export async function nca(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { log: (l) => out.push(l), error: (l) => err.push(l) });
  return { code, out, err };
}
