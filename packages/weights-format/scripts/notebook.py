"""The original PyTorch notebook's model and step, as a test oracle (issue: PyTorch interop).

State x[C, 1, A, B]: axis A is the image's x (columns), B its y (rows), since the notebook loads
images as img.transpose(0, 2). grow() returns our layout, [H, W, C] = x[:, 0].permute(2, 1, 0).
"""
import numpy as np
import torch
import torch.nn.functional as F

SOBEL_Y_OURS = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
SOBEL_X_OURS = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]
IDENTITY = [[0.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]]


class Automata(torch.nn.Module):
    def __init__(self, channels=16, hidden=128):
        super().__init__()
        self.channels = channels
        self.mapper = torch.nn.Sequential(
            torch.nn.Linear(3 * channels, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, channels), torch.nn.Tanh()
        )
        filters = torch.tensor([SOBEL_Y_OURS, SOBEL_X_OURS, IDENTITY])
        self.register_buffer("filters", filters[:, None], persistent=False)

    def perceive(self, x):
        c, _, a, b = x.shape
        padded = F.pad(x, (1, 1, 1, 1), mode="reflect")
        return F.conv2d(padded, self.filters).view(1, 3 * c, a * b)

    def step(self, x, fire_rate=0.75):
        c, _, a, b = x.shape
        update = self.mapper(self.perceive(x).transpose(1, 2)).transpose(1, 2).reshape(c, 1, a, b)
        mask = (torch.rand_like(x) < fire_rate).float() if fire_rate < 1 else torch.ones_like(x)
        x = x + update * mask
        alive = F.max_pool2d(x[3:4], 3, 1, 1) > 0
        x = x * alive
        x[:4].clamp_(0, 1)
        return x


def seed(channels, size):
    x = torch.zeros(channels, 1, size, size)
    x[3:, :, size // 2, size // 2] = 1
    return x


@torch.no_grad()
def grow(model, size, steps, fire_rate=1.0):
    x = seed(model.channels, size)
    for _ in range(steps):
        x = model.step(x, fire_rate)
    return x[:, 0].permute(2, 1, 0).contiguous().numpy().astype(np.float32)
