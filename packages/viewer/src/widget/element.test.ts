// @vitest-environment jsdom
// The element's error path needs no GPU: a bad src fails before a viewer is made.
import { describe, expect, it } from 'vitest';
import './index.ts';
import type { NcaErrorDetail } from './element.ts';

function nextError(element: HTMLElement): Promise<NcaErrorDetail> {
  return new Promise((resolve) =>
    element.addEventListener('error', (event) => resolve((event as unknown as CustomEvent<NcaErrorDetail>).detail), { once: true }),
  );
}

describe('<nca-viewer>', () => {
  it('is defined once, with a canvas in its shadow root', () => {
    const element = document.createElement('nca-viewer');
    expect(element.constructor.name).toBe('NcaViewerElement');
    expect(element.shadowRoot?.querySelector('canvas')).toBeTruthy();
    expect(element.playing).toBe(false);
    // Methods before a model loads are harmless.
    element.pause();
    element.reset();
    element.damage(1, 2, 3);
  });

  it('fires error with the weights-format message for a corrupt src', async () => {
    const element = document.createElement('nca-viewer');
    element.setAttribute('src', 'data:application/octet-stream;base64,AAAAAAAAAAAA');
    const error = nextError(element);
    document.body.append(element);
    const detail = await error;
    expect(detail.code).toBe('NOT_SAFETENSORS');
    expect(detail.src).toMatch(/^data:/);
    expect(element.error).toBe(detail.message);
    expect(element.shadowRoot?.querySelector('[role=alert]')?.textContent).toBe(detail.message);
    element.remove();
  });

  it('fires error when src is empty', async () => {
    const element = document.createElement('nca-viewer');
    element.setAttribute('src', '');
    const error = nextError(element);
    document.body.append(element);
    expect((await error).message).toContain('no src attribute');
    element.remove();
  });
});
