"""Loads a state dict into the notebook's class, as a notebook user would, and grows it:
/usr/bin/python3 notebook_run.py MODEL.pt SIZE STEPS OUT.npy  (fire rate 1, our [H, W, C] layout)."""
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(__file__))
from notebook import Automata, grow  # noqa: E402

path, size, steps, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
model = Automata()
model.load_state_dict(torch.load(path, weights_only=True))
np.save(out, grow(model, size, steps))
