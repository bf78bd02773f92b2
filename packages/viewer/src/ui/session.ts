// One live viewer on a page: the controller, the player that runs it, the pointer gestures
// (damage, plant), the keyboard shortcuts and the visibility pause. The app and the
// <nca-viewer> element both create one, so they behave alike.
import type { Viewer } from '../viewer.ts';
import { handleKey } from './keys.ts';
import { createPlayer, watchVisibility, type Player, type PlayerOptions } from './player.ts';
import { attachPointer } from './pointer.ts';

export interface SessionOptions extends PlayerOptions {
  /** Where the gestures are drawn: the viewer's canvas. */
  canvas: HTMLElement;
  /** Where key presses are listened for: the page (app) or the element (widget). */
  keys: Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;
  /** What the visibility pause watches for being off screen. */
  visible: Element;
  brushRadius(): number;
  /** Whether gestures and keys act now (the widget's `interactive`); default always. */
  interactive?(): boolean;
  /** After a disc is erased by the brush (the widget's `damaged` event). */
  onDamage?(x: number, y: number, radius: number): void;
  /** After the state is back to the seed (the `r` key, or `reset()`). */
  onReset?(): void;
}

export interface Session {
  readonly player: Player;
  /** Back to the seed, drawn. */
  reset(): void;
  /** Removes every listener and stops the player (the viewer is its owner's to dispose). */
  dispose(): void;
}

export function createSession(viewer: Viewer, options: SessionOptions): Session {
  const player = createPlayer(viewer, options);
  const interactive = options.interactive ?? ((): boolean => true);
  const reset = (): void => {
    viewer.reset();
    player.redraw();
    options.onReset?.();
  };
  const onKey = (event: Event): void => {
    if (interactive()) {
      handleKey(event as KeyboardEvent, { toggle: () => player.toggle(), step: () => player.stepOnce(), reset });
    }
  };
  options.keys.addEventListener('keydown', onKey);
  const cleanups = [
    attachPointer(options.canvas, {
      grid: () => ({ width: viewer.info.width, height: viewer.info.height }),
      brushRadius: options.brushRadius,
      damage: (x, y, r) => {
        if (interactive()) {
          viewer.damage(x, y, r);
          player.redraw();
          options.onDamage?.(x, y, r);
        }
      },
      plant: (x, y) => {
        if (interactive()) {
          viewer.plant(x, y);
          player.redraw();
        }
      },
    }),
    watchVisibility(options.visible, player),
    () => options.keys.removeEventListener('keydown', onKey),
  ];
  player.redraw();
  return {
    player,
    reset,
    dispose() {
      cleanups.forEach((cleanup) => cleanup());
      player.dispose();
    },
  };
}
