"""Shared pieces of the loss tests: a hand-checkable batch and plain-Python references."""

import math

import torch
from torch.nn import functional as F


def batch(seed=0, n=6, e=4, labels=(0, 0, 1, 1, 2, 0)):
    """(audio, visual) (n, e) unit rows and (n,) labels."""
    g = torch.Generator().manual_seed(seed)
    a = F.normalize(torch.randn(n, e, generator=g), dim=1)
    v = F.normalize(torch.randn(n, e, generator=g), dim=1)
    return a, v, torch.tensor(labels[:n])


def dist(x, y):
    return math.sqrt(sum((float(p) - float(q)) ** 2 for p, q in zip(x, y)))


def nce_loop(a, v, t):
    """Symmetric InfoNCE by hand."""
    total = 0.0
    for x, z in ((a, v), (v, a)):
        for i in range(len(x)):
            logits = [float(x[i] @ z[j]) / t for j in range(len(z))]
            total += -(logits[i] - math.log(sum(math.exp(s) for s in logits)))
    return total / (2 * len(a))
