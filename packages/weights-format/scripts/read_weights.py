"""Reads an NCA weights file with Hugging Face's safetensors package alone (no NCA code), in any
of its forms: F32 and F16 as stored, U8 dequantized by the file's own metadata
(value = offset + scale * q, docs/design.md §5). Prints each parameter tensor as JSON lists, so
a test can hold them against the TypeScript reader.

    python3 read_weights.py MODEL.safetensors
"""

import json
import sys

import numpy as np
from safetensors import safe_open

PARAMS = ("dense1.weight", "dense1.bias", "dense2.weight", "dense2.bias")


def read_weights(path):
    with safe_open(path, framework="np") as f:
        metadata = f.metadata() or {}
        quantization = json.loads(metadata.get("quantization", "{}"))
        out = {}
        for name in PARAMS:
            tensor = f.get_tensor(name)
            if tensor.dtype == np.uint8:
                q = quantization[name]
                tensor = q["offset"] + q["scale"] * tensor.astype(np.float64)
            out[name] = {"dtype": str(f.get_slice(name).get_dtype()), "values": tensor.astype(np.float64).ravel().tolist()}
        return out


if __name__ == "__main__":
    json.dump(read_weights(sys.argv[1]), sys.stdout)
