// The animation loop both skins share: play, pause, single step, speed, steps/s, and pausing
// while the page is hidden or the canvas is off-screen.

/** Steps per frame; below 1 one step every 1/speed frames (slow motion); 'max' adapts. */
export type Speed = number | 'max';

/** The speed control's positions, slowest first. */
export const SPEEDS: readonly Speed[] = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 1, 2, 4, 8, 'max'];

export function speedLabel(speed: Speed): string {
  if (speed === 'max') {
    return 'max';
  }
  return speed < 1 ? `1 step / ${Math.round(1 / speed)} frames` : `${speed} step${speed === 1 ? '' : 's'} / frame`;
}

/** Parses the widget's steps-per-frame attribute: a positive number or "max". */
export function parseSpeed(text: string | null | undefined, fallback: Speed = 1): Speed {
  if (text === null || text === undefined || text.trim() === '') {
    return fallback;
  }
  if (text.trim().toLowerCase() === 'max') {
    return 'max';
  }
  const value = Number(text);
  return Number.isFinite(value) && value > 0 ? Math.min(value, MAX_STEPS_PER_FRAME) : fallback;
}

/** A frame should take about this long at max speed. */
const TARGET_FRAME_MS = 16;
export const MAX_STEPS_PER_FRAME = 64;

/**
 * Max speed: more steps per frame while frames come fast, fewer as soon as one runs late. The
 * GPU works asynchronously, so the time between frames is what tells how much it can take.
 */
export function adaptStepsPerFrame(current: number, frameMs: number): number {
  if (frameMs > TARGET_FRAME_MS * 1.25) {
    // In proportion to how late the frame was, by at least a quarter.
    return Math.max(1, Math.min(Math.floor(current * 0.75), Math.floor((current * TARGET_FRAME_MS) / frameMs)));
  }
  if (frameMs < TARGET_FRAME_MS * 1.1) {
    return Math.min(MAX_STEPS_PER_FRAME, current + Math.max(1, Math.floor(current / 8)));
  }
  return current;
}

export interface PlayerStats {
  steps: number;
  stepsPerSecond: number;
  stepsPerFrame: number;
  playing: boolean;
}

/** What the player drives: the controller's verbs. */
export interface Steppable {
  step(count?: number): void;
  draw(): void;
  readonly stepCount: number;
}

export interface Scheduler {
  request(callback: (time: number) => void): number;
  cancel(handle: number): void;
}

export interface PlayerOptions {
  speed?: Speed;
  /**
   * Called at most every `statsIntervalMs` while playing (a text change repaints the page, which
   * costs frames on software renderers) and at once on play, pause, step and reset.
   */
  onStats?: (stats: PlayerStats) => void;
  statsIntervalMs?: number;
  scheduler?: Scheduler;
}

export type SuspendReason = 'hidden' | 'offscreen';

export interface Player {
  readonly playing: boolean;
  readonly speed: Speed;
  readonly suspended: boolean;
  play(): void;
  pause(): void;
  toggle(): void;
  /** One step and a draw (pauses first). */
  stepOnce(): void;
  setSpeed(speed: Speed): void;
  /** Stops the loop without changing `playing` (hidden tab, canvas scrolled away). */
  suspend(reason: SuspendReason, on: boolean): void;
  /**
   * Draws on the next frame even when paused (after damage, reset, a view change); while paused
   * it also reports the stats at once, since a reset changes the step count between frames.
   */
  redraw(): void;
  /** Another viewer (a new model): the steps/s window starts again. */
  setTarget(target: Steppable): void;
  dispose(): void;
}

const browserScheduler: Scheduler = {
  request: (callback) => requestAnimationFrame(callback),
  cancel: (handle) => cancelAnimationFrame(handle),
};

export function createPlayer(initial: Steppable, options: PlayerOptions = {}): Player {
  const scheduler = options.scheduler ?? browserScheduler;
  let target = initial;
  let playing = false;
  let speed: Speed = options.speed ?? 1;
  const suspendedBy = new Set<SuspendReason>();
  let handle: number | null = null;
  let needsDraw = true;
  let lastFrame: number | null = null;
  let slowCredit = 0;
  let adaptive = 1;
  let stepsPerFrame = 1;
  // (time, stepCount) samples of the last second, for steps/s.
  let samples: [number, number][] = [];
  let disposed = false;
  let lastReport = -Infinity;
  const statsInterval = options.statsIntervalMs ?? 250;

  const stats = (): PlayerStats => {
    const first = samples[0];
    const last = samples[samples.length - 1];
    const seconds = first !== undefined && last !== undefined ? (last[0] - first[0]) / 1000 : 0;
    const stepsPerSecond = playing && seconds > 0.2 && first !== undefined && last !== undefined ? (last[1] - first[1]) / seconds : 0;
    return { steps: target.stepCount, stepsPerSecond, stepsPerFrame, playing };
  };

  const report = (): void => options.onStats?.(stats());

  /** From the frame loop: throttled while playing. */
  const reportFrame = (time: number): void => {
    if (!playing || time - lastReport >= statsInterval) {
      lastReport = time;
      options.onStats?.(stats());
    }
  };

  const schedule = (): void => {
    if (handle === null && !disposed && (needsDraw || (playing && suspendedBy.size === 0))) {
      handle = scheduler.request(frame);
    }
  };

  const frame = (time: number): void => {
    handle = null;
    const running = playing && suspendedBy.size === 0;
    if (running) {
      let count: number;
      if (speed === 'max') {
        if (lastFrame !== null) {
          adaptive = adaptStepsPerFrame(adaptive, time - lastFrame);
        }
        count = adaptive;
      } else if (speed < 1) {
        slowCredit += speed;
        count = Math.floor(slowCredit + 1e-9);
        slowCredit -= count;
      } else {
        count = Math.round(speed);
      }
      stepsPerFrame = speed === 'max' ? adaptive : typeof speed === 'number' ? speed : 1;
      if (count > 0) {
        target.step(count);
        needsDraw = true;
      }
      lastFrame = time;
      samples.push([time, target.stepCount]);
      while (samples.length > 2 && time - samples[0]![0] > 1000) {
        samples.shift();
      }
    } else {
      lastFrame = null;
    }
    if (needsDraw) {
      target.draw();
      needsDraw = false;
    }
    reportFrame(time);
    schedule();
  };

  const restartMeter = (): void => {
    samples = [];
    lastFrame = null;
  };

  const play = (): void => {
    if (!playing) {
      playing = true;
      restartMeter();
      schedule();
      report();
    }
  };

  const pause = (): void => {
    if (playing) {
      playing = false;
      restartMeter();
      report();
    }
  };

  const redraw = (): void => {
    needsDraw = true;
    schedule();
    // A paused page may not draw a frame for a while (a busy software renderer); the count it
    // shows must not wait for one.
    if (!playing) {
      report();
    }
  };

  return {
    get playing() {
      return playing;
    },
    get speed() {
      return speed;
    },
    get suspended() {
      return suspendedBy.size > 0;
    },
    play,
    pause,
    toggle: () => (playing ? pause() : play()),
    stepOnce() {
      pause();
      target.step(1);
      redraw();
    },
    setSpeed(next) {
      speed = next;
      slowCredit = 0;
      adaptive = 1;
      restartMeter();
    },
    suspend(reason, on) {
      if (on) {
        suspendedBy.add(reason);
      } else if (suspendedBy.delete(reason)) {
        restartMeter();
        schedule();
      }
    },
    redraw,
    setTarget(next) {
      target = next;
      restartMeter();
      redraw();
    },
    dispose() {
      disposed = true;
      if (handle !== null) {
        scheduler.cancel(handle);
        handle = null;
      }
    },
  };
}

/**
 * Suspends `player` while the document is hidden or `element` is scrolled out of view.
 * Returns the function that stops watching.
 */
export function watchVisibility(element: Element, player: Pick<Player, 'suspend'>): () => void {
  const onVisibility = (): void => player.suspend('hidden', document.visibilityState === 'hidden');
  document.addEventListener('visibilitychange', onVisibility);
  onVisibility();
  let observer: IntersectionObserver | null = null;
  if (typeof IntersectionObserver !== 'undefined') {
    observer = new IntersectionObserver((entries) => {
      const entry = entries[entries.length - 1];
      if (entry !== undefined) {
        player.suspend('offscreen', !entry.isIntersecting);
      }
    });
    observer.observe(element);
  }
  return () => {
    document.removeEventListener('visibilitychange', onVisibility);
    observer?.disconnect();
  };
}
