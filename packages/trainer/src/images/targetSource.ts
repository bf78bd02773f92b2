// Where the CLI reads a target from, and the run's name for it: settled from the flags before
// any file is read, without sharp (the plan and the GPU bench import this, never the decoder).
import { basename, extname } from 'node:path';
import { emojiTargetName } from '@nca-studio/core/target';
import type { TargetSource as RunTarget } from '@nca-studio/weights-format';
import { NcaError } from '../errors.ts';

/** A file, a URL or an emoji (core's sources but a page's dropped picture). */
export type TargetSource = Exclude<RunTarget, { kind: 'picture' }>;

export function targetName(source: TargetSource): string {
  switch (source.kind) {
    case 'file':
      return basename(source.path, extname(source.path)) || 'target';
    case 'url':
      return basename(new URL(source.url).pathname, extname(new URL(source.url).pathname)) || 'target';
    case 'emoji':
      return emojiTargetName(source.char);
  }
}

/** The target a command's --target / --emoji / --texture flags name; undefined when none is given. */
export function targetFromFlags(flags: { target?: string; emoji?: string; texture?: string }): TargetSource | undefined {
  const given = (['target', 'emoji', 'texture'] as const).filter((key) => flags[key] !== undefined);
  if (given.length > 1) {
    throw new NcaError('BAD_FLAG', `give one of --target, --emoji and --texture, not ${given.map((key) => `--${key}`).join(' and ')}`);
  }
  if (flags.texture !== undefined) {
    return /^https?:\/\//i.test(flags.texture) ? { kind: 'url', url: flags.texture } : { kind: 'file', path: flags.texture };
  }
  if (flags.emoji !== undefined) {
    return { kind: 'emoji', char: flags.emoji };
  }
  if (flags.target !== undefined) {
    return /^https?:\/\//i.test(flags.target) ? { kind: 'url', url: flags.target } : { kind: 'file', path: flags.target };
  }
  return undefined;
}
