import { describe, expect, it } from 'vitest';
import { adaptStepsPerFrame, createPlayer, MAX_STEPS_PER_FRAME, parseSpeed, speedLabel } from './player.ts';
import type { Scheduler, Steppable } from './player.ts';

/** A scheduler the test advances frame by frame, and a target that counts what it was asked. */
function harness() {
  let pending: ((time: number) => void) | null = null;
  let now = 0;
  const scheduler: Scheduler = {
    request(callback) {
      pending = callback;
      return 1;
    },
    cancel() {
      pending = null;
    },
  };
  const target = {
    stepCount: 0,
    draws: 0,
    calls: [] as number[],
    step(count = 1) {
      this.stepCount += count;
      this.calls.push(count);
    },
    draw() {
      this.draws++;
    },
  };
  const steppable: Steppable = target;
  const frame = (ms = 16): boolean => {
    now += ms;
    const callback = pending;
    pending = null;
    callback?.(now);
    return callback !== null;
  };
  return {
    scheduler,
    target,
    steppable,
    frame,
    get pending() {
      return pending !== null;
    },
  };
}

describe('createPlayer', () => {
  it('runs whole steps per frame, and slow motion one step every few frames', () => {
    const h = harness();
    const player = createPlayer(h.steppable, { scheduler: h.scheduler, speed: 2 });
    player.play();
    h.frame();
    h.frame();
    expect(h.target.stepCount).toBe(4);
    player.setSpeed(1 / 4);
    for (let i = 0; i < 8; i++) {
      h.frame();
    }
    expect(h.target.stepCount).toBe(6);
    expect(h.target.calls).toEqual([2, 2, 1, 1]);
  });

  it('stops stepping when paused, and draws once more on request', () => {
    const h = harness();
    const player = createPlayer(h.steppable, { scheduler: h.scheduler });
    player.play();
    h.frame();
    player.pause();
    h.frame();
    expect(h.pending).toBe(false);
    expect(h.target.stepCount).toBe(1);
    const draws = h.target.draws;
    player.redraw();
    h.frame();
    expect(h.target.draws).toBe(draws + 1);
    expect(h.target.stepCount).toBe(1);
    expect(h.pending).toBe(false);
  });

  it('steps once and pauses on stepOnce', () => {
    const h = harness();
    const player = createPlayer(h.steppable, { scheduler: h.scheduler });
    player.play();
    player.stepOnce();
    expect(player.playing).toBe(false);
    expect(h.target.stepCount).toBe(1);
    h.frame();
    expect(h.target.stepCount).toBe(1);
  });

  it('suspends while hidden or off-screen, then resumes by itself', () => {
    const h = harness();
    const player = createPlayer(h.steppable, { scheduler: h.scheduler });
    player.play();
    h.frame();
    player.suspend('hidden', true);
    player.suspend('offscreen', true);
    h.frame();
    expect(h.pending).toBe(false);
    player.suspend('hidden', false);
    expect(h.pending).toBe(false);
    player.suspend('offscreen', false);
    h.frame();
    h.frame();
    expect(player.playing).toBe(true);
    expect(h.target.stepCount).toBe(3);
  });

  it('adapts steps per frame at max speed to the frame time', () => {
    const h = harness();
    const player = createPlayer(h.steppable, { scheduler: h.scheduler, speed: 'max' });
    player.play();
    for (let i = 0; i < 40; i++) {
      h.frame(10);
    }
    const fast = h.target.calls[h.target.calls.length - 1]!;
    expect(fast).toBeGreaterThan(10);
    for (let i = 0; i < 10; i++) {
      h.frame(50);
    }
    expect(h.target.calls[h.target.calls.length - 1]).toBe(1);
  });

  it('reports a paused count that changed between frames at once, before any frame is drawn', () => {
    const h = harness();
    const counts: number[] = [];
    const player = createPlayer(h.steppable, { scheduler: h.scheduler, onStats: (s) => counts.push(s.steps) });
    player.stepOnce();
    player.stepOnce();
    expect(counts).toEqual([1, 2]);
    // A reset puts the state back outside the player; its redraw must show 0 without a frame.
    h.target.stepCount = 0;
    player.redraw();
    expect(counts[counts.length - 1]).toBe(0);
    expect(h.target.draws).toBe(0);
  });

  it('reports steps per second over the last second', () => {
    const h = harness();
    const seen: number[] = [];
    const player = createPlayer(h.steppable, { scheduler: h.scheduler, speed: 3, onStats: (s) => seen.push(s.stepsPerSecond) });
    player.play();
    for (let i = 0; i < 100; i++) {
      h.frame(20);
    }
    // 3 steps every 20 ms.
    expect(seen[seen.length - 1]).toBeCloseTo(150, 0);
  });
});

describe('speed helpers', () => {
  it('adapts by frame time, never below 1 or above the cap', () => {
    expect(adaptStepsPerFrame(8, 10)).toBe(9);
    expect(adaptStepsPerFrame(8, 19)).toBe(8);
    expect(adaptStepsPerFrame(8, 22)).toBe(5);
    expect(adaptStepsPerFrame(8, 40)).toBe(3);
    expect(adaptStepsPerFrame(1, 100)).toBe(1);
    expect(adaptStepsPerFrame(MAX_STEPS_PER_FRAME, 1)).toBe(MAX_STEPS_PER_FRAME);
  });

  it('parses steps-per-frame attributes', () => {
    expect(parseSpeed('4')).toBe(4);
    expect(parseSpeed('0.25')).toBe(0.25);
    expect(parseSpeed(' MAX ')).toBe('max');
    expect(parseSpeed('-1')).toBe(1);
    expect(parseSpeed('fast', 2)).toBe(2);
    expect(parseSpeed(null)).toBe(1);
    expect(speedLabel(0.25)).toBe('1 step / 4 frames');
    expect(speedLabel(2)).toBe('2 steps / frame');
  });
});
