// <nca-viewer src="model.safetensors" autoplay interactive steps-per-frame="1" brush-radius="8"
//             background="transparent" grid-size="72">
// A thin skin over createViewer and createSession, like the app: the same controller, player,
// gestures and keys.
import { parseGridSize } from '@nca-studio/weights-format';
import { fetchModel } from '../models/catalog.ts';
import { parseBackground } from '../ui/colour.ts';
import { parseSpeed } from '../ui/player.ts';
import type { Player } from '../ui/player.ts';
import { createSession, type Session } from '../ui/session.ts';
import { createViewer, WHITE } from '../viewer.ts';
import type { Viewer } from '../viewer.ts';
import { parseFlag, parsePositive } from './attributes.ts';

const STYLE = `
:host { display: inline-block; position: relative; width: 288px; max-width: 100%; line-height: 0; }
:host([hidden]) { display: none; }
:host(:focus-visible) { outline: 2px solid #4a7dff; outline-offset: 2px; }
canvas { display: block; width: 100%; height: auto; image-rendering: pixelated; image-rendering: crisp-edges; will-change: transform; }
canvas.interactive { touch-action: none; cursor: crosshair; }
.message { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center;
  padding: 8px; box-sizing: border-box; text-align: center; line-height: 1.3;
  font: 12px/1.3 system-ui, sans-serif; color: #8a1010; background: rgba(255, 255, 255, 0.9); }
.message[hidden] { display: none; }
`;

export interface NcaLoadDetail {
  src: string;
  channels: number;
  gridWidth: number;
  gridHeight: number;
  engine: string;
}

export interface NcaErrorDetail {
  src: string | null;
  message: string;
  code?: string;
}

/** The events <nca-viewer> dispatches, for typed `addEventListener`. */
export interface NcaViewerEventMap extends Omit<HTMLElementEventMap, 'error'> {
  /** A model loaded and runs (also after `src` changes). */
  load: CustomEvent<NcaLoadDetail>;
  /** A model could not be loaded or run; the element shows the message. */
  error: CustomEvent<NcaErrorDetail>;
}

/** The attributes <nca-viewer> reads, as written in HTML. */
export interface NcaViewerAttributes {
  /** URL of a .safetensors model, relative to the page. */
  src?: string;
  /** Start playing once loaded. */
  autoplay?: boolean | '';
  /** Drag to erase, double-click or shift-click to plant a seed, space / s / r keys. */
  interactive?: boolean | '';
  /** CA steps per frame: a number, or "max". */
  'steps-per-frame'?: string;
  /** Radius of the erasing brush, in cells. */
  'brush-radius'?: string;
  /** "white", "black", "transparent", a CSS hex colour. */
  background?: string;
  /** "72" or "96x64"; default the model's training size. */
  'grid-size'?: string;
}

export class NcaViewerElement extends HTMLElement {
  static readonly observedAttributes = ['src', 'autoplay', 'interactive', 'steps-per-frame', 'brush-radius', 'background', 'grid-size'];

  #canvas: HTMLCanvasElement;
  #message: HTMLDivElement;
  #viewer: Viewer | null = null;
  #player: Player | null = null;
  #session: Session | null = null;
  #load = 0;
  /** A load is in flight: an upgrade calls attributeChangedCallback and then connectedCallback, which must not load again. */
  #loading = false;
  #wantPlaying: boolean | null = null;
  #error: string | null = null;

  constructor() {
    super();
    const root = this.attachShadow({ mode: 'open' });
    const style = document.createElement('style');
    style.textContent = STYLE;
    this.#canvas = document.createElement('canvas');
    this.#canvas.width = 72;
    this.#canvas.height = 72;
    this.#canvas.setAttribute('part', 'canvas');
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
    root.append(style, this.#canvas, this.#message);
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

  /** The controller, once loaded (null before). */
  get viewer(): Viewer | null {
    return this.#viewer;
  }

  get stepCount(): number {
    return this.#viewer?.stepCount ?? 0;
  }

  get playing(): boolean {
    return this.#player?.playing ?? false;
  }

  play(): void {
    this.#wantPlaying = true;
    this.#player?.play();
  }

  pause(): void {
    this.#wantPlaying = false;
    this.#player?.pause();
  }

  reset(): void {
    if (this.#viewer !== null) {
      this.#viewer.reset();
      this.#player?.redraw();
    }
  }

  /** Erases a disc at (x, y) of radius r, in grid cells. */
  damage(x: number, y: number, r: number): void {
    if (this.#viewer !== null) {
      this.#viewer.damage(x, y, r);
      this.#player?.redraw();
    }
  }

  connectedCallback(): void {
    this.#applyInteractive();
    if (this.#viewer === null && this.getAttribute('src') !== null && !this.#loading) {
      void this.#loadSrc();
    }
  }

  disconnectedCallback(): void {
    this.#load++;
    this.#loading = false;
    this.#teardown();
  }

  attributeChangedCallback(name: string, previous: string | null, value: string | null): void {
    if (previous === value || !this.isConnected) {
      return;
    }
    switch (name) {
      case 'src':
        void this.#loadSrc();
        break;
      case 'interactive':
        this.#applyInteractive();
        break;
      case 'autoplay':
        if (parseFlag(value)) {
          this.#player?.play();
        }
        break;
      default:
        this.#applySettings();
    }
  }

  #teardown(): void {
    this.#session?.dispose();
    this.#session = null;
    this.#player = null;
    this.#viewer?.dispose();
    this.#viewer = null;
  }

  #applyInteractive(): void {
    const interactive = parseFlag(this.getAttribute('interactive'));
    this.#canvas.classList.toggle('interactive', interactive);
    if (interactive && !this.hasAttribute('tabindex')) {
      this.tabIndex = 0;
    }
  }

  #applySettings(): void {
    const viewer = this.#viewer;
    if (viewer === null) {
      return;
    }
    viewer.setBackground(parseBackground(this.getAttribute('background')) ?? WHITE);
    this.#player?.setSpeed(parseSpeed(this.getAttribute('steps-per-frame'), 1));
    const grid = parseGridSize(this.getAttribute('grid-size') ?? '');
    if (grid !== null && (grid.width !== viewer.info.width || grid.height !== viewer.info.height)) {
      viewer.setGrid(grid.width, grid.height);
      viewer.reset();
    }
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
      const model = await fetchModel(new URL(src, document.baseURI).href);
      if (stale()) {
        return;
      }
      const grid = parseGridSize(this.getAttribute('grid-size') ?? '');
      if (this.#viewer === null) {
        const viewer = await createViewer(this.#canvas, model, {
          ...(grid === null ? {} : grid),
          background: parseBackground(this.getAttribute('background')) ?? WHITE,
        });
        if (stale()) {
          viewer.dispose();
          return;
        }
        this.#viewer = viewer;
        this.#start(viewer);
      } else {
        this.#viewer.setWeights(model);
        if (grid !== null) {
          this.#viewer.setGrid(grid.width, grid.height);
        }
        this.#player?.setTarget(this.#viewer);
      }
      this.#error = null;
      this.#message.hidden = true;
      this.#applySettings();
      if (this.#wantPlaying ?? parseFlag(this.getAttribute('autoplay'))) {
        this.#player?.play();
      }
      const info = this.#viewer.info;
      this.dispatchEvent(
        new CustomEvent<NcaLoadDetail>('load', {
          detail: { src, channels: info.channels, gridWidth: info.width, gridHeight: info.height, engine: info.engine },
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

  #start(viewer: Viewer): void {
    this.#session = createSession(viewer, {
      speed: parseSpeed(this.getAttribute('steps-per-frame'), 1),
      canvas: this.#canvas,
      keys: this,
      visible: this.#canvas,
      brushRadius: () => parsePositive(this.getAttribute('brush-radius'), 8),
      interactive: () => parseFlag(this.getAttribute('interactive')),
    });
    this.#player = this.#session.player;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'nca-viewer': NcaViewerElement;
  }
}
