// Keyboard shortcuts: space plays or pauses, s steps, r resets.

export interface KeyActions {
  toggle(): void;
  step(): void;
  reset(): void;
}

const TYPING = new Set(['INPUT', 'TEXTAREA', 'SELECT']);

/** Runs the shortcut for `event`, if any; returns whether it did (and then prevents the default). */
export function handleKey(event: KeyboardEvent, actions: KeyActions): boolean {
  if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) {
    return false;
  }
  const target = event.target as { tagName?: string; isContentEditable?: boolean } | null;
  if (target !== null && (TYPING.has(target.tagName ?? '') || target.isContentEditable === true)) {
    return false;
  }
  const key = event.key;
  // Space on a focused button would also press it.
  if (key === ' ' && target?.tagName === 'BUTTON') {
    return false;
  }
  const action = key === ' ' ? actions.toggle : key === 's' || key === 'S' ? actions.step : key === 'r' || key === 'R' ? actions.reset : null;
  if (action === null) {
    return false;
  }
  event.preventDefault();
  action();
  return true;
}
