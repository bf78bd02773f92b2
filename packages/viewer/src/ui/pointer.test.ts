// @vitest-environment jsdom
import { describe, expect, it } from 'vitest';
import { attachPointer, DOUBLE_PRESS_MS, strokePoints, toGrid } from './pointer.ts';

describe('toGrid', () => {
  it('maps client pixels to cell coordinates with cell centres at integers', () => {
    const rect = { left: 10, top: 20, width: 400, height: 200 };
    expect(toGrid(10, 20, rect, { width: 100, height: 50 })).toEqual({ x: -0.5, y: -0.5 });
    expect(toGrid(12, 22, rect, { width: 100, height: 50 })).toEqual({ x: 0, y: 0 });
    expect(toGrid(410, 220, rect, { width: 100, height: 50 })).toEqual({ x: 99.5, y: 49.5 });
  });

  it('fills a stroke with points no further apart than the spacing', () => {
    const points = strokePoints({ x: 0, y: 0 }, { x: 10, y: 0 }, 3);
    expect(points.map((p) => p.x)).toEqual([2.5, 5, 7.5, 10]);
    expect(strokePoints({ x: 1, y: 1 }, { x: 1, y: 1 }, 3)).toEqual([{ x: 1, y: 1 }]);
  });
});

/** jsdom has no PointerEvent: a MouseEvent with a pointerId reads the same to the handler. */
function pointer(type: string, init: MouseEventInit & { pointerId?: number; timeStamp?: number }): Event {
  const event = new MouseEvent(type, { bubbles: true, cancelable: true, ...init });
  Object.defineProperty(event, 'pointerId', { value: init.pointerId ?? 1 });
  if (init.timeStamp !== undefined) {
    Object.defineProperty(event, 'timeStamp', { value: init.timeStamp });
  }
  return event;
}

function setup() {
  const canvas = document.createElement('canvas');
  canvas.getBoundingClientRect = () => ({ left: 0, top: 0, width: 100, height: 100, right: 100, bottom: 100, x: 0, y: 0, toJSON: () => ({}) });
  const damaged: number[][] = [];
  const planted: number[][] = [];
  const detach = attachPointer(canvas, {
    grid: () => ({ width: 10, height: 10 }),
    brushRadius: () => 2,
    damage: (x, y, r) => damaged.push([x, y, r]),
    plant: (x, y) => planted.push([x, y]),
  });
  return { canvas, damaged, planted, detach };
}

describe('attachPointer', () => {
  it('erases along a drag, and stops at pointerup', () => {
    const { canvas, damaged } = setup();
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 15, clientY: 55, button: 0, timeStamp: 0 }));
    canvas.dispatchEvent(pointer('pointermove', { clientX: 45, clientY: 55, timeStamp: 10 }));
    canvas.dispatchEvent(pointer('pointerup', { clientX: 45, clientY: 55, timeStamp: 20 }));
    canvas.dispatchEvent(pointer('pointermove', { clientX: 95, clientY: 95, timeStamp: 30 }));
    expect(damaged[0]).toEqual([1, 5, 2]);
    expect(damaged[damaged.length - 1]).toEqual([4, 5, 2]);
    // From x = 1 to 4 at most radius / 2 = 1 cell apart.
    expect(damaged.map(([x]) => x)).toEqual([1, 2, 3, 4]);
  });

  it('plants a seed on a double press or a modifier click', () => {
    const { canvas, planted, damaged } = setup();
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 55, clientY: 55, button: 0, timeStamp: 1000 }));
    canvas.dispatchEvent(pointer('pointerup', { clientX: 55, clientY: 55, timeStamp: 1050 }));
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 56, clientY: 55, button: 0, timeStamp: 1000 + DOUBLE_PRESS_MS - 50 }));
    expect(planted).toEqual([[5, 5]]);
    expect(damaged).toHaveLength(1);
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 25, clientY: 35, button: 0, shiftKey: true, timeStamp: 5000 }));
    expect(planted).toEqual([
      [5, 5],
      [2, 3],
    ]);
  });

  it('ignores other buttons and detaches', () => {
    const { canvas, damaged, detach } = setup();
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 15, clientY: 15, button: 2 }));
    detach();
    canvas.dispatchEvent(pointer('pointerdown', { clientX: 15, clientY: 15, button: 0 }));
    expect(damaged).toEqual([]);
  });
});
