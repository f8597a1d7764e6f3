"""Random sparse linear-Gaussian DAGs with known structure, for parity tests, benchmarks
and graph-recovery checks."""

from __future__ import annotations

import numpy as np


def linear_gaussian(p: int, n: int, seed: int, degree: float = 2.0, shuffle: bool = True
                    ) -> tuple[np.ndarray, np.ndarray]:
    """(x, dag): x (n, p) samples; dag (p, p) bool, dag[i, j] meaning column i -> column j.

    Each pair (i < j) of a random order is an edge with probability degree / (p - 1)
    (mean total degree ``degree``), weight ±U(0.3, 1); unit Gaussian noise. ``shuffle``
    permutes the columns so the causal order is not the column order.
    """
    rng = np.random.default_rng(seed)
    adj = np.triu(rng.random((p, p)) < degree / (p - 1), 1)
    w = adj * rng.uniform(0.3, 1.0, (p, p)) * rng.choice([-1.0, 1.0], (p, p))
    x = np.zeros((n, p))
    for j in range(p):
        x[:, j] = x @ w[:, j] + rng.standard_normal(n)
    perm = rng.permutation(p) if shuffle else np.arange(p)
    return x[:, perm], adj[np.ix_(perm, perm)]
