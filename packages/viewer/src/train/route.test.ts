import { describe, expect, it } from 'vitest';
import { chooseRoute, detectAbilities, RouteError } from './route.ts';

describe('chooseRoute', () => {
  const all = { wasmSimd: true, webgl2: true, webgpu: true };

  it('trains on the wasm kernel where there is SIMD, and says why', () => {
    expect(chooseRoute('auto', all)).toEqual({ route: 'kernel', reason: 'the fastest route here (WebGPU is here, but its fused training step is not built yet)' });
    expect(chooseRoute('auto', { ...all, webgpu: false }).reason).toMatch(/no WebGPU/);
  });

  it('falls back to WebGL without SIMD, and refuses when nothing can train', () => {
    expect(chooseRoute('auto', { ...all, wasmSimd: false })).toEqual({ route: 'webgl', reason: 'no WebAssembly SIMD for the wasm kernel' });
    expect(() => chooseRoute('auto', { wasmSimd: false, webgl2: false, webgpu: true })).toThrow(RouteError);
    expect(() => chooseRoute('kernel', { ...all, wasmSimd: false })).toThrow(/needs WebAssembly SIMD/);
    expect(chooseRoute('webgl', all)).toEqual({ route: 'webgl', reason: 'chosen' });
  });

  it("detects this runtime's SIMD with a real module", async () => {
    // Node 20's V8 has wasm SIMD: the probe module must validate.
    expect((await detectAbilities()).wasmSimd).toBe(true);
  });
});
