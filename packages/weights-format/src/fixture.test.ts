import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config.ts';
import { readModel, writeModel } from './model.ts';
import type { NcaModel } from './model.ts';
import { decodeSafetensors } from './safetensors.ts';

// The package's tsconfig has no Node types, on purpose (src must run in the browser), so the
// two Node functions this test needs to read its fixture are typed here by hand.
interface NodeApis {
  readFileSync(path: string): Uint8Array;
  writeFileSync(path: string, data: Uint8Array): void;
  fileURLToPath(url: string): string;
  env: Record<string, string | undefined>;
}
const node: NodeApis = {
  ...((await import(/* @vite-ignore */ 'node:fs' as string)) as Pick<NodeApis, 'readFileSync' | 'writeFileSync'>),
  ...((await import(/* @vite-ignore */ 'node:url' as string)) as Pick<NodeApis, 'fileURLToPath'>),
  env: (globalThis as unknown as { process: { env: NodeApis['env'] } }).process.env,
};
const fixturePath = (name: string): string =>
  node.fileURLToPath(
    new (globalThis as unknown as { URL: new (path: string, base: string) => { href: string } }).URL(
      `./fixtures/${name}`,
      (import.meta as unknown as { url: string }).url,
    ).href,
  );
const FIXTURE = fixturePath('tiny.safetensors');

/** 4 channels, 1 hidden unit, a 2 x 1 target: every value a short binary fraction. */
function tinyModel(): NcaModel {
  const ramp = (n: number, scale: number): Float32Array => Float32Array.from({ length: n }, (_, i) => (i - n / 2) * scale);
  return {
    config: { ...DEFAULT_CONFIG, channels: 4, hidden: 1, gridWidth: 3, gridHeight: 3 },
    params: { dense1Weight: ramp(12, 0.25), dense1Bias: Float32Array.of(0.5), dense2Weight: ramp(4, 0.125), dense2Bias: ramp(4, 1 / 64) },
    target: { width: 2, height: 1, data: Uint8Array.of(255, 0, 0, 255, 0, 0, 0, 0), name: 'dot', size: 1, padding: 0 },
    training: { preset: 'fixture', iterations: 0 },
  };
}

describe('fixtures/tiny.safetensors', () => {
  // To regenerate after a deliberate format change: NCA_UPDATE_FIXTURES=1 pnpm exec vitest run fixture
  if (node.env['NCA_UPDATE_FIXTURES'] === '1') {
    node.writeFileSync(FIXTURE, writeModel(tinyModel()));
  }
  const committed = node.readFileSync(FIXTURE);

  it('is reproduced by the writer byte for byte', () => {
    expect([...writeModel(tinyModel())]).toEqual([...committed]);
  });

  it('reads back as the model it was written from', () => {
    expect(readModel(committed, { source: 'tiny.safetensors' })).toEqual(tinyModel());
  });

  it('reads the same model from its format_version 1 file (written before the texture model)', () => {
    const v1 = node.readFileSync(fixturePath('tiny-v1.safetensors'));
    expect(decodeSafetensors(v1).metadata['format_version']).toBe('1');
    expect(readModel(v1, { source: 'tiny-v1.safetensors' })).toEqual(tinyModel());
  });

  it('has the safetensors layout: 8-byte aligned data, header starting with {', () => {
    const headerLength = new DataView(committed.buffer, committed.byteOffset).getUint32(0, true);
    expect((8 + headerLength) % 8).toBe(0);
    expect(committed[8]).toBe(0x7b);
    expect(committed.length).toBe(8 + headerLength + (12 + 1 + 4 + 4) * 4 + 8);
    expect(Object.keys(decodeSafetensors(committed).tensors)).toEqual(['dense1.weight', 'dense1.bias', 'dense2.weight', 'dense2.bias', 'target']);
  });
});
