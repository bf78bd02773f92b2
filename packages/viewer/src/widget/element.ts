// <nca-viewer src="model.safetensors" autoplay interactive start="grown" loading="lazy" poster="lizard.png"
//             alt="a lizard" render="pixelated" steps-per-frame="1" brush-radius="8" background="transparent" grid-size="72">
// A thin skin over createViewer and createSession, like the app: the same controller, player,
// gestures and keys. What a page expects of an element for moving pictures (<video>,
// <model-viewer>, <lottie-player>) is settled here: a poster, lazy loading, reduced motion, a
// role and a name, events, and a size from CSS.
import { trainingStepRange } from '@nca-studio/core';
import { parseGridSize } from '@nca-studio/weights-format';
import type { NcaModel } from '@nca-studio/weights-format';
import { fetchModel } from '../models/catalog.ts';
import { parseBackground } from '../ui/colour.ts';
import { parseSpeed } from '../ui/player.ts';
import type { Player } from '../ui/player.ts';
import { createSession, type Session } from '../ui/session.ts';
import { createViewer, viewerGpuBytes, WHITE } from '../viewer.ts';
import type { Viewer } from '../viewer.ts';
import { cellGrid, parseAutoplay, parseCellSize, parseFlag, parseLoading, parsePositive, parseRender, parseStart } from './attributes.ts';
import { createGrowthWatch, readPattern } from './growthWatch.ts';

const STYLE = `
:host { display: inline-block; position: relative; width: 288px; max-width: 100%; line-height: 0; vertical-align: top; }
:host([hidden]) { display: none; }
:host(:focus-visible) { outline: 2px solid #4a7dff; outline-offset: 2px; }
canvas, .poster { display: block; width: 100%; height: 100%; object-fit: contain; }
canvas { image-rendering: crisp-edges; image-rendering: pixelated; will-change: transform; }
canvas.smooth { image-rendering: auto; }
canvas.interactive { touch-action: none; cursor: crosshair; }
.poster { position: absolute; inset: 0; }
.poster[hidden] { display: none; }
.message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  padding: 8px; box-sizing: border-box; text-align: center; line-height: 1.3;
  font: 12px/1.3 system-ui, sans-serif; color: #8a1010; background: rgba(255, 255, 255, 0.9); }
.message[hidden] { display: none; }
`;

/** A lazy widget loads when it comes this near the viewport (as browsers start lazy images early). */
const NEAR_MARGIN = '200px';
/** A lazy widget further than this from the viewport keeps its state in memory and gives its GPU memory back. */
const FAR_MARGIN = '200% 0px';

export interface NcaLoadDetail {
  src: string;
  channels: number;
  gridWidth: number;
  gridHeight: number;
  engine: string;
  /** Steps run before the first frame: the model's longest training rollout with `start="grown"`, else 0. */
  startSteps: number;
}

export interface NcaErrorDetail {
  src: string | null;
  message: string;
  code?: string;
}

/** The pattern has reached its target: alpha IoU (as `nca eval` measures it) against the model's target, or, without one, its living cells stopped changing. */
export interface NcaGrownDetail {
  steps: number;
  /** IoU of alpha > 0.1 with the model's stored target; null where the model has none or the grid differs from it. */
  iou: number | null;
}

/** A disc was erased (by the brush or `damage()`): the first of a stroke. */
export interface NcaDamagedDetail {
  x: number;
  y: number;
  radius: number;
  steps: number;
}

/** The pattern healed after a cut: back within 0.02 of the IoU it had when grown. */
export interface NcaRegrownDetail extends NcaGrownDetail {
  /** Steps from the cut to the reading that found it healed (readings are 16 steps apart). */
  stepsSinceCut: number;
}

/** The events <nca-viewer> dispatches, for typed `addEventListener`. */
export interface NcaViewerEventMap extends Omit<HTMLElementEventMap, 'error'> {
  /** A model loaded and its first frame is drawn (also after `src` changes). */
  load: CustomEvent<NcaLoadDetail>;
  /** A model could not be loaded or run; the element shows (and announces) the message. */
  error: CustomEvent<NcaErrorDetail>;
  /** The pattern has grown (after load, and after each reset). */
  grown: CustomEvent<NcaGrownDetail>;
  /** A cut, once per brush stroke. */
  damaged: CustomEvent<NcaDamagedDetail>;
  /** The cut has healed. */
  regrown: CustomEvent<NcaRegrownDetail>;
}

/** The attributes <nca-viewer> reads, as written in HTML. */
export interface NcaViewerAttributes {
  /** URL of a .safetensors model (float32, float16 or 8-bit), relative to the page. */
  src?: string;
  /** Start playing once loaded; held still under `prefers-reduced-motion: reduce` until a click or `play()`, unless "always". */
  autoplay?: boolean | '' | 'always';
  /** Drag to erase, double-click or shift-click to plant a seed; keys: Space plays / pauses, S steps, R resets to the seed. */
  interactive?: boolean | '';
  /** "grown" (default): the grown pattern at first paint; "seed": a dot that grows. */
  start?: 'grown' | 'seed';
  /** "eager" (default) or "lazy": fetch and build near the viewport, give GPU memory back far from it. */
  loading?: 'eager' | 'lazy';
  /** An image shown until the first frame is drawn. */
  poster?: string;
  /** The accessible name; default the model's target name. */
  alt?: string;
  /** "pixelated" (default): crisp cells; "smooth": a smooth upscale. */
  render?: 'pixelated' | 'smooth';
  /** CA steps per frame: a number, or "max". */
  'steps-per-frame'?: string;
  /** Radius of the erasing brush, in cells. */
  'brush-radius'?: string;
  /** "white", "black", "transparent", a CSS hex colour. */
  background?: string;
  /** "72" or "96x64"; default the model's training size. */
  'grid-size'?: string;
  /**
   * CSS pixels per cell (1 to 64): the grid fills the element's box, which the page sizes (a
   * texture as a page background: `style="position: fixed; inset: 0; z-index: -1"`), and follows
   * it when it resizes. Overrides `grid-size`.
   */
  'cell-size'?: string;
}

/**
 * `<nca-viewer>`: a neural cellular automaton on a page. Sized by CSS like `<img>` (set a width;
 * the height follows the grid's aspect ratio), exposed as an image named by `alt`, focusable when
 * `interactive` (Space plays or pauses, S steps, R resets to the seed; drag erases,
 * double-click plants a seed).
 */
export class NcaViewerElement extends HTMLElement {
  static readonly observedAttributes = [
    'src',
    'autoplay',
    'interactive',
    'steps-per-frame',
    'brush-radius',
    'background',
    'grid-size',
    'cell-size',
    'poster',
    'alt',
    'render',
    'loading',
  ];

  /** GPU memory the page's live viewers hold, by the estimate the page budget uses: lazy widgets far away hold none. */
  static get gpuBytes(): number {
    return viewerGpuBytes();
  }

  #canvas: HTMLCanvasElement;
  #poster: HTMLImageElement;
  #aspect: HTMLStyleElement;
  #message: HTMLDivElement;
  #internals: ElementInternals;
  #viewer: Viewer | null = null;
  #player: Player | null = null;
  #session: Session | null = null;
  #model: NcaModel | null = null;
  #load = 0;
  /** A load is in flight: an upgrade calls attributeChangedCallback and then connectedCallback, which must not load again. */
  #loading = false;
  #wantPlaying: boolean | null = null;
  /** Autoplay held back by prefers-reduced-motion until a click or play(). */
  #heldStill = false;
  #error: string | null = null;
  /** Steps run before the viewer was last rebuilt (a lazy widget brought back): stepCount counts on from them. */
  #stepBase = 0;
  /** The state of a lazy widget far from the viewport, its GPU memory given back. */
  #parked: { state: Float32Array; steps: number; playing: boolean } | null = null;
  #parking = false;
  /** Whether a frame of the model is on the canvas (the poster's time is over). */
  #drawn = false;
  #watch = createGrowthWatch();
  #reading = false;
  #frame: number | null = null;
  #observers: IntersectionObserver[] = [];
  #resize: ResizeObserver | null = null;
  #motion: MediaQueryList | null = null;

  constructor() {
    super();
    this.#internals = this.attachInternals();
    this.#aria({ role: 'img' });
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#aspect = document.createElement('style');
    this.#setAspect(1, 1);
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = 72;
    this.#canvas.height = 72;
    this.#canvas.setAttribute('part', 'canvas');
    this.#poster = document.createElement('img');
    this.#poster.className = 'poster';
    this.#poster.setAttribute('part', 'poster');
    this.#poster.alt = '';
    this.#poster.hidden = true;
    this.#message = document.createElement('div');
    this.#message.className = 'message';
    this.#message.setAttribute('part', 'message');
    this.#message.setAttribute('role', 'alert');
    this.#message.hidden = true;
    this.#message.addEventListener('click', () => {
      if (this.#viewer !== null) {
        this.#message.hidden = true;
      }
    });
    // Under reduced motion a still widget starts on the first press, which is not also a cut.
    this.addEventListener(
      'pointerdown',
      (event) => {
        if (this.#heldStill && this.#player !== null) {
          event.stopPropagation();
          event.preventDefault();
          this.play();
        }
      },
      { capture: true },
    );
    root.append(style, this.#aspect, this.#canvas, this.#poster, this.#message);
  }

  override addEventListener<K extends keyof NcaViewerEventMap>(
    type: K,
    listener: (this: NcaViewerElement, event: NcaViewerEventMap[K]) => unknown,
    options?: boolean | AddEventListenerOptions,
  ): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void;
  override addEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | AddEventListenerOptions): void {
    super.addEventListener(type, listener, options);
  }

  override removeEventListener<K extends keyof NcaViewerEventMap>(
    type: K,
    listener: (this: NcaViewerElement, event: NcaViewerEventMap[K]) => unknown,
    options?: boolean | EventListenerOptions,
  ): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void;
  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject, options?: boolean | EventListenerOptions): void {
    super.removeEventListener(type, listener, options);
  }

  /** The last error message, or null. */
  get error(): string | null {
    return this.#error;
  }

  /** The controller, once loaded (null before, and while a lazy widget is far away). */
  get viewer(): Viewer | null {
    return this.#viewer;
  }

  get stepCount(): number {
    return this.#parked?.steps ?? this.#stepBase + (this.#viewer?.stepCount ?? 0);
  }

  get playing(): boolean {
    return this.#player?.playing ?? false;
  }

  play(): void {
    this.#wantPlaying = true;
    this.#heldStill = false;
    this.#player?.play();
  }

  pause(): void {
    this.#wantPlaying = false;
    this.#heldStill = false;
    this.#player?.pause();
  }

  /** Back to the seed, which grows again. */
  reset(): void {
    this.#session?.reset();
  }

  /** Erases a disc at (x, y) of radius r, in grid cells. */
  damage(x: number, y: number, r: number): void {
    if (this.#viewer !== null) {
      this.#viewer.damage(x, y, r);
      this.#player?.redraw();
      this.#cut(x, y, r);
    }
  }

  connectedCallback(): void {
    this.#applyInteractive();
    this.#applyLook();
    this.#motion = typeof matchMedia === 'function' ? matchMedia('(prefers-reduced-motion: reduce)') : null;
    this.#motion?.addEventListener('change', this.#onMotion);
    if (parseLoading(this.getAttribute('loading')) === 'lazy' && typeof IntersectionObserver !== 'undefined') {
      this.#observeDistance();
    } else if (this.#viewer === null && this.getAttribute('src') !== null && !this.#loading) {
      void this.#loadSrc();
    }
  }

  disconnectedCallback(): void {
    this.#load++;
    this.#loading = false;
    this.#parked = null;
    this.#motion?.removeEventListener('change', this.#onMotion);
    this.#observers.forEach((observer) => observer.disconnect());
    this.#observers = [];
    this.#resize?.disconnect();
    this.#resize = null;
    this.#teardown();
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (previous === value || !this.isConnected) {
      return;
    }
    switch (name) {
      case 'src':
        this.#model = null;
        this.#parked = null;
        if (parseLoading(this.getAttribute('loading')) === 'eager' || this.#viewer !== null) {
          void this.#loadSrc();
        }
        break;
      case 'interactive':
        this.#applyInteractive();
        break;
      case 'autoplay':
        if (parseAutoplay(value) === 'always' || (parseAutoplay(value) === 'on' && !this.#reducedMotion())) {
          this.#player?.play();
        }
        break;
      case 'poster':
      case 'alt':
      case 'render':
        this.#applyLook();
        break;
      case 'loading':
        if (parseLoading(value) === 'eager' && this.#viewer === null && !this.#loading) {
          void this.#loadSrc();
        }
        break;
      case 'cell-size':
        this.#followBox();
        this.#applySettings();
        break;
      default:
        this.#applySettings();
    }
  }

  #reducedMotion(): boolean {
    return this.#motion?.matches ?? false;
  }

  /** The visitor asked for reduced motion while the page is open: an autoplaying widget stops, unless "always". */
  #onMotion = (): void => {
    if (this.#reducedMotion() && parseAutoplay(this.getAttribute('autoplay')) === 'on' && this.#wantPlaying === null && this.#player?.playing === true) {
      this.#player.pause();
      this.#heldStill = true;
    }
  };

  #teardown(): void {
    if (this.#frame !== null) {
      cancelAnimationFrame(this.#frame);
      this.#frame = null;
    }
    this.#session?.dispose();
    this.#session = null;
    this.#player = null;
    this.#viewer?.dispose();
    this.#viewer = null;
  }

  #observeDistance(): void {
    const near = new IntersectionObserver(
      (entries) => {
        if (entries.at(-1)?.isIntersecting === true && this.#viewer === null && !this.#loading && this.getAttribute('src') !== null) {
          void this.#loadSrc();
        }
      },
      { rootMargin: NEAR_MARGIN },
    );
    const far = new IntersectionObserver(
      (entries) => {
        if (entries.at(-1)?.isIntersecting === false && this.#viewer !== null) {
          void this.#park();
        }
      },
      { rootMargin: FAR_MARGIN },
    );
    near.observe(this);
    far.observe(this);
    this.#observers = [near, far];
  }

  /** Far from the viewport: the state is read back and kept, the viewer and its GPU memory released; the canvas keeps the last frame. */
  async #park(): Promise<void> {
    const viewer = this.#viewer;
    if (viewer === null || this.#parking) {
      return;
    }
    this.#parking = true;
    const load = this.#load;
    try {
      const state = await viewer.readState();
      if (load === this.#load && this.#viewer === viewer) {
        this.#parked = { state, steps: this.stepCount, playing: this.#player?.playing ?? false };
        this.#teardown();
      }
    } finally {
      this.#parking = false;
    }
  }

  #applyInteractive(): void {
    const interactive = parseFlag(this.getAttribute('interactive'));
    this.#canvas.classList.toggle('interactive', interactive);
    this.#aria({ ariaKeyShortcuts: interactive ? 'Space S R' : null });
    if (interactive && !this.hasAttribute('tabindex')) {
      this.tabIndex = 0;
    }
  }

  /** Poster, accessible name and upscaling: what shows before and around the frames. */
  #applyLook(): void {
    const poster = this.getAttribute('poster');
    if (poster !== null && this.#poster.getAttribute('src') !== poster) {
      this.#poster.src = poster;
    }
    this.#poster.hidden = poster === null || this.#drawn;
    this.#canvas.classList.toggle('smooth', parseRender(this.getAttribute('render')) === 'smooth');
    const target = this.#model?.target?.name;
    this.#aria({ ariaLabel: this.getAttribute('alt') ?? (target === undefined ? 'a neural cellular automaton' : `${target}, a neural cellular automaton`) });
  }

  /**
   * Role and ARIA through ElementInternals, never the page's attributes. A DOM whose reflection
   * is missing or broken (jsdom's throws) leaves the element working, only unnamed.
   */
  #aria(values: Partial<Pick<ElementInternals, 'role' | 'ariaLabel' | 'ariaKeyShortcuts'>>): void {
    try {
      Object.assign(this.#internals, values);
    } catch {
      // Nothing to repair: the picture and its controls do not depend on the name.
    }
  }

  #setAspect(width: number, height: number): void {
    // With `cell-size` the page sizes the box and the grid follows it, not the other way round.
    this.#aspect.textContent =
      parseCellSize(this.getAttribute('cell-size')) === null ? `:host { aspect-ratio: ${width} / ${height}; }` : ':host { width: auto; }';
  }

  /** The grid the page asks for: `cell-size` over the box, else `grid-size`, else null (the model's). */
  #wantedGrid(): { width: number; height: number } | null {
    const cellSize = parseCellSize(this.getAttribute('cell-size'));
    if (cellSize !== null) {
      const box = this.getBoundingClientRect();
      if (box.width > 0 && box.height > 0) {
        return cellGrid(box.width, box.height, cellSize);
      }
    }
    return parseGridSize(this.getAttribute('grid-size') ?? '');
  }

  /** With `cell-size`, a new grid when the box changes size (a texture restarts; it forms again in a moment). */
  #followBox(): void {
    this.#resize?.disconnect();
    this.#resize = null;
    if (parseCellSize(this.getAttribute('cell-size')) === null) {
      return;
    }
    this.#resize = new ResizeObserver(() => this.#applySettings());
    this.#resize.observe(this);
  }

  #applySettings(): void {
    const viewer = this.#viewer;
    if (viewer === null) {
      return;
    }
    viewer.setBackground(parseBackground(this.getAttribute('background')) ?? WHITE);
    this.#player?.setSpeed(parseSpeed(this.getAttribute('steps-per-frame'), 1));
    const grid = this.#wantedGrid();
    if (grid !== null && (grid.width !== viewer.info.width || grid.height !== viewer.info.height)) {
      viewer.setGrid(grid.width, grid.height);
      this.#restart(viewer);
    }
    this.#setAspect(viewer.info.width, viewer.info.height);
    this.#player?.redraw();
  }

  #fail(src: string | null, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const code = typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
    this.#error = message;
    this.#message.textContent = message;
    this.#message.hidden = false;
    const detail: NcaErrorDetail = code === undefined ? { src, message } : { src, message, code };
    this.dispatchEvent(new CustomEvent<NcaErrorDetail>('error', { detail }));
  }

  async #loadSrc(): Promise<void> {
    const load = ++this.#load;
    const src = this.getAttribute('src');
    if (src === null || src.trim() === '') {
      this.#fail(src, new Error('nca-viewer: no src attribute (the URL of a .safetensors model)'));
      return;
    }
    const stale = (): boolean => load !== this.#load || !this.isConnected;
    this.#loading = true;
    try {
      const model = this.#model ?? (await fetchModel(new URL(src, document.baseURI).href));
      if (stale()) {
        return;
      }
      this.#model = model;
      const grid = this.#wantedGrid();
      let viewer = this.#viewer;
      if (viewer === null) {
        const created = await createViewer(this.#canvas, model, {
          ...(grid === null ? {} : grid),
          background: parseBackground(this.getAttribute('background')) ?? WHITE,
        });
        if (stale()) {
          created.dispose();
          return;
        }
        viewer = this.#viewer = created;
        this.#start(created);
      } else {
        viewer.setWeights(model);
        if (grid !== null) {
          viewer.setGrid(grid.width, grid.height);
        }
        this.#player?.setTarget(viewer);
      }
      this.#error = null;
      this.#message.hidden = true;
      this.#applySettings();
      this.#followBox();
      const parked = this.#parked;
      this.#parked = null;
      let startSteps = 0;
      if (parked !== null && parked.state.length === viewer.info.width * viewer.info.height * viewer.info.channels) {
        viewer.writeState(parked.state);
        this.#stepBase = parked.steps;
      } else {
        startSteps = this.#restart(viewer);
      }
      viewer.draw();
      this.#drawn = true;
      this.#applyLook();
      this.#autoplay(parked?.playing ?? null);
      this.#watchGrowth();
      const info = viewer.info;
      this.dispatchEvent(
        new CustomEvent<NcaLoadDetail>('load', {
          detail: { src, channels: info.channels, gridWidth: info.width, gridHeight: info.height, engine: info.engine, startSteps },
        }),
      );
    } catch (error) {
      if (!stale()) {
        this.#fail(src, error);
      }
    } finally {
      if (load === this.#load) {
        this.#loading = false;
      }
    }
  }

  /**
   * Back to the start the page asked for: the seed, grown off-screen (before the first frame is
   * drawn) for the model's longest training rollout with `start="grown"` or under reduced
   * motion. Returns the steps run.
   */
  #restart(viewer: Viewer): number {
    viewer.reset();
    this.#stepBase = 0;
    this.#watch.restart();
    const grown = parseStart(this.getAttribute('start')) === 'grown' || this.#stillAtStart();
    const steps = grown && this.#model !== null ? trainingStepRange(this.#model).max : 0;
    if (steps > 0) {
      viewer.step(steps);
    }
    return steps;
  }

  /** Autoplay held back by the visitor's reduced-motion setting (until a click or play()). */
  #stillAtStart(): boolean {
    return this.#wantPlaying === null && parseAutoplay(this.getAttribute('autoplay')) === 'on' && this.#reducedMotion();
  }

  #autoplay(wasPlaying: boolean | null): void {
    const mode = parseAutoplay(this.getAttribute('autoplay'));
    this.#heldStill = this.#stillAtStart();
    const play = wasPlaying ?? this.#wantPlaying ?? (mode === 'always' || (mode === 'on' && !this.#heldStill));
    if (play) {
      this.#player?.play();
    }
  }

  #cut(x: number, y: number, radius: number): void {
    if (this.#watch.cut(this.stepCount)) {
      this.dispatchEvent(new CustomEvent<NcaDamagedDetail>('damaged', { detail: { x, y, radius, steps: this.stepCount } }));
    }
    this.#watchGrowth();
  }

  /** Reads the state back every few steps while the pattern grows or heals (none while it holds), for the grown and regrown events. */
  #watchGrowth(): void {
    // A texture has no target shape to grow into: no readbacks, no grown or regrown events.
    if (this.#frame !== null || this.#model?.config.start === 'zeros') {
      return;
    }
    const tick = (): void => {
      this.#frame = null;
      const viewer = this.#viewer;
      const model = this.#model;
      if (viewer === null || model === null) {
        return;
      }
      const steps = this.stepCount;
      if (!this.#reading && this.#watch.wants(steps)) {
        this.#reading = true;
        viewer
          .readState()
          .then((state) => {
            if (this.#viewer !== viewer) {
              return;
            }
            const change = this.#watch.observe(readPattern(state, viewer.info.channels, steps, model.target?.data ?? null));
            if (change?.kind === 'grown') {
              this.dispatchEvent(new CustomEvent<NcaGrownDetail>('grown', { detail: { steps, iou: change.reading.iou } }));
            } else if (change?.kind === 'regrown') {
              this.dispatchEvent(
                new CustomEvent<NcaRegrownDetail>('regrown', { detail: { steps, iou: change.reading.iou, stepsSinceCut: change.stepsSinceCut } }),
              );
            }
          })
          .catch(() => {})
          .finally(() => {
            this.#reading = false;
          });
      }
      // A pattern that holds needs no readings: the loop ends until the next cut or reset.
      this.#frame = this.#watch.watching || this.#reading ? requestAnimationFrame(tick) : null;
    };
    this.#frame = requestAnimationFrame(tick);
  }

  #start(viewer: Viewer): void {
    this.#session = createSession(viewer, {
      speed: parseSpeed(this.getAttribute('steps-per-frame'), 1),
      canvas: this.#canvas,
      keys: this,
      visible: this.#canvas,
      brushRadius: () => parsePositive(this.getAttribute('brush-radius'), 8),
      interactive: () => parseFlag(this.getAttribute('interactive')),
      onDamage: (x, y, r) => this.#cut(x, y, r),
      onReset: () => {
        this.#stepBase = 0;
        this.#watch.restart();
        this.#watchGrowth();
      },
    });
    this.#player = this.#session.player;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nca-viewer': NcaViewerElement;
  }
}
