/**
 * A page's training runs in IndexedDB: what a run is (small, listed on load) apart from its
 * checkpoint (core's checkpoint file, tens of MB with the pool), so a reload lists runs
 * without reading them. The worker writes, the page lists, resumes and forgets.
 */
export interface SavedRun {
  id: string;
  name: string;
  preset: string;
  iteration: number;
  total: number;
  /** 'stopped' and 'done' runs are kept for their download; only unfinished ones are resumed. */
  status: 'training' | 'paused' | 'stopped' | 'done';
  savedAt: number;
  bytes: number;
}

export type StorageErrorCode = 'STORAGE_REFUSED' | 'STORAGE_FULL';

export class StorageError extends Error {
  override readonly name = 'StorageError';
  constructor(
    readonly code: StorageErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const DATABASE = 'nca-studio-training';
const RUNS = 'runs';
const CHECKPOINTS = 'checkpoints';

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new DOMException('the transaction was aborted', 'AbortError'));
  });
}

/** The browser's refusal in the user's words: storage off (private mode, a policy) or full. */
export function storageError(error: unknown, doing: string): StorageError {
  const name = error instanceof DOMException ? error.name : '';
  if (name === 'QuotaExceededError') {
    return new StorageError(
      'STORAGE_FULL',
      `the browser's storage for this site is full, so ${doing} failed; free space (or clear old runs) and the next checkpoint is saved`,
    );
  }
  const detail = error instanceof Error && error.message !== '' ? ` (${error.message})` : '';
  return new StorageError('STORAGE_REFUSED', `the browser refused this page's storage${detail}, so ${doing} failed; the run goes on, but a reload loses it`);
}

export class RunStore {
  private constructor(private readonly db: IDBDatabase) {}

  static async open(): Promise<RunStore> {
    try {
      const opening = indexedDB.open(DATABASE, 1);
      opening.onupgradeneeded = () => {
        opening.result.createObjectStore(RUNS, { keyPath: 'id' });
        opening.result.createObjectStore(CHECKPOINTS);
      };
      return new RunStore(await request(opening));
    } catch (error) {
      throw storageError(error, 'opening the run store');
    }
  }

  /** The run's record and its checkpoint, in one transaction: never one without the other. */
  async save(run: SavedRun, checkpoint: Uint8Array): Promise<void> {
    try {
      const tx = this.db.transaction([RUNS, CHECKPOINTS], 'readwrite');
      tx.objectStore(RUNS).put(run);
      tx.objectStore(CHECKPOINTS).put(checkpoint, run.id);
      await done(tx);
    } catch (error) {
      throw storageError(error, `saving ${run.name}'s checkpoint`);
    }
  }

  async setStatus(id: string, status: SavedRun['status']): Promise<void> {
    const tx = this.db.transaction(RUNS, 'readwrite');
    const store = tx.objectStore(RUNS);
    const run = (await request(store.get(id))) as SavedRun | undefined;
    if (run !== undefined) {
      store.put({ ...run, status });
    }
    await done(tx);
  }

  /** Newest first. */
  async list(): Promise<SavedRun[]> {
    const runs = (await request(this.db.transaction(RUNS).objectStore(RUNS).getAll())) as SavedRun[];
    return runs.sort((a, b) => b.savedAt - a.savedAt);
  }

  async checkpoint(id: string): Promise<Uint8Array | null> {
    const bytes = (await request(this.db.transaction(CHECKPOINTS).objectStore(CHECKPOINTS).get(id))) as Uint8Array | undefined;
    return bytes ?? null;
  }

  async remove(id: string): Promise<void> {
    const tx = this.db.transaction([RUNS, CHECKPOINTS], 'readwrite');
    tx.objectStore(RUNS).delete(id);
    tx.objectStore(CHECKPOINTS).delete(id);
    await done(tx);
  }

  close(): void {
    this.db.close();
  }
}
