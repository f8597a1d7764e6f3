"""Data files: the HDF5 dataset schema (h5py lives only here), soft-label NPZ files, and
the synthetic generator."""

from avili.data.schema import Dataset, read_dataset, write_dataset  # noqa: F401
