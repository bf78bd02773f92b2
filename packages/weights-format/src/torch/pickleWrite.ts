// The pickle of a float32 state dict as `torch.save` writes it (protocol 2): an OrderedDict of
// `_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict())`, each storage a persistent
// id ('storage', torch.FloatStorage, key, 'cpu', numel). Exactly what `weights_only=True` accepts.
import { encodeUtf8 } from '../utf8.ts';

export interface PickledTensor {
  key: string;
  /** The archive entry `data/<storageKey>` holding its float32 data. */
  storageKey: string;
  shape: number[];
  numel: number;
}

class PickleWriter {
  readonly #bytes: number[] = [];

  op(code: number): this {
    this.#bytes.push(code);
    return this;
  }

  global(module: string, name: string): this {
    this.op(0x63);
    for (const byte of encodeUtf8(`${module}\n${name}\n`)) {
      this.#bytes.push(byte);
    }
    return this;
  }

  string(value: string): this {
    const utf8 = encodeUtf8(value);
    this.op(0x58).u32(utf8.length);
    for (const byte of utf8) {
      this.#bytes.push(byte);
    }
    return this;
  }

  int(value: number): this {
    if (value >= 0 && value < 256) {
      return this.op(0x4b).op(value);
    }
    return this.op(0x4a).u32(value);
  }

  tuple(values: readonly number[]): this {
    this.op(0x28);
    values.forEach((v) => this.int(v));
    return this.op(0x74);
  }

  u32(value: number): this {
    this.#bytes.push(value & 0xff, (value >>> 8) & 0xff, (value >>> 16) & 0xff, (value >>> 24) & 0xff);
    return this;
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** Row-major strides of a shape. */
function contiguousStride(shape: readonly number[]): number[] {
  const stride = new Array<number>(shape.length);
  let step = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    stride[d] = step;
    step *= shape[d]!;
  }
  return stride;
}

export function writeStateDictPickle(tensors: readonly PickledTensor[]): Uint8Array {
  const w = new PickleWriter();
  const orderedDict = (): PickleWriter => w.global('collections', 'OrderedDict').op(0x29).op(0x52);
  w.op(0x80).op(2);
  orderedDict();
  w.op(0x28); // MARK: the items
  for (const tensor of tensors) {
    w.string(tensor.key);
    w.global('torch._utils', '_rebuild_tensor_v2');
    w.op(0x28); // MARK: its arguments
    w.op(0x28).string('storage').global('torch', 'FloatStorage').string(tensor.storageKey).string('cpu').int(tensor.numel).op(0x74).op(0x51);
    w.int(0).tuple(tensor.shape).tuple(contiguousStride(tensor.shape)).op(0x89);
    orderedDict();
    w.op(0x74).op(0x52);
  }
  w.op(0x75).op(0x2e); // SETITEMS, STOP
  return w.bytes();
}
