export { createViewer, viewerGpuBytes, WHITE } from './viewer.ts';
export { getGpu, onContextChange, tensorMemory, ViewerError } from './engine/gpu.ts';
export { createSession } from './ui/session.ts';
export { createPlayer, watchVisibility, SPEEDS, adaptStepsPerFrame, parseSpeed } from './ui/player.ts';
export { attachPointer, toGrid } from './ui/pointer.ts';
export { parseBackground, BACKGROUNDS } from './ui/colour.ts';
export { loadCatalog, parseManifest, defaultModel, fetchModel, readModelFile, ModelFetchError } from './models/catalog.ts';

export type { Viewer, ViewerInfo, ViewerOptions, BenchmarkResult } from './viewer.ts';
export type { EngineKind, EngineModel, PassTiming } from './engine/engine.ts';
export type { ContextChange, Gpu, Precision } from './engine/gpu.ts';
export type { Rgba } from './engine/display.ts';
export type { ViewMode } from './engine/shaders.ts';
export type { Session, SessionOptions } from './ui/session.ts';
export type { Player, PlayerStats, Speed } from './ui/player.ts';
export type { Catalog, CatalogGroup, CatalogModel } from './models/catalog.ts';
