// One of the training worker's gradient threads: core's wasm rollout kernel on the samples of
// each batch it is handed, through core's serveGradients (as the CLI's worker threads).
import { RolloutKernel, serveGradients, type RolloutVariant } from '@nca-studio/core/training';

const scope = self as unknown as { postMessage(message: unknown, transfer?: Transferable[]): void; onmessage: ((event: MessageEvent) => void) | null };

// The first message names the kernel build; once it is loaded, the thread serves gradients.
scope.onmessage = (event: MessageEvent<{ variant: RolloutVariant }>) => {
  RolloutKernel.load(event.data.variant).then(
    (kernel) =>
      serveGradients(
        { postMessage: (message, transfer) => scope.postMessage(message, transfer), listen: (request) => (scope.onmessage = (e) => request(e.data)) },
        async (task) => kernel.gradient(task),
        () => kernel.memoryBytes,
      ),
    (error: unknown) => scope.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) }),
  );
};
