// When a widget's pattern has grown, when it was cut and when it has healed: the `grown`,
// `damaged` and `regrown` events, judged from state readbacks a few steps apart. With the model's
// target the measure is nca eval's (the IoU of alpha > 0.1 against the stored target, core's
// alphaIou); without one (a Distill import), the pattern counts as grown once its living cells
// stop changing.
import { alphaIou } from '@nca-studio/core';
import { MATURE_ALPHA } from '@nca-studio/weights-format';

/** An IoU this close to the picture counts as grown (the eval's goal for a model is 0.85). */
export const GROWN_IOU = 0.8;
/** Steps between two readbacks while growing or healing; none are made while the pattern holds. */
export const CHECK_EVERY_STEPS = 16;
/** Between two checks, a change this small (in IoU, or as a fraction of living cells) is a pattern that has stopped growing. */
const SETTLED = 0.01;
/** Healed: back within this much of the IoU it had when grown. */
const HEALED_MARGIN = 0.02;

export interface Reading {
  /** Steps since the last reset or start. */
  steps: number;
  /** IoU with the target, or null without one. */
  iou: number | null;
  /** Cells with alpha > MATURE_ALPHA. */
  alive: number;
}

export type Change = { kind: 'grown'; reading: Reading } | { kind: 'regrown'; reading: Reading; stepsSinceCut: number };

export interface GrowthWatch {
  /** Growing or healing: readings are wanted from time to time. */
  readonly watching: boolean;
  /** Whether a readback is wanted now (growing or healing, and CHECK_EVERY_STEPS since the last). */
  wants(steps: number): boolean;
  /** A readback: the change it shows, if any. */
  observe(reading: Reading): Change | null;
  /**
   * A cut at `steps`: from now on, healing is watched for (once grown). True for the first cut
   * since the pattern last grown or healed: a brush stroke is many cuts and one `damaged` event.
   */
  cut(steps: number): boolean;
  /** Back to the seed, or a new start: growing is watched for again. */
  restart(): void;
}

export function createGrowthWatch(): GrowthWatch {
  let phase: 'growing' | 'grown' | 'healing' = 'growing';
  let previous: Reading | null = null;
  let grownIou: number | null = null;
  let cutAt = 0;
  let open = false;
  const settled = (reading: Reading): boolean => {
    if (previous === null || reading.alive === 0) {
      return false;
    }
    return reading.iou !== null && previous.iou !== null
      ? Math.abs(reading.iou - previous.iou) < SETTLED
      : Math.abs(reading.alive - previous.alive) <= SETTLED * reading.alive;
  };
  return {
    get watching() {
      return phase !== 'grown';
    },
    wants(steps) {
      return phase !== 'grown' && (previous === null || steps - previous.steps >= CHECK_EVERY_STEPS || steps < previous.steps);
    },
    observe(reading) {
      let change: Change | null = null;
      if (phase === 'growing') {
        const reached = reading.iou !== null ? reading.iou >= GROWN_IOU || (reading.iou >= 0.5 && settled(reading)) : settled(reading);
        if (reached) {
          phase = 'grown';
          open = false;
          grownIou = reading.iou;
          change = { kind: 'grown', reading };
        }
      } else if (phase === 'healing') {
        const healed = reading.iou !== null && grownIou !== null ? reading.iou >= grownIou - HEALED_MARGIN : settled(reading);
        if (healed) {
          phase = 'grown';
          open = false;
          change = { kind: 'regrown', reading, stepsSinceCut: reading.steps - cutAt };
        }
      }
      previous = reading;
      return change;
    },
    cut(steps) {
      const fresh = !open;
      open = true;
      if (fresh) {
        cutAt = steps;
      }
      previous = null;
      if (phase !== 'growing') {
        phase = 'healing';
      }
      return fresh;
    },
    restart() {
      open = false;
      phase = 'growing';
      previous = null;
      grownIou = null;
    },
  };
}

/** A reading of a state [H, W, C] against the target's RGBA bytes of the same grid (or none). */
export function readPattern(state: Float32Array, channels: number, steps: number, target: Uint8Array | null): Reading {
  let alive = 0;
  for (let i = 3; i < state.length; i += channels) {
    alive += state[i]! > MATURE_ALPHA ? 1 : 0;
  }
  const iou = target === null || target.length / 4 !== state.length / channels ? null : alphaIou(state, target, 1, channels);
  return { steps, iou, alive };
}
