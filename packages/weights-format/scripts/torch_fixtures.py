"""Writes the PyTorch fixtures of the torch import/export tests (fixtures/torch/), with PyTorch
itself (Debian's python3-torch: /usr/bin/python3 scripts/torch_fixtures.py), so that the tests
need no PyTorch. Also the notebook's forward pass, as a test oracle: notebook.py beside this.

Files:
  notebook.pt             torch.save(Automata().state_dict()) of a model trained here by the
                          notebook's loop (200 iterations, a 15 px disc on a 24x24 grid), float32
  notebook-half.pt        the same state dict in float16
  notebook-bf16.pt        the same state dict in bfloat16
  wrong-keys.pt           a state dict with other key names
  wrong-shape.pt          Linear(48, 64): the right keys with the wrong shapes
  hostile-reduce.pt       a torch.save archive whose pickle calls os.system through __reduce__
  notebook-grown.npy      notebook.pt's model run 40 deterministic steps (fire rate 1) from the
                          seed on its 24x24 grid, as float32 [H, W, C] (our layout)
"""
import io
import os
import pickle
import sys
import zipfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
from notebook import Automata, grow, seed  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "fixtures", "torch")
SIZE = 24


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.manual_seed(20201)
    model = Automata()
    train(model, disc(SIZE), iterations=200)
    state = model.state_dict()
    torch.save(state, os.path.join(OUT, "notebook.pt"))
    torch.save({k: v.half() for k, v in state.items()}, os.path.join(OUT, "notebook-half.pt"))
    torch.save({k: v.bfloat16() for k, v in state.items()}, os.path.join(OUT, "notebook-bf16.pt"))
    torch.save({"conv.weight": torch.zeros(16, 48), "conv.bias": torch.zeros(16)}, os.path.join(OUT, "wrong-keys.pt"))
    narrow = torch.nn.Sequential(torch.nn.Linear(48, 64), torch.nn.ReLU(), torch.nn.Linear(64, 16), torch.nn.Tanh())
    torch.save({f"mapper.{k}": v for k, v in narrow.state_dict().items()}, os.path.join(OUT, "wrong-shape.pt"))
    write_hostile(os.path.join(OUT, "hostile-reduce.pt"))
    final = grow(model, size=SIZE, steps=40)
    np.save(os.path.join(OUT, "notebook-grown.npy"), final)
    print(f"wrote {OUT}: alive cells after 40 steps: {int((final[:, :, 3] > 0).sum())}")


def disc(size):
    """An orange disc, 15 px across, centred on the seed of a transparent size x size grid: [4, 1, A, B]."""
    a, b = np.meshgrid(np.arange(size), np.arange(size), indexing="ij")
    r = np.hypot(a - size // 2, b - size // 2)
    alpha = (r < 7.5).astype(np.float32)
    rgb = np.stack([alpha * 1.0, alpha * 0.55, alpha * 0.1])
    return torch.tensor(np.concatenate([rgb, alpha[None]])[:, None])


def train(model, target, iterations):
    """The notebook's loop (a fresh seed every iteration, MSE of RGBA, Adam), shorter rollouts, and
    each gradient normalised as in the Distill article, which keeps so short a run from dying."""
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    size = target.shape[-1]
    for i in range(iterations):
        x = seed(model.channels, size)
        for _ in range(int(torch.randint(32, 49, ()))):
            x = model.step(x)
        loss = F.mse_loss(x[:4], target)
        optimiser.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.grad /= p.grad.norm() + 1e-8
        optimiser.step()
        if i % 25 == 0:
            print(f"iteration {i}: loss {loss.item():.4f}")


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo this must never run",))


def write_hostile(path):
    """A real torch.save archive, with data.pkl swapped for a pickle that calls os.system."""
    buffer = io.BytesIO()
    torch.save({"mapper.0.bias": torch.zeros(128)}, buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.endswith("data.pkl"):
                data = pickle.dumps({"mapper.0.bias": Exploit()}, protocol=2)
            target.writestr(item.filename, data)


if __name__ == "__main__":
    main()
