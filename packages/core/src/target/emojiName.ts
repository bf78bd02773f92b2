/** Lower-case hex code points joined by '-', as the emoji image packages name their files. */
export function emojiCodepoints(char: string): string {
  return Array.from(char, (c) => c.codePointAt(0)!.toString(16)).join('-');
}

/** A run's target name for an emoji (`nca train --emoji 🦎` and the page's 🦎: emoji-1f98e). */
export function emojiTargetName(char: string): string {
  return `emoji-${emojiCodepoints(char)}`;
}
