import { GradientPool, type GradientPort, type RolloutVariant } from '@nca-studio/core/training';

/** A Web Worker as core's GradientPool talks to it. */
function webWorkerPort(worker: Worker): GradientPort {
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer),
    listen(reply, fail) {
      const onMessage = (event: MessageEvent): void => reply(event.data);
      const onError = (event: ErrorEvent): void => fail(new Error(`a gradient thread failed: ${event.message}`));
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      return () => {
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
      };
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * The kernel's gradient threads of a page: core's GradientPool (the CLI's, over worker threads)
 * over one Web Worker per thread, each loading the kernel build asked for. A page trains on
 * every core, as `nca train` does.
 */
export function startKernelThreads(count: number, variant: RolloutVariant): Promise<GradientPool> {
  const ports = Array.from({ length: count }, () => webWorkerPort(new Worker(new URL('./kernelThread.ts', import.meta.url), { type: 'module' })));
  return GradientPool.start(ports, 'sample', { variant });
}
