// JSON.parse keeps the last of two equal keys; Python's safetensors (serde) refuses such a
// header. So do we: a file means one thing to every reader.

/**
 * The first key that appears twice in one object of `text`, which must be valid JSON (the
 * caller has parsed it), or null. Walks the text once, one set of keys per open object.
 */
export function firstDuplicateKey(text: string): string | null {
  const objects: Array<Set<string> | null> = [];
  let i = 0;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === '"') {
      let end = i + 1;
      while (text[end] !== '"') {
        end += text[end] === '\\' ? 2 : 1;
      }
      const top = objects[objects.length - 1];
      let next = end + 1;
      while (next < text.length && /\s/.test(text[next]!)) {
        next++;
      }
      // A string directly followed by ':' is a key of the innermost object.
      if (top != null && text[next] === ':') {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.has(key)) {
          return key;
        }
        top.add(key);
      }
      i = end + 1;
      continue;
    }
    if (ch === '{') {
      objects.push(new Set());
    } else if (ch === '[') {
      objects.push(null);
    } else if (ch === '}' || ch === ']') {
      objects.pop();
    }
    i++;
  }
  return null;
}
