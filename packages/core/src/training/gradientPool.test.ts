import { DEFAULT_CONFIG } from '@nca-studio/weights-format';
import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createParams } from '../freshParams.ts';
import { drawFire } from '../fireDraw.ts';
import { createRng } from '../rng.ts';
import { seedArray } from '../seed.ts';
import { kernelBatchGradient } from '../wasm/rolloutKernel.ts';
import { GradientPool, GradientPoolError, serveGradients, type GradientPort } from './gradientPool.ts';
import type { GradientFunction, GradientTask } from './gradientTask.ts';
import { shardedGradient } from './shards.ts';

/** A worker in this thread: a MessageChannel whose far end serves `gradient`. */
function channelPort(gradient: GradientFunction): GradientPort {
  const { port1, port2 } = new MessageChannel();
  serveGradients(
    { postMessage: (message, transfer) => port2.postMessage(message, transfer), listen: (request) => port2.on('message', request) },
    gradient,
    () => 7,
  );
  return {
    postMessage: (message, transfer) => port1.postMessage(message, transfer),
    listen(reply) {
      port1.on('message', reply);
      return () => port1.off('message', reply);
    },
    terminate: () => {
      port1.close();
      port2.close();
    },
  };
}

function task(): GradientTask {
  const config = { ...DEFAULT_CONFIG, hidden: 16, gridWidth: 10, gridHeight: 10 };
  const rng = createRng(4);
  const grid = { height: 10, width: 10, channels: config.channels };
  return {
    config,
    params: createParams(config, rng),
    states: seedArray(grid, 3),
    count: 3,
    steps: 5,
    fire: drawFire(rng, 5 * 3 * 100, 0.5),
    target: new Float32Array(400).fill(0.5),
    batch: 3,
    overflowWeight: 0,
    outsideWeight: 0,
    detailWeight: 0,
  };
}

describe('GradientPool over ports', () => {
  it("gives the bits of shardedGradient on this thread, and counts each worker's time and memory", async () => {
    const pool = await GradientPool.start([channelPort(kernelBatchGradient), channelPort(kernelBatchGradient)], 'sample');
    expect(pool.size).toBe(2);
    expect(pool.tfjsLoaded).toEqual([true, true].map(() => '_tfengine' in globalThis));
    const pooled = await pool.gradient(task());
    const local = await shardedGradient(task(), 2, (part) => kernelBatchGradient(part), 'sample');
    pooled.grads.forEach((g, i) => expect(Array.from(g)).toEqual(Array.from(local.grads[i]!)));
    expect(Array.from(pooled.final)).toEqual(Array.from(local.final));
    expect(pool.memoryBytes).toBe(14);
    expect(pool.load().busy).toHaveLength(2);
    expect(pool.load().gradientSeconds).toBeGreaterThan(0);
    await pool.stop();
  });

  it('a worker whose gradient fails fails the batch with its message', async () => {
    const pool = await GradientPool.start([channelPort(async () => Promise.reject(new Error('out of memory'))), channelPort(kernelBatchGradient)], 'sample');
    await expect(pool.gradient(task())).rejects.toThrow(GradientPoolError);
    await expect(pool.gradient(task())).rejects.toThrow(/a gradient worker failed: out of memory/);
    await pool.stop();
  });

  it('a worker that dies fails its batch at once, and a failed pool refuses more work instead of mixing up replies', async () => {
    let crash: (error: Error) => void = () => {};
    const live = channelPort(kernelBatchGradient);
    const dying: GradientPort = {
      ...live,
      listen(reply, fail) {
        crash = fail;
        return live.listen(reply, fail);
      },
    };
    const pool = await GradientPool.start([dying, channelPort(kernelBatchGradient)], 'sample');
    crash(new Error('gradient worker exited with code 1'));
    await expect(pool.gradient(task())).rejects.toThrow(/exited with code 1/);
    await expect(pool.gradient(task())).rejects.toThrow(/the gradient workers failed before \(gradient worker exited with code 1\); start them again/);
    await pool.stop();
  });
});
