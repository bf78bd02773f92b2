import { describe, expect, it } from 'vitest';
import { chooseRoute, describeAdapter, detectAbilities, RouteError } from './route.ts';

describe('chooseRoute', () => {
  const gpu = { name: 'nvidia ampere', software: false };
  const swiftshader = { name: 'google swiftshader', software: true };
  const all = { wasmSimd: true, webgl2: true, webgpu: gpu };

  it('trains on WebGPU where there is a GPU adapter, and says why', () => {
    expect(chooseRoute('auto', all)).toEqual({ route: 'webgpu', reason: 'a GPU adapter (nvidia ampere)' });
    expect(chooseRoute('webgpu', { ...all, webgpu: swiftshader })).toEqual({ route: 'webgpu', reason: 'chosen (google swiftshader)' });
    expect(() => chooseRoute('webgpu', { ...all, webgpu: null })).toThrow(/no WebGPU adapter/);
  });

  it('passes a software adapter over for the wasm kernel', () => {
    expect(chooseRoute('auto', { ...all, webgpu: swiftshader })).toEqual({
      route: 'kernel',
      reason: 'the fastest route here (WebGPU here is a software adapter (google swiftshader), slower than the kernel)',
    });
    expect(chooseRoute('auto', { ...all, webgpu: null }).reason).toMatch(/no WebGPU/);
    expect(chooseRoute('kernel', all)).toEqual({ route: 'kernel', reason: 'chosen' });
  });

  it('falls back to tfjs on WebGL without SIMD, and refuses when nothing can train', () => {
    expect(chooseRoute('auto', { ...all, webgpu: null, wasmSimd: false })).toEqual({
      route: 'tfjs',
      reason: 'no WebAssembly SIMD for the wasm kernel: tfjs on WebGL',
    });
    expect(() => chooseRoute('auto', { wasmSimd: false, webgl2: false, webgpu: swiftshader })).toThrow(RouteError);
    expect(() => chooseRoute('kernel', { ...all, wasmSimd: false })).toThrow(/needs WebAssembly SIMD/);
    expect(chooseRoute('tfjs', all)).toEqual({ route: 'tfjs', reason: 'chosen (tfjs on WebGL)' });
  });

  it('trains a texture on a route that runs its loss, and says why another cannot', () => {
    expect(chooseRoute('auto', { ...all, webgpu: swiftshader }, { texture: true }).route).toBe('kernel');
    expect(chooseRoute('kernel', all, { texture: true })).toEqual({ route: 'kernel', reason: 'chosen' });
    expect(() => chooseRoute('tfjs', all, { texture: true })).toThrow(/a texture trains on .*the wasm kernel.*; tfjs on WebGL does not run it/);
    expect(() => chooseRoute('auto', { wasmSimd: false, webgl2: true, webgpu: null }, { texture: true })).toThrow(/no WebAssembly SIMD/);
  });

  it('tells software adapters by their fallback flag or driver name', () => {
    expect(describeAdapter({ info: { vendor: 'google', architecture: 'swiftshader' } })).toEqual({ name: 'google swiftshader', software: true });
    expect(describeAdapter({ info: { vendor: 'mesa', device: 'llvmpipe (LLVM 15.0.6, 256 bits)' } }).software).toBe(true);
    expect(describeAdapter({ info: { vendor: 'intel', architecture: 'gen-12lp', isFallbackAdapter: true } }).software).toBe(true);
    expect(describeAdapter({ info: { vendor: 'nvidia', architecture: 'ampere' } })).toEqual({ name: 'nvidia ampere', software: false });
  });

  it("detects this runtime's SIMD with a real module", async () => {
    // Node 20's V8 has wasm SIMD: the probe module must validate.
    expect((await detectAbilities()).wasmSimd).toBe(true);
  });
});
