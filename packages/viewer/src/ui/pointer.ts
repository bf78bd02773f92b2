// Pointer and touch gestures on the viewer canvas, in grid coordinates: a drag erases discs
// along its path (damage); a double click or double tap, or a click with Shift, Alt, Ctrl or
// Cmd held, plants a seed.

export interface GridPoint {
  x: number;
  y: number;
}

/** Where a client point falls on the grid, cell centres at integers (cell (0, 0) spans -0.5..0.5). */
export function toGrid(
  clientX: number,
  clientY: number,
  rect: { left: number; top: number; width: number; height: number },
  grid: { width: number; height: number },
): GridPoint {
  return {
    x: ((clientX - rect.left) / rect.width) * grid.width - 0.5,
    y: ((clientY - rect.top) / rect.height) * grid.height - 0.5,
  };
}

/** Points from `from` to `to` at most `spacing` apart (`to` included, `from` not). */
export function strokePoints(from: GridPoint, to: GridPoint, spacing: number): GridPoint[] {
  const distance = Math.hypot(to.x - from.x, to.y - from.y);
  const count = Math.max(1, Math.ceil(distance / Math.max(spacing, 1e-6)));
  return Array.from({ length: count }, (_, i) => {
    const t = (i + 1) / count;
    return { x: from.x + (to.x - from.x) * t, y: from.y + (to.y - from.y) * t };
  });
}

export interface PointerOptions {
  grid(): { width: number; height: number };
  brushRadius(): number;
  damage(x: number, y: number, radius: number): void;
  plant(x: number, y: number): void;
}

/** Two presses within this long (ms), close together, are a double click or tap. */
export const DOUBLE_PRESS_MS = 350;

export function attachPointer(canvas: HTMLElement, options: PointerOptions): () => void {
  let last: GridPoint | null = null;
  let active: number | null = null;
  let previousPress: { time: number; x: number; y: number } | null = null;

  const point = (event: PointerEvent): GridPoint => toGrid(event.clientX, event.clientY, canvas.getBoundingClientRect(), options.grid());

  const onDown = (event: PointerEvent): void => {
    if (event.button !== 0 || active !== null) {
      return;
    }
    event.preventDefault();
    const p = point(event);
    const now = event.timeStamp;
    const near = previousPress !== null && Math.hypot(event.clientX - previousPress.x, event.clientY - previousPress.y) < 24;
    const double = previousPress !== null && near && now - previousPress.time < DOUBLE_PRESS_MS;
    previousPress = double ? null : { time: now, x: event.clientX, y: event.clientY };
    if (double || event.shiftKey || event.altKey || event.ctrlKey || event.metaKey) {
      options.plant(Math.round(p.x), Math.round(p.y));
      return;
    }
    active = event.pointerId;
    canvas.setPointerCapture?.(event.pointerId);
    options.damage(p.x, p.y, options.brushRadius());
    last = p;
  };

  const onMove = (event: PointerEvent): void => {
    if (event.pointerId !== active || last === null) {
      return;
    }
    const p = point(event);
    const radius = options.brushRadius();
    for (const q of strokePoints(last, p, Math.max(0.5, radius / 2))) {
      options.damage(q.x, q.y, radius);
    }
    last = p;
  };

  const onUp = (event: PointerEvent): void => {
    if (event.pointerId === active) {
      active = null;
      last = null;
    }
  };

  canvas.addEventListener('pointerdown', onDown);
  canvas.addEventListener('pointermove', onMove);
  canvas.addEventListener('pointerup', onUp);
  canvas.addEventListener('pointercancel', onUp);
  return () => {
    canvas.removeEventListener('pointerdown', onDown);
    canvas.removeEventListener('pointermove', onMove);
    canvas.removeEventListener('pointerup', onUp);
    canvas.removeEventListener('pointercancel', onUp);
  };
}
