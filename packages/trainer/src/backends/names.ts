// The backend and route names alone, for the CLI's flags: importing them loads no tfjs.
export type BackendName = 'auto' | 'tensorflow' | 'webgpu' | 'wasm' | 'cpu';
export const BACKEND_NAMES: readonly BackendName[] = ['auto', 'tensorflow', 'webgpu', 'wasm', 'cpu'];

export { GRADIENT_ROUTES, type GradientRoute } from '@nca-studio/core/routes';
