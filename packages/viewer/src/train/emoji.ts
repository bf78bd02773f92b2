// The Train view's emoji: the CLI's own Noto images (emoji-datasource-google, Apache 2.0),
// bundled by Vite from the package, never fetched from elsewhere.
import { emojiTargetName } from '@nca-studio/core/target';
import lizard from 'emoji-datasource-google/img/google/64/1f98e.png?url';
import butterfly from 'emoji-datasource-google/img/google/64/1f98b.png?url';
import blossom from 'emoji-datasource-google/img/google/64/1f338.png?url';
import mushroom from 'emoji-datasource-google/img/google/64/1f344.png?url';
import octopus from 'emoji-datasource-google/img/google/64/1f419.png?url';
import cactus from 'emoji-datasource-google/img/google/64/1f335.png?url';

export interface PageEmoji {
  char: string;
  /** The CLI's target name for it (`nca train --emoji`). */
  name: string;
  url: string;
}

export const EMOJI: readonly PageEmoji[] = [
  ['🦎', lizard],
  ['🦋', butterfly],
  ['🌸', blossom],
  ['🍄', mushroom],
  ['🐙', octopus],
  ['🌵', cactus],
].map(([char, url]) => ({ char: char!, name: emojiTargetName(char!), url: url! }));
