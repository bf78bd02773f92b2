import { describe, expect, it } from 'vitest';
import { storageError } from './runStore.ts';

describe('storageError', () => {
  it("puts the browser's refusals in the user's words", () => {
    const full = storageError(new DOMException('quota', 'QuotaExceededError'), "saving lizard's checkpoint");
    expect(full.code).toBe('STORAGE_FULL');
    expect(full.message).toBe(
      "the browser's storage for this site is full, so saving lizard's checkpoint failed; free space (or clear old runs) and the next checkpoint is saved",
    );
    const refused = storageError(new DOMException('The user denied permission to access the database.', 'SecurityError'), 'opening the run store');
    expect(refused.code).toBe('STORAGE_REFUSED');
    expect(refused.message).toMatch(
      /^the browser refused this page's storage \(The user denied permission.*\), so opening the run store failed; the run goes on, but a reload loses it$/,
    );
  });
});
