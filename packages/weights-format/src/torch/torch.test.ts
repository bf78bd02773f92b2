// The PyTorch state-dict reader and writer on bytes made here: real `torch.save` files are in
// fixtures/torch (made by scripts/torch_fixtures.py) and tested through `nca convert`.
import { zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../config.ts';
import { WeightsFormatError } from '../errors.ts';
import { readStateDict, writeStateDictSafetensors, writeTorchArchive, type StateDict } from './archive.ts';
import { exportNotebook, importNotebook, NOTEBOOK_CONFIG, NOTEBOOK_STATE_DICT, ourInput } from './notebook.ts';
import { readPickle } from './pickle.ts';
import { writeStateDictPickle } from './pickleWrite.ts';

function refused(run: () => unknown, code: string, message: RegExp): void {
  let error: unknown = null;
  try {
    run();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(WeightsFormatError);
  expect((error as WeightsFormatError).code).toBe(code);
  expect((error as WeightsFormatError).message).toMatch(message);
}

/** The notebook's state dict with every value distinct, so any misplaced weight shows. */
function notebookDict(): StateDict {
  const dict: StateDict = new Map();
  let next = 0;
  for (const [key, shape] of Object.entries(NOTEBOOK_STATE_DICT)) {
    const n = shape.reduce((a, b) => a * b, 1);
    dict.set(key, { shape: [...shape], data: Float32Array.from({ length: n }, () => (next++ % 977) / 977 - 0.5), dtype: 'float32' });
  }
  return dict;
}

const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
// The package has no DOM or Node types (src runs anywhere); the clock is there in both.
const clock = (globalThis as unknown as { performance: { now(): number } }).performance;

describe('readPickle', () => {
  it('reads what writeStateDictPickle writes: an OrderedDict of strided views of storages', () => {
    const value = readPickle(writeStateDictPickle([{ key: 'w', storageKey: '0', shape: [2, 3], numel: 6 }]));
    expect(value).toBeInstanceOf(Map);
    expect((value as Map<string, unknown>).get('w')).toEqual({
      kind: 'tensor',
      storage: { kind: 'storage', type: 'FloatStorage', key: '0', location: 'cpu', numel: 6 },
      offset: 0,
      shape: [2, 3],
      stride: [3, 1],
    });
  });

  it('refuses every global but the few a state dict needs, and executes nothing', () => {
    // pickle.dumps of a __reduce__ to os.system: GLOBAL posix.system, a tuple, REDUCE.
    const exploit = Uint8Array.from([0x80, 2, 0x63, ...ascii('posix\nsystem\n'), 0x58, 4, 0, 0, 0, ...ascii('ls /'), 0x85, 0x52, 0x2e]);
    refused(() => readPickle(exploit), 'BAD_PICKLE', /^pickle: global posix\.system is not allowed: a state dict needs only collections\.OrderedDict, /);
    const builtins = Uint8Array.from([0x80, 2, 0x63, ...ascii('builtins\neval\n'), 0x2e]);
    refused(() => readPickle(builtins), 'BAD_PICKLE', /global builtins\.eval is not allowed/);
  });

  it('refuses opcodes a state dict does not use, a truncated pickle, and calls that are not the known ones', () => {
    refused(
      () => readPickle(Uint8Array.from([0x80, 2, 0x69, ...ascii('os\nsystem\n'), 0x2e])),
      'BAD_PICKLE',
      /opcode INST at byte 2 is not one a state dict uses/,
    );
    refused(
      () => readPickle(writeStateDictPickle([{ key: 'w', storageKey: '0', shape: [2], numel: 2 }]).subarray(0, 40)),
      'BAD_PICKLE',
      /^pickle: (truncated|unterminated name) at byte \d+/,
    );
    // OrderedDict called with arguments.
    refused(
      () => readPickle(Uint8Array.from([0x80, 2, 0x63, ...ascii('collections\nOrderedDict\n'), 0x4b, 1, 0x85, 0x52, 0x2e])),
      'BAD_PICKLE',
      /OrderedDict built from arguments/,
    );
  });
});

describe('readStateDict', () => {
  it('reads back what writeTorchArchive writes, bit for bit', () => {
    const dict = notebookDict();
    const back = readStateDict(writeTorchArchive(dict));
    expect([...back.keys()]).toEqual([...dict.keys()]);
    for (const [key, tensor] of dict) {
      expect(back.get(key)!.shape).toEqual(tensor.shape);
      expect(back.get(key)!.data).toEqual(tensor.data);
    }
  });

  it('reads a safetensors state dict', () => {
    const dict = notebookDict();
    const back = readStateDict(writeStateDictSafetensors(dict));
    expect(back.get('mapper.2.weight')!.data).toEqual(dict.get('mapper.2.weight')!.data);
  });

  it('refuses a truncated archive, an archive without data.pkl, and a bare (legacy) pickle', () => {
    const archive = writeTorchArchive(notebookDict());
    refused(() => readStateDict(archive.subarray(0, archive.length - 100), 'x.pt'), 'BAD_ARCHIVE', /^x\.pt: not a readable zip archive/);
    refused(() => readStateDict(zipSync({ 'a/readme.txt': Uint8Array.of(1) })), 'BAD_ARCHIVE', /without data\.pkl/);
    refused(() => readStateDict(Uint8Array.of(0x80, 2, 0x7d, 0x2e)), 'BAD_ARCHIVE', /a bare pickle .* is not read/);
  });

  it('refuses a storage that declares 4 GiB, before inflating anything, in milliseconds', () => {
    const pickle = writeStateDictPickle([{ key: 'mapper.0.bias', storageKey: '0', shape: [1_073_741_824], numel: 1_073_741_824 }]);
    const archive = zipSync({ 'archive/data.pkl': pickle, 'archive/data/0': new Uint8Array(16), 'archive/version': Uint8Array.of(0x33) }, { level: 0 });
    const started = clock.now();
    refused(
      () => readStateDict(archive),
      'BAD_ARCHIVE',
      /tensor mapper\.0\.bias: its storage declares 4294967296 bytes, the archive entry archive\/data\/0 holds 16/,
    );
    expect(clock.now() - started).toBeLessThan(200);
  });

  it('refuses a view that runs past its storage', () => {
    const pickle = writeStateDictPickle([{ key: 'w', storageKey: '0', shape: [8], numel: 4 }]);
    const archive = zipSync({ 'archive/data.pkl': pickle, 'archive/data/0': new Uint8Array(16) }, { level: 0 });
    refused(() => readStateDict(archive), 'BAD_ARCHIVE', /tensor w: a view of size \[8\] at offset 0 runs past its storage of 4 elements/);
  });
});

describe('the notebook mapping', () => {
  it("sends the notebook's channel-major inputs (3c + f: sobel_y, sobel_x, identity) to ours (identity, sobel_x, sobel_y, filter-major)", () => {
    expect([0, 1, 2, 3, 4, 5, 47].map((k) => ourInput(k))).toEqual([32, 16, 0, 33, 17, 1, 15]);
    expect(new Set(Array.from({ length: 48 }, (_, k) => ourInput(k))).size).toBe(48);
  });

  it('imports and exports as inverses, exactly', () => {
    const dict = notebookDict();
    const model = importNotebook(dict, { source: 'nb.pt', name: 'nb.pt' });
    expect(model.config).toEqual(NOTEBOOK_CONFIG);
    // Linear's weight[h][3c + f] is our dense1Weight[ourInput(3c + f)][h].
    const w0 = dict.get('mapper.0.weight')!.data;
    expect(model.params.dense1Weight[ourInput(5) * 128 + 7]).toBe(w0[7 * 48 + 5]);
    expect(model.params.dense2Weight[9 * 16 + 3]).toBe(dict.get('mapper.2.weight')!.data[3 * 128 + 9]);
    const back = exportNotebook(model);
    for (const [key, tensor] of dict) {
      expect(back.get(key)!.data).toEqual(tensor.data);
    }
  });

  it('lists what was expected and what was found for other keys or shapes', () => {
    const dict = notebookDict();
    dict.delete('mapper.2.bias');
    dict.set('mapper.4.bias', { shape: [16], data: new Float32Array(16), dtype: 'float32' });
    refused(
      () => importNotebook(dict, { source: 'x.pt' }),
      'BAD_STATE_DICT',
      /^x\.pt: not the notebook's state dict: expected mapper\.0\.weight \[128,48\], mapper\.0\.bias \[128\], mapper\.2\.weight \[16,128\], mapper\.2\.bias \[16\]; found mapper\.0\.weight \[128,48\], mapper\.0\.bias \[128\], mapper\.2\.weight \[16,128\], mapper\.4\.bias \[16\]$/,
    );
  });

  it("refuses to export a model the notebook's module cannot run, naming each difference", () => {
    const model = importNotebook(notebookDict());
    refused(
      () => exportNotebook({ ...model, config: { ...DEFAULT_CONFIG } }, { source: 'lizard.safetensors' }),
      'NOT_EXPORTABLE',
      /^lizard\.safetensors: the notebook's module cannot run this model: padding "zero" \(the notebook: "reflect"\), sobelScale 0\.125 \(the notebook: 1\), tanh false \(the notebook: true\), fireRate 0\.5 \(the notebook: 0\.75\), aliveThreshold 0\.1 \(the notebook: 0\), aliveMasking "pre-post" \(the notebook: "post"\), clampRgba false \(the notebook: true\)$/,
    );
  });
});
