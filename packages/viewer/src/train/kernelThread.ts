// One of the training worker's gradient threads: core's wasm rollout kernel on the samples of
// each batch it is handed (the CLI's worker threads, as Web Workers).
import { RolloutKernel, type GradientTask, type RolloutVariant } from '@nca-studio/core/training';

type Message = { variant: RolloutVariant } | { task: GradientTask };

const scope = self as unknown as { postMessage(message: unknown, transfer?: Transferable[]): void; onmessage: ((event: MessageEvent<Message>) => void) | null };
let kernel: RolloutKernel | null = null;

scope.onmessage = (event) => {
  const message = event.data;
  if ('variant' in message) {
    RolloutKernel.load(message.variant).then(
      (loaded) => {
        kernel = loaded;
        scope.postMessage({ ready: true });
      },
      (error: unknown) => scope.postMessage({ ok: false, message: String(error) }),
    );
    return;
  }
  try {
    const result = kernel!.gradient(message.task);
    scope.postMessage({ ok: true, result, memory: kernel!.memoryBytes }, [result.final.buffer, result.losses.buffer, ...result.grads.map((g) => g.buffer)] as Transferable[]);
  } catch (error) {
    scope.postMessage({ ok: false, message: error instanceof Error ? error.message : String(error) });
  }
};
