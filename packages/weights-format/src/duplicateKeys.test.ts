import { describe, expect, it } from 'vitest';
import { firstDuplicateKey } from './duplicateKeys.ts';

describe('firstDuplicateKey', () => {
  it('finds a key twice at any depth, after decoding escapes', () => {
    expect(firstDuplicateKey('{"a": 1, "b": 2, "a": 3}')).toBe('a');
    expect(firstDuplicateKey('{"x": {"k": 1, "k": 2}}')).toBe('k');
    expect(firstDuplicateKey('{"\\u0061": 1, "a": 2}')).toBe('a');
    expect(firstDuplicateKey('[{"a": 1}, {"a": 2, "b": {"a": 3}}]')).toBeNull();
  });

  it('does not take strings that are values, or contain quotes and colons, for keys', () => {
    expect(firstDuplicateKey('{"a": "a", "b": ["a", "a"], "c": "x\\": y"}')).toBeNull();
    expect(firstDuplicateKey('{"a\\"b": 1, "a\\"b" : 2}')).toBe('a"b');
  });
});
