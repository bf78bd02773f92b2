import { describe, expect, it } from 'vitest';
import { cLayoutAsserts, fieldBytes, packFields, SHAPE_FIELDS, TASK_FIELDS, wgslStruct, workRow } from './rolloutLayout.ts';

describe("the rollouts' binary interface", () => {
  it('packs every field by its table at 4 bytes each, floats as float32, and refuses a missing one', () => {
    const values = Object.fromEntries(SHAPE_FIELDS.map(([name], i) => [name, i + 0.5 * Number(name === 'threshold')])) as Parameters<
      typeof packFields<typeof SHAPE_FIELDS>
    >[1];
    const view = new DataView(packFields(SHAPE_FIELDS, values));
    expect(view.byteLength).toBe(80);
    expect(view.getUint32(4 * 3, true)).toBe(3);
    expect(view.getFloat32(4 * 11, true)).toBe(11.5);
    const { n: _n, ...missing } = values;
    expect(() => packFields(SHAPE_FIELDS, missing as typeof values)).toThrow(/field 'n' is undefined/);
  });

  it("writes into a larger buffer at an offset, as the kernel's arena and the uniform strides need", () => {
    const into = new ArrayBuffer(512);
    packFields(
      TASK_FIELDS,
      Object.fromEntries(TASK_FIELDS.map(([name], i) => [name, name === 'lossScale' ? 0.25 : i])) as Parameters<typeof packFields<typeof TASK_FIELDS>>[1],
      into,
      256,
    );
    const view = new DataView(into);
    expect(view.getInt32(256, true)).toBe(0);
    expect(view.getFloat32(256 + 4 * 15, true)).toBe(0.25);
    expect(view.getUint32(256 + 4 * 28, true)).toBe(28);
    expect(fieldBytes(TASK_FIELDS)).toBe(144);
  });

  it('declares the WGSL struct and the C assertions from the same table', () => {
    expect(wgslStruct('Shape', SHAPE_FIELDS)).toMatch(
      /^struct Shape \{ count: u32, height: u32, .* noMask: u32, chunks: u32, threshold: f32, lossScale: f32, overflowScale: f32, outsideScale: f32, detailScale: f32, bound: f32, totalOut: u32, productOne: u32, productTwo: u32 \}$/,
    );
    const asserts = cLayoutAsserts('Task', TASK_FIELDS).trim().split('\n');
    expect(asserts).toHaveLength(TASK_FIELDS.length + 1);
    expect(asserts[14]).toBe('_Static_assert(__builtin_offsetof(Task, threshold) == 56, "Task.threshold is not at byte 56 as rolloutLayout.ts says");');
    expect(asserts.at(-1)).toContain('sizeof(Task) == 144');
  });

  it('lays a row of work out as [P 1], dH, [H 1], dZ, dP', () => {
    // 16 channels (C4 4, K4 12), 128 hidden (H4 32).
    expect(workRow(16, 128)).toEqual({ p: 0, dH: 13, h: 45, dZ: 78, dP: 82, length: 94 });
    // 6 channels pad to 8 (C4 2, K4 6), 10 hidden to 12 (H4 3).
    expect(workRow(6, 10)).toEqual({ p: 0, dH: 7, h: 10, dZ: 14, dP: 16, length: 22 });
    // The texture model: 12 channels (C4 3) through 4 filters (K4 12), 96 hidden (H4 24).
    expect(workRow(12, 96, 4)).toEqual({ p: 0, dH: 13, h: 37, dZ: 62, dP: 65, length: 77 });
  });
});
