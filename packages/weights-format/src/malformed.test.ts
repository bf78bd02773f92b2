import { describe, expect, it } from 'vitest';
import { WeightsFormatError } from './errors.ts';
import type { WeightsFormatErrorCode } from './errors.ts';
import { readModel, writeModel } from './model.ts';
import { decodeSafetensors, MAX_HEADER_BYTES, MAX_TENSOR_ELEMENTS, validateTensorEntry } from './safetensors.ts';
import { rawFile, rewrite, smallModel } from './test-support.ts';

const SOURCE = 'hostile.safetensors';

/** Runs `read` on hostile input and returns the WeightsFormatError it must throw. */
function rejection(read: () => unknown): WeightsFormatError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(WeightsFormatError);
    return error as WeightsFormatError;
  }
  throw new Error('the hostile input was accepted');
}

function expectRejected(bytes: Uint8Array, code: WeightsFormatErrorCode, message: RegExp): WeightsFormatError {
  const error = rejection(() => readModel(bytes, { source: SOURCE }));
  expect(error.name).toBe('WeightsFormatError');
  expect(error.code).toBe(code);
  expect(error.source).toBe(SOURCE);
  expect(error.message.startsWith(`${SOURCE}: `)).toBe(true);
  expect(error.message).toMatch(message);
  return error;
}

const valid = (): Uint8Array => writeModel(smallModel());
const withMetadata = (key: string, value: string | undefined): Uint8Array =>
  rewrite(valid(), (file) => {
    if (value === undefined) {
      delete file.metadata[key];
    } else {
      file.metadata[key] = value;
    }
  });
const withConfig = (patch: Record<string, unknown>): Uint8Array => {
  const config = JSON.parse(decodeSafetensors(valid()).metadata['config'] ?? '{}') as Record<string, unknown>;
  return withMetadata('config', JSON.stringify({ ...config, ...patch }));
};
const F32_2 = '{"dtype":"F32","shape":[2],"data_offsets":';

describe('malformed files', () => {
  describe('container', () => {
    it('12-byte file claiming a 4 GB header: HEADER_TOO_LARGE, fast, without allocating it', () => {
      const bytes = Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0x7b, 0x7d, 0x20, 0x20); // 2^32
      const start = Date.now();
      expectRejected(bytes, 'HEADER_TOO_LARGE', /header length 4294967296 bytes exceeds the limit of 16777216 bytes/);
      expect(Date.now() - start).toBeLessThan(50);
    });

    it('a header just over the limit: HEADER_TOO_LARGE before TRUNCATED', () => {
      expectRejected(rawFile('{}', undefined, MAX_HEADER_BYTES + 1), 'HEADER_TOO_LARGE', /exceeds the limit/);
    });

    it('a PNG or a JSON file: NOT_SAFETENSORS', () => {
      const png = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13);
      expectRejected(png, 'NOT_SAFETENSORS', /not a safetensors file: the first 8 bytes are not a plausible header length/);
      const json = new Uint8Array([...'{"layers": []}'].map((c) => c.charCodeAt(0)));
      expectRejected(json, 'NOT_SAFETENSORS', /not a safetensors file/);
    });

    it('header length 0: NOT_SAFETENSORS', () => {
      expectRejected(new Uint8Array(8), 'NOT_SAFETENSORS', /header length 0 is too small for a JSON object/);
    });

    it('fewer than 8 bytes: TRUNCATED', () => {
      expectRejected(new Uint8Array(0), 'TRUNCATED', /file is 0 bytes, too short/);
      expectRejected(Uint8Array.of(2, 0, 0), 'TRUNCATED', /file is 3 bytes/);
    });

    it('header cut short: TRUNCATED', () => {
      expectRejected(rawFile('{"a":', undefined, 100), 'TRUNCATED', /header claims 100 bytes but only 5 follow/);
      expectRejected(valid().subarray(0, 50), 'TRUNCATED', /file is truncated/);
    });

    it('header not JSON: BAD_HEADER_JSON', () => {
      expectRejected(rawFile('{"a": nope}'), 'BAD_HEADER_JSON', /header is not valid UTF-8 JSON/);
    });

    it('header not UTF-8: BAD_HEADER_JSON', () => {
      const bytes = rawFile('{"ab":1}');
      bytes[10] = 0xff;
      expectRejected(bytes, 'BAD_HEADER_JSON', /not valid UTF-8 JSON/);
    });

    it('header JSON an array, a string, null: BAD_HEADER_JSON', () => {
      expectRejected(rawFile('[1, 2]'), 'BAD_HEADER_JSON', /header must be a JSON object, got an array/);
      expectRejected(rawFile('"{}"'), 'BAD_HEADER_JSON', /got a string/);
      expectRejected(rawFile('null'), 'BAD_HEADER_JSON', /got null/);
    });

    it('a key twice (JSON.parse would keep the last; Python refuses it): BAD_HEADER_JSON', () => {
      expectRejected(rawFile('{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": {}}'), 'BAD_HEADER_JSON', /header has the key "a" twice/);
      expectRejected(rawFile('{"a": {"dtype": "F32", "dtype": "U8"}}'), 'BAD_HEADER_JSON', /the key "dtype" twice/);
      // An escaped spelling of the same key is the same key.
      expectRejected(rawFile('{"__metadata__": {"\\u0061": "a", "a": "b"}}'), 'BAD_HEADER_JSON', /the key "a" twice/);
    });

    it('header with leading whitespace (Python refuses it): BAD_HEADER_JSON', () => {
      expectRejected(rawFile(' {}'), 'BAD_HEADER_JSON', /must start with '\{'/);
    });

    it('dtype "F64": BAD_TENSOR_ENTRY naming the tensor', () => {
      const bytes = rawFile('{"w":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8));
      expectRejected(bytes, 'BAD_TENSOR_ENTRY', /tensor 'w': dtype "F64" is not supported \(expected "F32", "F16" or "U8"\)/);
    });

    it('malformed entries and shapes: BAD_TENSOR_ENTRY', () => {
      const cases: [string, RegExp][] = [
        ['{"w":[1]}', /tensor 'w': entry must be an object/],
        ['{"w":{"shape":[1],"data_offsets":[0,4]}}', /tensor 'w': dtype is missing/],
        ['{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', /shape \[-1\] must hold non-negative integers/],
        ['{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}', /non-negative integers/],
        ['{"w":{"dtype":"F32","shape":"4","data_offsets":[0,4]}}', /shape must be an array/],
        ['{"w":{"dtype":"U8","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,1]}}', /has 9 dimensions, at most 8/],
        [`{"w":{"dtype":"U8","shape":[${MAX_TENSOR_ELEMENTS},2],"data_offsets":[0,1]}}`, new RegExp(`more than ${MAX_TENSOR_ELEMENTS} elements`)],
        ['{"w":{"dtype":"U8","shape":[1e300],"data_offsets":[0,1]}}', /non-negative integers/],
        ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', /data_offsets must be \[begin, end\]/],
        ['{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}', /data_offsets \[4, 0\] span -4 bytes, expected 4/],
      ];
      for (const [header, message] of cases) {
        expectRejected(rawFile(header, new Uint8Array(4)), 'BAD_TENSOR_ENTRY', message);
      }
    });

    it('shape mismatch between shape and data_offsets: BAD_TENSOR_ENTRY', () => {
      const bytes = rawFile(`{"w":${F32_2}[0,12]}}`, new Uint8Array(12));
      expectRejected(bytes, 'BAD_TENSOR_ENTRY', /tensor 'w': data_offsets \[0, 12\] span 12 bytes, expected 8 \(F32 \[2\]\)/);
    });

    it('offsets beyond the end of the file: TRUNCATED naming the tensor', () => {
      const bytes = rawFile(`{"a":${F32_2}[0,8]},"b":${F32_2}[8,16]}}`, new Uint8Array(12));
      expectRejected(bytes, 'TRUNCATED', /tensor 'b' ends at data byte 16, but only 12 data bytes follow the header/);
    });

    it('validateTensorEntry checks offsets against the data length it is given', () => {
      const error = rejection(() => validateTensorEntry('b', { dtype: 'U8', shape: [4], data_offsets: [8, 12] }, { dataLength: 10, source: 'f' }));
      expect(error.code).toBe('BAD_TENSOR_ENTRY');
      expect(error.message).toBe("f: tensor 'b': data_offsets [8, 12] run past the end of the data (10 bytes)");
      expect(validateTensorEntry('b', { dtype: 'U8', shape: [2, 2], data_offsets: [8, 12] }, { dataLength: 12 })).toEqual({
        dtype: 'U8',
        shape: [2, 2],
        dataOffsets: [8, 12],
      });
    });

    it('overlapping offsets: BAD_TENSOR_ENTRY', () => {
      const bytes = rawFile(`{"a":${F32_2}[0,8]},"b":${F32_2}[4,12]}}`, new Uint8Array(12));
      expectRejected(bytes, 'BAD_TENSOR_ENTRY', /tensor 'b': data_offsets \[4, 12\] overlap tensor 'a', which ends at 8/);
    });

    it('a gap between tensors, or bytes after the last one: BAD_TENSOR_ENTRY', () => {
      const gap = rawFile(`{"a":${F32_2}[0,8]},"b":${F32_2}[12,20]}}`, new Uint8Array(20));
      expectRejected(gap, 'BAD_TENSOR_ENTRY', /tensor 'b': data_offsets \[12, 20\] leave bytes 8\.\.12 of the data uncovered/);
      const trailing = rawFile(`{"a":${F32_2}[0,8]}}`, new Uint8Array(11));
      expectRejected(trailing, 'BAD_TENSOR_ENTRY', /the last 3 data bytes belong to no tensor/);
    });

    it('__metadata__ with a non-string value: BAD_METADATA', () => {
      expectRejected(rawFile('{"__metadata__":{"format_version":1}}'), 'BAD_METADATA', /__metadata__ value 'format_version' must be a string/);
      expectRejected(rawFile('{"__metadata__":[]}'), 'BAD_METADATA', /__metadata__ must be an object of strings/);
    });

    it('input that is not bytes: NOT_SAFETENSORS', () => {
      const error = rejection(() => readModel('weights' as unknown as Uint8Array));
      expect(error.code).toBe('NOT_SAFETENSORS');
      expect(error.message).toMatch(/expected the file's bytes as an ArrayBuffer or Uint8Array, got string/);
    });
  });

  describe('model', () => {
    it('missing dense2.bias: MISSING_TENSOR', () => {
      const bytes = rewrite(valid(), (file) => {
        delete file.tensors['dense2.bias'];
      });
      expectRejected(bytes, 'MISSING_TENSOR', /missing tensor 'dense2\.bias' \(expected \[4\]\)/);
    });

    it('dense1.weight with the wrong shape for the config: BAD_SHAPE', () => {
      const bytes = rewrite(valid(), (file) => {
        const tensor = file.tensors['dense1.weight'];
        if (tensor !== undefined) {
          tensor.shape = [8, 12];
        }
      });
      expectRejected(bytes, 'BAD_SHAPE', /tensor 'dense1\.weight' has shape \[8, 12\], expected \[12, 8\] for channels 4, hidden 8/);
    });

    it('a config whose hidden size does not match the tensors: BAD_SHAPE', () => {
      expectRejected(withConfig({ hidden: 16 }), 'BAD_SHAPE', /tensor 'dense1\.weight' has shape \[12, 8\], expected \[12, 16\]/);
    });

    it('NaN in a weight: NON_FINITE naming tensor and position', () => {
      const bytes = rewrite(valid(), (file) => {
        file.tensors['dense1.weight']?.bytes.set([0x00, 0x00, 0xc0, 0x7f], 4 * (8 * 2 + 3)); // NaN at [2, 3]
      });
      expectRejected(bytes, 'NON_FINITE', /tensor 'dense1\.weight' has a non-finite value \(NaN\) at \[2, 3\]/);
    });

    it('format "other", or none: WRONG_FORMAT', () => {
      expectRejected(withMetadata('format', 'other'), 'WRONG_FORMAT', /format is "other", expected "nca-weights"/);
      expectRejected(withMetadata('format', undefined), 'WRONG_FORMAT', /not an NCA weights file: metadata has no 'format'/);
      expectRejected(rawFile('{}'), 'WRONG_FORMAT', /has no 'format'/);
    });

    it('format_version "3": VERSION_TOO_NEW naming the supported version', () => {
      expectRejected(withMetadata('format_version', '3'), 'VERSION_TOO_NEW', /format_version 3 is newer than this reader supports \(2\)/);
      const error = rejection(() => readModel(withMetadata('format_version', '7')));
      expect(error.message).toBe('format_version 7 is newer than this reader supports (2); upgrade @nca-studio/weights-format');
      expectRejected(withMetadata('format_version', '123456789012345678901'), 'VERSION_TOO_NEW', /supports \(2\)/);
    });

    it('format_version "abc", "1.0", "-1", "01", missing: BAD_VERSION', () => {
      expectRejected(withMetadata('format_version', 'abc'), 'BAD_VERSION', /format_version "abc" is not a non-negative integer/);
      for (const version of ['1.0', '-1', '01', '', ' 1']) {
        expectRejected(withMetadata('format_version', version), 'BAD_VERSION', /is not a non-negative integer/);
      }
      expectRejected(withMetadata('format_version', undefined), 'BAD_VERSION', /metadata has no format_version/);
    });

    it('config fire_rate 3: BAD_CONFIG naming fire_rate', () => {
      expectRejected(withConfig({ fire_rate: 3 }), 'BAD_CONFIG', /config\.fire_rate must be a number in \[0, 1\], got 3/);
    });

    it('config missing, not JSON, not an object: BAD_CONFIG', () => {
      expectRejected(withMetadata('config', undefined), 'BAD_CONFIG', /metadata has no 'config'/);
      expectRejected(withMetadata('config', '{channels: 16}'), 'BAD_CONFIG', /metadata 'config' is not valid JSON/);
      expectRejected(withMetadata('config', '16'), 'BAD_CONFIG', /metadata 'config' must be a JSON object/);
    });

    it('training, source or target metadata that is not a JSON object: BAD_METADATA', () => {
      expectRejected(withMetadata('training', 'fast'), 'BAD_METADATA', /metadata 'training' is not valid JSON/);
      expectRejected(withMetadata('source', '[]'), 'BAD_METADATA', /metadata 'source' must be a JSON object/);
      expectRejected(withMetadata('target', '{"width":5}'), 'BAD_METADATA', /metadata 'target': width 5 does not match the target tensor's 2/);
      expectRejected(withMetadata('target', '{"size":-3}'), 'BAD_METADATA', /size must be a non-negative integer, got -3/);
    });

    it('target tensor that is not U8 [H, W, 4]: BAD_SHAPE', () => {
      const bytes = rewrite(valid(), (file) => {
        const target = file.tensors['target'];
        if (target !== undefined) {
          target.shape = [6, 4];
        }
      });
      expectRejected(bytes, 'BAD_SHAPE', /tensor 'target' is U8 \[6, 4\], expected U8 \[height, width, 4\]/);
    });

    it('uint8 tensors without usable quantization metadata: BAD_METADATA', () => {
      const quantized = writeModel(smallModel(), { dtype: 'uint8' });
      const without = rewrite(quantized, (file) => {
        delete file.metadata['quantization'];
      });
      expectRejected(without, 'BAD_METADATA', /tensor 'dense1\.weight' is U8 but metadata 'quantization' has no entry for it/);
      const negative = rewrite(quantized, (file) => {
        file.metadata['quantization'] = JSON.stringify({ 'dense1.weight': { scale: -1, offset: 0 } });
      });
      expectRejected(negative, 'BAD_METADATA', /quantization of 'dense1\.weight' must have a finite scale >= 0/);
    });

    it('uint8 quantization that overflows float32 when applied: NON_FINITE', () => {
      const bytes = rewrite(writeModel(smallModel(), { dtype: 'uint8' }), (file) => {
        const table = JSON.parse(file.metadata['quantization'] ?? '{}') as Record<string, unknown>;
        table['dense1.bias'] = { scale: 1e300, offset: 0 };
        file.metadata['quantization'] = JSON.stringify(table);
      });
      expectRejected(bytes, 'NON_FINITE', /tensor 'dense1\.bias' has a non-finite value \(Infinity\)/);
    });
  });
});
