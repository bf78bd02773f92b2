// TextEncoder and TextDecoder exist in every browser and in Node, but their types live in the
// DOM and Node libraries, which this package's tsconfig leaves out so that src cannot lean on
// either platform. So the two constructors are typed here, structurally, and nothing more.
interface Utf8Globals {
  TextEncoder: new () => { encode(text: string): Uint8Array };
  TextDecoder: new (label: 'utf-8', options: { fatal: boolean }) => { decode(bytes: Uint8Array): string };
}

const platform = globalThis as unknown as Utf8Globals;

export function encodeUtf8(text: string): Uint8Array {
  return new platform.TextEncoder().encode(text);
}

/** Throws a TypeError on malformed UTF-8 instead of inserting U+FFFD. */
export function decodeUtf8Strict(bytes: Uint8Array): string {
  return new platform.TextDecoder('utf-8', { fatal: true }).decode(bytes);
}
