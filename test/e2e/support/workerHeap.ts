// The JS heap of a page's dedicated worker, read through the DevTools protocol (a worker has
// no performance.memory): a garbage collection first, so what is left is what the run holds.
import type { CDPSession, Page } from 'playwright-core';

export interface WorkerHeap {
  /** Bytes in use after a full collection, in the page's first worker (its own workers are not attached). */
  used(): Promise<number>;
  detach(): Promise<void>;
}

export async function watchWorkerHeap(page: Page): Promise<WorkerHeap> {
  const session: CDPSession = await page.context().newCDPSession(page);
  const workers: string[] = [];
  const pending = new Map<number, (result: unknown) => void>();
  let next = 1;
  session.on('Target.attachedToTarget', (event: { sessionId: string; targetInfo: { type: string } }) => {
    if (event.targetInfo.type === 'worker') {
      workers.push(event.sessionId);
    }
  });
  session.on('Target.receivedMessageFromTarget', (event: { message: string }) => {
    const reply = JSON.parse(event.message) as { id?: number; result?: unknown };
    if (reply.id !== undefined) {
      pending.get(reply.id)?.(reply.result);
      pending.delete(reply.id);
    }
  });
  await session.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  const call = async (sessionId: string, method: string): Promise<unknown> => {
    const id = next++;
    const answer = new Promise<unknown>((resolve) => pending.set(id, resolve));
    await session.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method }) });
    return answer;
  };
  return {
    async used() {
      const worker = workers[0];
      if (worker === undefined) {
        throw new Error('the page has no worker');
      }
      await call(worker, 'HeapProfiler.collectGarbage');
      return ((await call(worker, 'Runtime.getHeapUsage')) as { usedSize: number }).usedSize;
    },
    async detach() {
      await session.detach();
    },
  };
}
