"""Encoders: standardization statistics, in memory and read in chunks."""

import numpy as np

from avili.models import build_teacher, column_moments


class Sliced:
    """Rows served only through slices, as lazy HDF5 rows are."""

    def __init__(self, x):
        self.x, self.shape = x, x.shape

    def __getitem__(self, key):
        assert isinstance(key, slice)
        return self.x[key]


def test_chunked_moments_match_float64_statistics():
    x = (np.random.default_rng(0).standard_normal((10_001, 5)) * [1, 10, 0.1, 3, 7]
         + [100, -5, 0, 2, 1e3]).astype(np.float32)
    mean, std = column_moments(Sliced(x), chunk=997)
    ref = x.astype(np.float64)
    np.testing.assert_allclose(mean, ref.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(std, ref.std(axis=0), rtol=1e-5)


def test_fused_teacher_statistics_are_the_same_from_rows():
    rng = np.random.default_rng(1)
    a, v = rng.standard_normal((300, 3)).astype(np.float32), rng.standard_normal((300, 4))
    arrays, rows = (build_teacher(3, 4, 2, 8, 0.0, "fused") for _ in range(2))
    arrays.fit_standardizers(a, v.astype(np.float32))
    rows.fit_standardizers(Sliced(a), Sliced(v.astype(np.float32)))
    np.testing.assert_allclose(rows.net[0].mean.numpy(), arrays.net[0].mean.numpy(), atol=1e-6)
    np.testing.assert_allclose(rows.net[0].std.numpy(), arrays.net[0].std.numpy(), atol=1e-6)
