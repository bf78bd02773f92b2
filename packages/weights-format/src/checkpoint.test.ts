import { describe, expect, it } from 'vitest';
import { CHECKPOINT_VERSION, decodeCheckpoint, encodeCheckpoint, isCheckpointFile } from './checkpoint.ts';
import { WeightsFormatError, type WeightsFormatErrorCode } from './errors.ts';
import { writeModel } from './model.ts';
import { decodeSafetensors } from './safetensors.ts';
import { rewrite, smallCheckpoint, smallModel } from './test-support.ts';

const SOURCE = 'runs/x/checkpoint.safetensors';

function expectRefused(bytes: Uint8Array, code: WeightsFormatErrorCode, message: RegExp): void {
  let error: unknown;
  try {
    decodeCheckpoint(bytes, SOURCE);
  } catch (caught) {
    error = caught;
  }
  expect(error, 'the hostile checkpoint was accepted').toBeInstanceOf(WeightsFormatError);
  const refusal = error as WeightsFormatError;
  expect(refusal.code).toBe(code);
  expect(refusal.message.startsWith(`${SOURCE}: `)).toBe(true);
  expect(refusal.message).not.toContain('\n');
  expect(refusal.message).toMatch(message);
}

const valid = (): Uint8Array => encodeCheckpoint(smallCheckpoint());

/** Parsed JSON, to edit freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** The file with its state JSON edited. */
function withState(edit: (state: Json) => void, bytes = valid()): Uint8Array {
  return rewrite(bytes, (file) => {
    const state = JSON.parse(file.metadata.state!) as Json;
    edit(state);
    file.metadata.state = JSON.stringify(state);
  });
}

/** The plan's config fields that came with checkpoint version 4. */
const V4_CONFIG_KEYS = ['laplacian', 'clip', 'start', 'display'];

describe('the checkpoint file', () => {
  it('reads back exactly what was written, version ' + CHECKPOINT_VERSION, () => {
    const start = smallCheckpoint();
    const bytes = encodeCheckpoint(start);
    expect(isCheckpointFile(bytes)).toBe(true);
    expect(decodeSafetensors(bytes).metadata.format_version).toBe(String(CHECKPOINT_VERSION));
    expect(decodeCheckpoint(bytes, SOURCE)).toEqual(start);
    const withoutPool = { ...start, plan: { ...start.plan, training: { ...start.plan.training, pool: 0, damaged: 0 } }, pool: null };
    expect(decodeCheckpoint(encodeCheckpoint(withoutPool), SOURCE)).toEqual(withoutPool);
  });

  it('keeps the resumptions of a run', () => {
    const start = { ...smallCheckpoint(), resumptions: [{ iteration: 2, changed: { iterations: { from: 8, to: 10 } } }] };
    expect(decodeCheckpoint(encodeCheckpoint(start), SOURCE).resumptions).toEqual(start.resumptions);
  });

  it('refuses to write a pool that does not fit the plan', () => {
    expect(() => encodeCheckpoint({ ...smallCheckpoint(), pool: new Float32Array(7) })).toThrow(/'pool' has 7 values/);
  });

  describe('refuses, with one line naming the file', () => {
    it('a format_version from the future (99): VERSION_TOO_NEW', () => {
      expectRefused(
        rewrite(valid(), (f) => (f.metadata.format_version = '99')),
        'VERSION_TOO_NEW',
        /format_version 99 is newer than this reader supports \(5\)/,
      );
    });

    it('no format_version, or not a number: BAD_VERSION', () => {
      expectRefused(
        rewrite(valid(), (f) => delete f.metadata.format_version),
        'BAD_VERSION',
        /no format_version/,
      );
      expectRefused(
        rewrite(valid(), (f) => (f.metadata.format_version = '1.5')),
        'BAD_VERSION',
        /not a non-negative integer/,
      );
      expectRefused(
        rewrite(valid(), (f) => (f.metadata.format_version = '0')),
        'BAD_VERSION',
        /never existed/,
      );
    });

    it('a weights file: WRONG_FORMAT', () => {
      expectRefused(writeModel(smallModel()), 'WRONG_FORMAT', /format is "nca-weights", expected "nca-checkpoint"/);
      expect(isCheckpointFile(writeModel(smallModel()))).toBe(false);
    });

    it('a truncated file: TRUNCATED', () => {
      const bytes = valid();
      expectRefused(bytes.slice(0, bytes.length - 100), 'TRUNCATED', /truncated/);
      expect(isCheckpointFile(new Uint8Array([1, 2, 3]))).toBe(false);
    });

    it('a pool with the right number of values in another shape: BAD_SHAPE', () => {
      // [4, 6, 8, 4] stored as [2, 12, 8, 4]: the same 768 values.
      const reshaped = rewrite(valid(), (f) => {
        f.tensors.pool = { ...f.tensors.pool!, shape: [2, 12, 8, 4] };
      });
      expectRefused(reshaped, 'BAD_SHAPE', /tensor 'pool' is F32 \[2, 12, 8, 4\], the plan needs F32 \[4, 6, 8, 4\]/);
    });

    it('a pool that does not match the plan: BAD_SHAPE, MISSING_TENSOR or an unexpected tensor', () => {
      expectRefused(
        withState((s) => (s.plan.training.pool = 8)),
        'BAD_SHAPE',
        /'pool' is F32 \[4, 6, 8, 4\], the plan needs F32 \[8, 6, 8, 4\]/,
      );
      expectRefused(
        rewrite(valid(), (f) => delete f.tensors.pool),
        'MISSING_TENSOR',
        /missing tensor 'pool'/,
      );
      expectRefused(
        withState((s) => {
          s.plan.training.pool = 0;
          s.plan.training.damaged = 0;
        }),
        'BAD_TENSOR_ENTRY',
        /unexpected tensor 'pool'/,
      );
    });

    it('a NaN in an Adam moment: NON_FINITE, before any training', () => {
      const poisoned = rewrite(valid(), (f) => {
        const m = f.tensors['adam.v.dense2Weight']!;
        new DataView(m.bytes.buffer, m.bytes.byteOffset).setFloat32(8, NaN, true);
      });
      expectRefused(poisoned, 'NON_FINITE', /tensor 'adam.v.dense2Weight' has a non-finite value \(NaN\)/);
    });

    it('a plan that disagrees with its tensors: BAD_SHAPE', () => {
      expectRefused(
        withState((s) => (s.plan.config.hidden = 16)),
        'BAD_SHAPE',
        /'params.dense1Weight' is F32 \[12, 8\], the plan needs F32 \[12, 16\]/,
      );
      expectRefused(
        withState((s) => (s.plan.config.gridWidth = 9)),
        'BAD_SHAPE',
        /'target' is F32 \[6, 8, 4\], the plan needs F32 \[6, 9, 4\]/,
      );
    });

    it('a tensor of another dtype: BAD_SHAPE', () => {
      const halves = rewrite(valid(), (f) => {
        const t = f.tensors.target!;
        f.tensors.target = { dtype: 'F16', shape: t.shape, bytes: t.bytes.slice(0, t.bytes.length / 2) };
      });
      expectRefused(halves, 'BAD_SHAPE', /tensor 'target' is F16/);
    });

    it('a plan whose own JSON is wrong: BAD_PLAN, BAD_CONFIG or BAD_METADATA', () => {
      expectRefused(
        rewrite(valid(), (f) => (f.metadata.state = '{"plan": ')),
        'BAD_METADATA',
        /'state' is not valid JSON/,
      );
      expectRefused(
        rewrite(valid(), (f) => delete f.metadata.state),
        'BAD_METADATA',
        /no 'state'/,
      );
      expectRefused(
        withState((s) => (s.plan.training.batch = 8)),
        'BAD_PLAN',
        /training.pool 4 is smaller than training.batch 8/,
      );
      expectRefused(
        withState((s) => (s.plan.training.lr = 'fast')),
        'BAD_PLAN',
        /training.lr must be a finite number > 0, got "fast"/,
      );
      expectRefused(
        withState((s) => (s.plan.training.warmup = 3)),
        'BAD_PLAN',
        /unknown training setting 'warmup'/,
      );
      expectRefused(
        withState((s) => delete s.plan.training.lrSchedule),
        'BAD_PLAN',
        /training.lrSchedule is missing/,
      );
      expectRefused(
        withState((s) => (s.plan.training.stepsMin = 9)),
        'BAD_PLAN',
        /training.stepsMin: minimum 9 is above maximum 6/,
      );
      expectRefused(
        withState((s) => (s.plan.config.fireRate = 2)),
        'BAD_CONFIG',
        /config.fire_rate must be a number in \[0, 1\]/,
      );
      expectRefused(
        withState((s) => delete s.plan.config.tanh),
        'BAD_PLAN',
        /config is missing 'tanh'/,
      );
      expectRefused(
        withState((s) => (s.plan.target = { kind: 'ftp', url: 'x' })),
        'BAD_PLAN',
        /target must be/,
      );
      expectRefused(
        withState((s) => (s.plan.seed = -1)),
        'BAD_PLAN',
        /seed must be an integer/,
      );
      expectRefused(
        withState((s) => (s.plan.checkpointEvery = 0)),
        'BAD_PLAN',
        /checkpointEvery must be an integer >= 1/,
      );
    });

    it('counters that do not add up: BAD_METADATA', () => {
      expectRefused(
        withState((s) => (s.losses = [0.5])),
        'BAD_METADATA',
        /losses must be 3 finite numbers/,
      );
      expectRefused(
        withState((s) => (s.losses = [0.5, null, 0.1])),
        'BAD_METADATA',
        /losses must be 3 finite numbers/,
      );
      expectRefused(
        withState((s) => (s.adam_t = 2)),
        'BAD_METADATA',
        /adam_t 2 must equal the iteration 3/,
      );
      expectRefused(
        withState((s) => (s.rng_state = 2 ** 32)),
        'BAD_METADATA',
        /rng_state must be a 32-bit unsigned integer/,
      );
      expectRefused(
        withState((s) => (s.seconds = -1)),
        'BAD_METADATA',
        /seconds must be a finite number >= 0/,
      );
      expectRefused(
        withState((s) => (s.resumptions = [{ iteration: 9, changed: {} }])),
        'BAD_METADATA',
        /resumptions\[0\]/,
      );
      expectRefused(
        withState((s) => (s.extra = 1)),
        'BAD_METADATA',
        /unknown field 'extra'/,
      );
    });
  });

  describe('version 2: before the outside penalty and the time budget', () => {
    const v2 = (edit: (training: Json) => void = () => {}): Uint8Array =>
      rewrite(
        withState((s) => {
          delete s.plan.training.outsideWeight;
          delete s.plan.training.budget;
          delete s.plan.training.detailWeight;
          V4_CONFIG_KEYS.forEach((key) => delete s.plan.config[key]);
          edit(s.plan.training);
        }),
        (f) => (f.metadata.format_version = '2'),
      );

    it('reads as every run of its time trained: outsideWeight 0, budget null', () => {
      const back = decodeCheckpoint(v2(), SOURCE);
      expect(back.plan.training).toEqual({ ...smallCheckpoint().plan.training, outsideWeight: 0, budget: null });
      expect(back.resumptions).toEqual(smallCheckpoint().resumptions);
    });

    it('refuses a v2 file that claims a later setting', () => {
      expectRefused(
        v2((t) => (t.budget = { minutes: 5, decayAt: 0.7 })),
        'BAD_METADATA',
        /a format_version 2 checkpoint has no training\.budget/,
      );
    });
  });

  describe('version 3: before the texture model', () => {
    const v3 = (edit: (plan: Json) => void = () => {}): Uint8Array =>
      rewrite(
        withState((s) => {
          V4_CONFIG_KEYS.forEach((key) => delete s.plan.config[key]);
          delete s.plan.training.detailWeight;
          edit(s.plan);
        }),
        (f) => (f.metadata.format_version = '3'),
      );

    it('reads as the growing model every run of its time trained: no Laplacian, no clip, a seed, RGBA, no exemplar', () => {
      const back = decodeCheckpoint(v3(), SOURCE);
      expect(back.plan).toEqual(smallCheckpoint().plan);
      expect(back.plan.config).toMatchObject({ laplacian: false, clip: null, start: 'seed', display: 'rgba' });
    });

    it('refuses a v3 file that claims a texture field', () => {
      expectRefused(
        v3((plan) => (plan.config.clip = 2)),
        'BAD_METADATA',
        /a format_version 3 checkpoint has no config\.clip/,
      );
      expectRefused(
        v3((plan) => (plan.exemplar = { width: 8, height: 8 })),
        'BAD_METADATA',
        /a format_version 3 checkpoint has no exemplar/,
      );
    });
  });

  describe('version 4: before the detail term', () => {
    const v4 = (edit: (training: Json) => void = () => {}): Uint8Array =>
      rewrite(
        withState((s) => {
          delete s.plan.training.detailWeight;
          edit(s.plan.training);
        }),
        (f) => (f.metadata.format_version = '4'),
      );

    it('reads as every run of its time trained: detailWeight 0', () => {
      const weighted = encodeCheckpoint({
        ...smallCheckpoint(),
        plan: { ...smallCheckpoint().plan, training: { ...smallCheckpoint().plan.training, detailWeight: 1 } },
      });
      expect(decodeCheckpoint(weighted, SOURCE).plan.training.detailWeight).toBe(1);
      expect(decodeCheckpoint(v4(), SOURCE).plan).toEqual(smallCheckpoint().plan);
    });

    it('refuses a v4 file that claims the detail weight', () => {
      expectRefused(
        v4((t) => (t.detailWeight = 1)),
        'BAD_METADATA',
        /a format_version 4 checkpoint has no training\.detailWeight/,
      );
    });
  });

  describe('version 4: a texture run holds its exemplar, of its own size', () => {
    it('round-trips a texture plan and refuses an exemplar that does not match it', () => {
      const base = smallCheckpoint();
      const config = { ...base.plan.config, aliveMasking: 'none' as const, laplacian: true, clip: 2, start: 'zeros' as const, display: 'rgb-signed' as const };
      const params = {
        ...base.params,
        dense1Weight: new Float32Array((base.params.dense1Weight.length / 3) * 4),
      };
      const zeros = (a: Float32Array[]) => a.map((m, i) => (i === 0 ? new Float32Array(params.dense1Weight.length) : m));
      const texture = {
        ...base,
        params,
        adam: { ...base.adam, m: zeros(base.adam.m), v: zeros(base.adam.v) },
        plan: { ...base.plan, config, exemplar: { width: 9, height: 7 } },
        target: Float32Array.from({ length: 7 * 9 * 4 }, (_, i) => (i % 5) / 4),
      };
      const back = decodeCheckpoint(encodeCheckpoint(texture), SOURCE);
      expect(back.plan.exemplar).toEqual({ width: 9, height: 7 });
      expect(Array.from(back.target)).toEqual(Array.from(texture.target));
      expect(() => encodeCheckpoint({ ...texture, plan: { ...texture.plan, exemplar: { width: 8, height: 7 } } })).toThrow(/target' has 252 values/);
      // The loss it is matched by round-trips; a name that is none of them is refused.
      const withLoss = { ...texture, plan: { ...texture.plan, exemplar: { width: 9, height: 7, loss: 'features' as const } } };
      expect(decodeCheckpoint(encodeCheckpoint(withLoss), SOURCE).plan.exemplar).toEqual({ width: 9, height: 7, loss: 'features' });
      const badLoss = { ...texture, plan: { ...texture.plan, exemplar: { width: 9, height: 7, loss: 'vgg' } } } as unknown as typeof texture;
      expect(() => decodeCheckpoint(encodeCheckpoint(badLoss), SOURCE)).toThrow(
        /exemplar must be \{width, height\[, loss\]\}.*loss one of "patches", "features", "spectrum", got .*"vgg"/,
      );
      const noExemplar = { ...texture, plan: { ...base.plan, config } };
      expect(() => decodeCheckpoint(encodeCheckpoint({ ...noExemplar, target: base.target }), SOURCE)).toThrow(
        /a texture run \(config start "zeros"\) needs its exemplar size/,
      );
    });
  });

  describe('version 3: a time budget', () => {
    it('keeps a budget, and refuses one out of range', () => {
      const budget = { minutes: 30, decayAt: 0.7 };
      const back = decodeCheckpoint(
        withState((s) => (s.plan.training.budget = budget)),
        SOURCE,
      );
      expect(back.plan.training.budget).toEqual(budget);
      for (const bad of [{ minutes: 0, decayAt: 0.7 }, { minutes: 30, decayAt: 1.5 }, { minutes: 30 }, 30]) {
        expectRefused(
          withState((s) => (s.plan.training.budget = bad)),
          'BAD_PLAN',
          /training\.budget must be null or \{"minutes", "decayAt"\}/,
        );
      }
    });
  });

  describe('version 1, the first checkpoints', () => {
    /** A v1 file as the code of 2026-11 wrote it: no later settings, no resumptions. */
    const v1 = (drop: string[]): Uint8Array =>
      rewrite(
        withState((s) => {
          [...drop, 'outsideWeight', 'budget', 'detailWeight'].forEach((key) => delete s.plan.training[key]);
          V4_CONFIG_KEYS.forEach((key) => delete s.plan.config[key]);
          delete s.resumptions;
          delete s.route;
        }),
        (f) => (f.metadata.format_version = '1'),
      );

    it("reads with the values those runs trained with, never today's presets", () => {
      const back = decodeCheckpoint(v1(['damageRadius', 'reseedEvery', 'overflowWeight', 'lrSchedule']), SOURCE);
      expect(back.plan.training).toMatchObject({ damageRadius: { min: 0.05, max: 0.2 }, reseedEvery: 1, overflowWeight: 0, lrSchedule: 'step' });
      expect(back.resumptions).toEqual([]);
      expect(back.route).toBeNull();
      expect(Array.from(back.params.dense1Weight)).toEqual(Array.from(smallCheckpoint().params.dense1Weight));
    });

    it('keeps the settings a v1 file has', () => {
      const back = decodeCheckpoint(v1([]), SOURCE);
      expect(back.plan.training).toEqual(smallCheckpoint().plan.training);
    });

    it('goes on to version 3: no outside penalty, no time budget', () => {
      expect(decodeCheckpoint(v1([]), SOURCE).plan.training).toMatchObject({ outsideWeight: 0, budget: null });
    });

    it('refuses a v1 file that claims resumptions', () => {
      const claims = rewrite(valid(), (f) => (f.metadata.format_version = '1'));
      expectRefused(claims, 'BAD_METADATA', /a format_version 1 checkpoint has no resumptions/);
    });
  });
});
