// Just enough of a WebM (Matroska, EBML) reader to check what MediaRecorder wrote: the video
// track's size and codec, and how many frames (SimpleBlocks and Blocks) its clusters hold.
// MediaRecorder writes the Segment and Clusters with unknown sizes (all ones): their children
// follow at once, so they are walked into, as every master element is.
const IDS = {
  ebml: 0x1a45dfa3,
  segment: 0x18538067,
  cluster: 0x1f43b675,
  tracks: 0x1654ae6b,
  trackEntry: 0xae,
  video: 0xe0,
  pixelWidth: 0xb0,
  pixelHeight: 0xba,
  codecId: 0x86,
  simpleBlock: 0xa3,
  blockGroup: 0xa0,
  block: 0xa1,
} as const;
const MASTERS: ReadonlySet<number> = new Set([IDS.segment, IDS.cluster, IDS.tracks, IDS.trackEntry, IDS.video, IDS.blockGroup]);

/** A variable-length integer at `at`: its value (the length marker kept for ids) and its length. */
function vint(bytes: Uint8Array, at: number, keepMarker: boolean): { value: number; length: number; unknown: boolean } {
  const first = bytes[at]!;
  let length = 1;
  while (length <= 8 && (first & (0x80 >> (length - 1))) === 0) {
    length++;
  }
  if (length > 8) {
    throw new Error(`not a WebM: bad variable-length integer at byte ${at}`);
  }
  let value = keepMarker ? first : first & (0xff >> length);
  let allOnes = value === 0xff >> length;
  for (let i = 1; i < length; i++) {
    value = value * 256 + bytes[at + i]!;
    allOnes &&= bytes[at + i] === 0xff;
  }
  return { value, length, unknown: !keepMarker && allOnes };
}

export function readWebm(bytes: Uint8Array): { width: number; height: number; codec: string; frames: number } {
  if (vint(bytes, 0, true).value !== IDS.ebml) {
    throw new Error('not a WebM: no EBML header');
  }
  const found = { width: 0, height: 0, codec: '', frames: 0 };
  for (let at = 0; at < bytes.length;) {
    const id = vint(bytes, at, true);
    const size = vint(bytes, at + id.length, false);
    const body = at + id.length + size.length;
    if (MASTERS.has(id.value)) {
      at = body;
      continue;
    }
    const data = bytes.subarray(body, body + size.value);
    if (id.value === IDS.pixelWidth || id.value === IDS.pixelHeight) {
      const value = data.reduce((v, b) => v * 256 + b, 0);
      found[id.value === IDS.pixelWidth ? 'width' : 'height'] = value;
    } else if (id.value === IDS.codecId) {
      found.codec = new TextDecoder().decode(data);
    } else if (id.value === IDS.simpleBlock || id.value === IDS.block) {
      found.frames++;
    }
    at = body + (size.unknown ? 0 : size.value);
  }
  return found;
}
