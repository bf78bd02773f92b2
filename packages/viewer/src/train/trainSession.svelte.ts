// The Train view's run: the training worker it starts and talks to, and what the page shows of
// it (phase, progress, saves, the finished model). The view keeps the picture and the form;
// everything between a Start and a finished model lives here.
import type { RolloutVariant } from '@nca-studio/core/training';
import type { RunPlan } from '@nca-studio/weights-format';
import { GrowthPreview } from './growthPreview.ts';
import type { FromWorker, RunEvaluation, ToWorker, TrainRoute, WorkerMemory } from './protocol.ts';
import { RunStore, type SavedRun } from './runStore.ts';

export type Phase = 'idle' | 'starting' | 'training' | 'paused' | 'finishing' | 'finished';

/** What the page asks of every run: save and preview cadences, and the kernel build and threads. */
export interface SessionOptions {
  checkpointSeconds: number;
  previewSeconds: number;
  variant?: RolloutVariant;
  threads?: number;
}

/** A finished or stopped run's model file, ready to download or to view. */
export interface RunResult {
  url: string;
  file: string;
  bytes: Uint8Array;
  status: 'stopped' | 'done';
}

export class TrainSession {
  phase = $state<Phase>('idle');
  /** The run's own problem (a failure, a missing checkpoint), for the view's alert. */
  problem = $state<string | null>(null);
  storageNote = $state<string | null>(null);
  routeLine = $state('');
  /** Whether the run (new or resumed) weaves a texture: what the preview, figures and snippet say follows the run, not the form. */
  texture = $state(false);
  /** Whether the training worker loaded tfjs (only the tfjs route does): shown to tests as data-tfjs. */
  workerTfjs = $state<boolean | null>(null);
  iteration = $state(0);
  total = $state(0);
  losses = $state<number[]>([]);
  perSecond = $state(0);
  /** The finished model's figures (and a growing model's verdict, as nca train ends with them). */
  evaluation = $state<RunEvaluation | null>(null);
  /** Seconds left in a time budget, null for a run by count (or before the first progress). */
  timeLeft = $state<number | null>(null);
  memory = $state<WorkerMemory | null>(null);
  savedAt = $state<number | null>(null);
  previewIteration = $state(0);
  previewProblem = $state<string | null>(null);
  /** Unfinished runs saved in this browser, to resume. */
  saved = $state<SavedRun[]>([]);
  result = $state<RunResult | null>(null);
  runId = '';

  private worker: Worker | null = null;
  private preview: GrowthPreview | null = null;

  constructor(
    private readonly options: SessionOptions,
    /** The canvas the growth preview draws on, once the view has it. */
    private readonly previewCanvas: () => HTMLCanvasElement,
    /** The model file's name: the target's, by default the run's. */
    private readonly fileName: () => string | null,
  ) {}

  get busy(): boolean {
    return this.phase === 'starting' || this.phase === 'training' || this.phase === 'paused' || this.phase === 'finishing';
  }

  /** The unfinished runs saved in this browser (a note where storage refuses). */
  async loadSaved(): Promise<void> {
    try {
      const store = await RunStore.open();
      this.saved = (await store.list()).filter((run) => run.status === 'training' || run.status === 'paused');
      store.close();
    } catch (error) {
      this.storageNote = `Checkpoints: ${describe(error)}`;
    }
  }

  /** A new run of `plan` on `target` (its padded premultiplied values, handed to the worker). */
  start(plan: RunPlan, target: Float32Array, name: string, route: TrainRoute | 'auto'): void {
    this.runId = `${name}-${Date.now().toString(36)}`;
    this.begin();
    this.texture = plan.exemplar !== undefined;
    this.losses = [];
    this.iteration = 0;
    this.total = plan.training.iterations;
    this.open();
    this.send({ type: 'start', id: this.runId, plan, target, route, ...this.common() }, [target.buffer as ArrayBuffer]);
  }

  /** A saved run, from its checkpoint in this browser. */
  async resume(run: SavedRun, route: TrainRoute | 'auto'): Promise<void> {
    const store = await RunStore.open();
    try {
      const checkpoint = await store.checkpoint(run.id);
      if (checkpoint === null) {
        this.problem = `${run.name}'s checkpoint is gone from this browser's storage`;
        return;
      }
      this.runId = run.id;
      this.begin();
      this.open();
      this.send({ type: 'start', id: run.id, checkpoint, route, ...this.common() }, [checkpoint.buffer as ArrayBuffer]);
    } finally {
      store.close();
    }
  }

  /** A run's last checkpoint as bytes: in a folder of its own, `nca train --resume FOLDER` continues it. */
  async checkpoint(id: string): Promise<Uint8Array | null> {
    const store = await RunStore.open();
    try {
      return await store.checkpoint(id);
    } finally {
      store.close();
    }
  }

  async forget(run: SavedRun): Promise<void> {
    const store = await RunStore.open();
    await store.remove(run.id);
    this.saved = await store.list();
    store.close();
  }

  pause(): void {
    this.send({ type: this.phase === 'paused' ? 'resume' : 'pause' });
    if (this.phase === 'paused') {
      this.phase = 'training';
    }
  }

  stop(): void {
    this.phase = 'finishing';
    this.send({ type: 'stop' });
  }

  dispose(): void {
    this.worker?.terminate();
    this.preview?.dispose();
    if (this.result !== null) {
      URL.revokeObjectURL(this.result.url);
    }
  }

  private common(): Pick<Extract<ToWorker, { type: 'start' }>, 'checkpointSeconds' | 'previewSeconds' | 'variant' | 'threads'> {
    const { checkpointSeconds, previewSeconds, variant, threads } = this.options;
    return { checkpointSeconds, previewSeconds, ...(variant === undefined ? {} : { variant }), ...(threads === undefined ? {} : { threads }) };
  }

  private begin(): void {
    this.phase = 'starting';
    this.problem = null;
    this.storageNote = null;
    this.previewProblem = null;
    this.result = null;
    this.evaluation = null;
    this.savedAt = null;
    this.preview?.dispose();
    this.preview = new GrowthPreview(
      this.previewCanvas(),
      (message) => (this.previewProblem = message),
      (shown) => (this.previewIteration = shown),
    );
  }

  private send(message: ToWorker, transfer: Transferable[] = []): void {
    this.worker?.postMessage(message, transfer);
  }

  private open(): void {
    this.worker?.terminate();
    const worker = new Worker(new URL('./trainWorker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (event: MessageEvent<FromWorker>) => this.hear(event.data);
    worker.onerror = (event) => {
      this.problem = `the training worker failed: ${event.message}`;
      this.phase = 'idle';
    };
    this.worker = worker;
  }

  private hear(message: FromWorker): void {
    switch (message.type) {
      case 'started':
        this.phase = 'training';
        this.routeLine = message.reason;
        this.texture = message.texture;
        this.workerTfjs = message.tfjs;
        this.iteration = message.iteration;
        this.total = message.total;
        this.losses = message.losses;
        this.saved = this.saved.filter((run) => run.id !== this.runId);
        break;
      case 'progress':
        this.iteration = message.iteration;
        this.total = message.total;
        this.losses.push(message.loss);
        this.perSecond = message.iterationsPerSecond;
        this.timeLeft = message.timeLeft;
        this.memory = message.memory;
        break;
      case 'preview':
        void this.preview?.update(message.model, message.iteration);
        break;
      case 'saved':
        this.savedAt = message.iteration;
        break;
      case 'storage':
        this.storageNote = `Checkpoints: ${message.message}`;
        break;
      case 'paused':
        this.phase = 'paused';
        break;
      case 'finished': {
        this.phase = 'finished';
        this.iteration = message.iteration;
        const file = `${this.fileName() ?? this.runId.replace(/-[^-]*$/, '')}.safetensors`;
        if (this.result !== null) {
          URL.revokeObjectURL(this.result.url);
        }
        this.result = {
          url: URL.createObjectURL(new Blob([message.model as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' })),
          file,
          bytes: message.model,
          status: message.status,
        };
        this.evaluation = message.evaluation;
        this.worker?.terminate();
        this.worker = null;
        break;
      }
      case 'failed':
        this.problem = message.message;
        this.phase = 'idle';
        this.worker?.terminate();
        this.worker = null;
        break;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
