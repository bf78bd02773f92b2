import type { EngineModel } from '../engine/engine.ts';
import { createViewer, type Viewer } from '../viewer.ts';

/** A preview cycle: grow from a seed, cut a disc out, watch it regrow, then the newest weights. */
const PREVIEW_CYCLE = { grow: 160, regrow: 160, stepsPerFrame: 2 } as const;

/**
 * The training run's live preview, in the app's fused WebGL viewer: the newest weights grow
 * from a seed (a texture forms from zeros on its torus: the viewer's reset follows the model's
 * start), are damaged (a disc a fifth of the grid wide, right of centre) and regrow, over and
 * over, so each cycle shows what the model has learnt by then.
 */
export class GrowthPreview {
  private viewer: Viewer | null = null;
  private latest: EngineModel | null = null;
  private frame = 0;
  private phase: 'grow' | 'regrow' = 'grow';
  private disposed = false;
  /** Training iteration of the weights on screen. */
  shownIteration = 0;
  private latestIteration = 0;

  constructor(
    private readonly canvas: HTMLCanvasElement,
    private readonly onError: (message: string) => void,
    /** Called with the training iteration of the weights each new cycle shows. */
    private readonly onShown: (iteration: number) => void = () => {},
  ) {}

  /** Newer weights: shown from the next cycle's seed on. */
  async update(model: EngineModel, iteration: number): Promise<void> {
    this.latest = model;
    this.latestIteration = iteration;
    if (this.viewer === null && !this.disposed) {
      try {
        this.viewer = await createViewer(this.canvas, model, { engine: 'auto' });
      } catch (error) {
        this.onError(`no live preview: ${error instanceof Error ? error.message : String(error)}`);
        return;
      }
      this.shownIteration = iteration;
      this.onShown(iteration);
      this.frame = requestAnimationFrame(() => this.tick());
    }
  }

  private tick(): void {
    const viewer = this.viewer;
    if (viewer === null || this.disposed) {
      return;
    }
    viewer.step(PREVIEW_CYCLE.stepsPerFrame);
    if (this.phase === 'grow' && viewer.stepCount >= PREVIEW_CYCLE.grow) {
      const { width, height } = viewer.info;
      viewer.damage(width * 0.6, height * 0.5, Math.min(width, height) * 0.2);
      this.phase = 'regrow';
    } else if (this.phase === 'regrow' && viewer.stepCount >= PREVIEW_CYCLE.grow + PREVIEW_CYCLE.regrow) {
      if (this.latest !== null) {
        viewer.setWeights(this.latest);
        this.shownIteration = this.latestIteration;
        this.onShown(this.shownIteration);
      }
      viewer.reset();
      this.phase = 'grow';
    }
    viewer.draw();
    this.frame = requestAnimationFrame(() => this.tick());
  }

  dispose(): void {
    this.disposed = true;
    cancelAnimationFrame(this.frame);
    this.viewer?.dispose();
    this.viewer = null;
  }
}
