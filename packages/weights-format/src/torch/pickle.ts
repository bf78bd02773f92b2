// A strict reader of Python pickles, for PyTorch state dicts and nothing else: it interprets only
// the opcodes that `torch.save(model.state_dict())` writes (protocols 2 to 4) and builds values
// for a few allowed globals (OrderedDict, torch._utils._rebuild_tensor_v2, the float storage
// types). Any other global or opcode is refused with the format's error. Nothing is executed:
// a global is only ever a name looked up in ALLOWED_GLOBALS.
import { WeightsFormatError } from '../errors.ts';
import { decodeUtf8Strict } from '../utf8.ts';

export type StorageType = 'FloatStorage' | 'HalfStorage' | 'BFloat16Storage';

/** A storage the pickle points at by persistent id: its bytes are the archive entry `data/<key>`. */
export interface StorageRef {
  kind: 'storage';
  type: StorageType;
  key: string;
  location: string;
  /** Elements, as declared (not yet checked against the entry). */
  numel: number;
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, ...)`: a strided view of a storage. */
export interface TensorRef {
  kind: 'tensor';
  storage: StorageRef;
  offset: number;
  shape: number[];
  stride: number[];
}

interface Global {
  kind: 'global';
  name: AllowedGlobal;
}

interface Tuple {
  kind: 'tuple';
  items: PickleValue[];
}

export type PickleValue =
  null | boolean | number | string | Uint8Array | PickleValue[] | Tuple | Global | StorageRef | TensorRef | Map<string | number, PickleValue>;

const ALLOWED_GLOBALS = [
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch.FloatStorage',
  'torch.HalfStorage',
  'torch.BFloat16Storage',
] as const;
type AllowedGlobal = (typeof ALLOWED_GLOBALS)[number];

const MARK = Symbol('mark');
type StackItem = PickleValue | typeof MARK;

function bad(detail: string, source: string | undefined): WeightsFormatError {
  return new WeightsFormatError('BAD_PICKLE', `pickle: ${detail}`, source);
}

const OPCODE_NAMES: Record<number, string> = {
  0x69: 'INST',
  0x6f: 'OBJ',
  0x81: 'NEWOBJ',
  0x92: 'NEWOBJ_EX',
  0x50: 'PERSID',
  0x82: 'EXT1',
  0x83: 'EXT2',
  0x84: 'EXT4',
  0x49: 'INT',
  0x4c: 'LONG',
  0x53: 'STRING',
  0x56: 'UNICODE',
  0x46: 'FLOAT',
};

/** Reads one pickle. Throws WeightsFormatError BAD_PICKLE on anything a state dict does not contain. */
export function readPickle(bytes: Uint8Array, source?: string): PickleValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const stack: StackItem[] = [];
  const memo = new Map<number, PickleValue>();
  let pos = 0;

  const need = (n: number): void => {
    if (pos + n > bytes.length) {
      throw bad(`truncated at byte ${pos} (${n} more bytes expected)`, source);
    }
  };
  const u8 = (): number => {
    need(1);
    return bytes[pos++]!;
  };
  const u16 = (): number => {
    need(2);
    const v = view.getUint16(pos, true);
    pos += 2;
    return v;
  };
  const u32 = (): number => {
    need(4);
    const v = view.getUint32(pos, true);
    pos += 4;
    return v;
  };
  const take = (n: number): Uint8Array => {
    need(n);
    const out = bytes.subarray(pos, pos + n);
    pos += n;
    return out;
  };
  const text = (n: number): string => {
    try {
      return decodeUtf8Strict(take(n));
    } catch (error) {
      if (error instanceof WeightsFormatError) {
        throw error;
      }
      throw bad(`a string at byte ${pos - n} is not UTF-8`, source);
    }
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0 || end - pos > 256) {
      throw bad(`unterminated name at byte ${pos}`, source);
    }
    const s = text(end - pos);
    pos++;
    return s;
  };
  const pop = (): PickleValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) {
      throw bad(`stack underflow at byte ${pos - 1}`, source);
    }
    return v;
  };
  const popMark = (): PickleValue[] => {
    const at = stack.lastIndexOf(MARK);
    if (at < 0) {
      throw bad(`no mark to pop at byte ${pos - 1}`, source);
    }
    const items = stack.splice(at) as PickleValue[];
    items.shift();
    return items;
  };
  const top = (): PickleValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) {
      throw bad(`stack underflow at byte ${pos - 1}`, source);
    }
    return v;
  };
  const global = (module: string, name: string): Global => {
    const full = `${module}.${name}`;
    if (!(ALLOWED_GLOBALS as readonly string[]).includes(full)) {
      throw bad(`global ${full} is not allowed: a state dict needs only ${ALLOWED_GLOBALS.join(', ')}`, source);
    }
    return { kind: 'global', name: full as AllowedGlobal };
  };
  const setItems = (target: PickleValue, items: PickleValue[]): void => {
    if (!(target instanceof Map)) {
      throw bad(`SETITEM(S) on something that is not a dict at byte ${pos - 1}`, source);
    }
    for (let i = 0; i + 1 < items.length; i += 2) {
      const key = items[i]!;
      if (typeof key !== 'string' && typeof key !== 'number') {
        throw bad(`a dict key that is neither a string nor a number at byte ${pos - 1}`, source);
      }
      target.set(key, items[i + 1]!);
    }
  };

  for (;;) {
    const at = pos;
    const op = u8();
    switch (op) {
      case 0x80: // PROTO
        if (u8() > 5) {
          throw bad(`protocol ${bytes[pos - 1]} is newer than 5`, source);
        }
        break;
      case 0x95: // FRAME: a length hint only
        take(8);
        break;
      case 0x2e: // STOP
        if (stack.length !== 1) {
          throw bad(`the stack holds ${stack.length} items at STOP, expected 1`, source);
        }
        return pop();
      case 0x28: // MARK
        stack.push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x63: // GLOBAL
        stack.push(global(line(), line()));
        break;
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') {
          throw bad(`STACK_GLOBAL without two strings at byte ${at}`, source);
        }
        stack.push(global(module, name));
        break;
      }
      case 0x71: // BINPUT
        memo.set(u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        memo.set(u32(), top());
        break;
      case 0x94: // MEMOIZE
        memo.set(memo.size, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const index = op === 0x68 ? u8() : u32();
        const value = memo.get(index);
        if (value === undefined) {
          throw bad(`memo ${index} is not set at byte ${at}`, source);
        }
        stack.push(value);
        break;
      }
      case 0x29: // EMPTY_TUPLE
        stack.push({ kind: 'tuple', items: [] });
        break;
      case 0x74: // TUPLE
        stack.push({ kind: 'tuple', items: popMark() });
        break;
      case 0x85: // TUPLE1
      case 0x86: // TUPLE2
      case 0x87: {
        // TUPLE3
        const items = Array.from({ length: op - 0x84 }, () => pop()).reverse();
        stack.push({ kind: 'tuple', items });
        break;
      }
      case 0x5d: // EMPTY_LIST
        stack.push([]);
        break;
      case 0x6c: // LIST
        stack.push(popMark());
        break;
      case 0x61: // APPEND
      case 0x65: {
        // APPENDS
        const items = op === 0x61 ? [pop()] : popMark();
        const list = top();
        if (!Array.isArray(list)) {
          throw bad(`APPEND(S) to something that is not a list at byte ${at}`, source);
        }
        list.push(...items);
        break;
      }
      case 0x7d: // EMPTY_DICT
        stack.push(new Map());
        break;
      case 0x64: {
        // DICT
        const map = new Map<string | number, PickleValue>();
        setItems(map, popMark());
        stack.push(map);
        break;
      }
      case 0x73: {
        // SETITEM
        const value = pop();
        const key = pop();
        setItems(top(), [key, value]);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        setItems(top(), items);
        break;
      }
      case 0x58: // BINUNICODE
        stack.push(text(u32()));
        break;
      case 0x8c: // SHORT_BINUNICODE
        stack.push(text(u8()));
        break;
      case 0x8d: {
        // BINUNICODE8
        const low = u32();
        if (u32() !== 0) {
          throw bad(`a string longer than 4 GiB at byte ${at}`, source);
        }
        stack.push(text(low));
        break;
      }
      case 0x43: // SHORT_BINBYTES
        stack.push(take(u8()).slice());
        break;
      case 0x42: // BINBYTES
        stack.push(take(u32()).slice());
        break;
      case 0x4a: // BININT
        need(4);
        stack.push(view.getInt32(pos, true));
        pos += 4;
        break;
      case 0x4b: // BININT1
        stack.push(u8());
        break;
      case 0x4d: // BININT2
        stack.push(u16());
        break;
      case 0x8a: {
        // LONG1: little-endian two's complement
        const n = u8();
        if (n > 8) {
          throw bad(`an integer of ${n} bytes at byte ${at}`, source);
        }
        let value = 0n;
        const digits = take(n);
        for (let i = n - 1; i >= 0; i--) {
          value = (value << 8n) | BigInt(digits[i]!);
        }
        if (n > 0 && (digits[n - 1]! & 0x80) !== 0) {
          value -= 1n << BigInt(8 * n);
        }
        if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
          throw bad(`an integer beyond 2^53 at byte ${at}`, source);
        }
        stack.push(Number(value));
        break;
      }
      case 0x47: // BINFLOAT: big-endian double
        need(8);
        stack.push(view.getFloat64(pos, false));
        pos += 8;
        break;
      case 0x4e: // NONE
        stack.push(null);
        break;
      case 0x88: // NEWTRUE
        stack.push(true);
        break;
      case 0x89: // NEWFALSE
        stack.push(false);
        break;
      case 0x51: // BINPERSID
        stack.push(persistentLoad(pop(), source));
        break;
      case 0x52: {
        // REDUCE
        const args = pop();
        const callable = pop();
        stack.push(reduce(callable, args, source));
        break;
      }
      case 0x62: {
        // BUILD: OrderedDict's __dict__ (the state dict's `_metadata`), not needed
        const state = pop();
        if (!(top() instanceof Map) || !(state instanceof Map || state === null)) {
          throw bad(`BUILD of something other than a dict's attributes at byte ${at}`, source);
        }
        break;
      }
      default:
        throw bad(`opcode ${OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, '0')}`} at byte ${at} is not one a state dict uses`, source);
    }
  }
}

function isTuple(value: PickleValue): value is Tuple {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map) && !(value instanceof Uint8Array) && value.kind === 'tuple'
  );
}

function integers(value: PickleValue, what: string, source: string | undefined): number[] {
  if (!isTuple(value) || !value.items.every((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
    throw bad(`${what} is not a tuple of non-negative integers`, source);
  }
  return value.items as number[];
}

/** torch's persistent ids: ('storage', <storage type>, key, location, numel). */
function persistentLoad(pid: PickleValue, source: string | undefined): StorageRef {
  if (!isTuple(pid) || pid.items.length !== 5 || pid.items[0] !== 'storage') {
    throw bad(`a persistent id that is not ('storage', type, key, location, numel)`, source);
  }
  const [, type, key, location, numel] = pid.items;
  if (typeof type !== 'object' || type === null || !('kind' in type) || type.kind !== 'global' || !type.name.endsWith('Storage')) {
    throw bad('a storage whose type is not one of the float storages', source);
  }
  if (
    typeof key !== 'string' ||
    !/^[\w.-]{1,64}$/.test(key) ||
    typeof location !== 'string' ||
    typeof numel !== 'number' ||
    !Number.isSafeInteger(numel) ||
    numel < 0
  ) {
    throw bad('a storage with a malformed key, location or size', source);
  }
  return { kind: 'storage', type: type.name.slice('torch.'.length) as StorageType, key, location, numel };
}

function reduce(callable: PickleValue, args: PickleValue, source: string | undefined): PickleValue {
  if (typeof callable !== 'object' || callable === null || !('kind' in callable) || callable.kind !== 'global' || !isTuple(args)) {
    throw bad('REDUCE of something that is not an allowed global with a tuple of arguments', source);
  }
  switch (callable.name) {
    case 'collections.OrderedDict':
      if (args.items.length !== 0) {
        throw bad('OrderedDict built from arguments', source);
      }
      return new Map();
    case 'torch._utils._rebuild_tensor_v2': {
      // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
      const [storage, offset, size, stride] = args.items;
      if (
        args.items.length < 6 ||
        args.items.length > 7 ||
        typeof storage !== 'object' ||
        storage === null ||
        !('kind' in storage) ||
        storage.kind !== 'storage'
      ) {
        throw bad('_rebuild_tensor_v2 without (storage, offset, size, stride, requires_grad, hooks)', source);
      }
      if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
        throw bad('a tensor with a malformed storage offset', source);
      }
      const shape = integers(size ?? null, 'a tensor size', source);
      const strides = integers(stride ?? null, 'a tensor stride', source);
      if (shape.length !== strides.length) {
        throw bad(`a tensor of size ${JSON.stringify(shape)} with stride ${JSON.stringify(strides)}`, source);
      }
      return { kind: 'tensor', storage, offset, shape, stride: strides };
    }
    default:
      throw bad(`${callable.name} called`, source);
  }
}
