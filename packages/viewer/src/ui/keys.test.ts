// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { handleKey } from './keys.ts';

function press(key: string, target: HTMLElement, init: KeyboardEventInit = {}): { handled: boolean; log: string[] } {
  const log: string[] = [];
  const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true, ...init });
  Object.defineProperty(event, 'target', { value: target });
  const handled = handleKey(event, { toggle: () => log.push('toggle'), step: () => log.push('step'), reset: () => log.push('reset') });
  return { handled, log };
}

describe('handleKey', () => {
  it('maps space, s and r', () => {
    const body = document.body;
    expect(press(' ', body).log).toEqual(['toggle']);
    expect(press('s', body).log).toEqual(['step']);
    expect(press('R', body).log).toEqual(['reset']);
    expect(press('x', body)).toEqual({ handled: false, log: [] });
  });

  it('leaves typing, browser shortcuts and buttons alone', () => {
    expect(press('s', document.createElement('input')).handled).toBe(false);
    expect(press('r', document.body, { ctrlKey: true }).handled).toBe(false);
    expect(press(' ', document.createElement('button')).handled).toBe(false);
    expect(press('s', document.createElement('button')).log).toEqual(['step']);
  });
});
