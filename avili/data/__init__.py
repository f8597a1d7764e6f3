"""Data files: the HDF5 dataset schema and its streaming writer, importers of published
feature files, shard merging, soft-label NPZ files and the synthetic generator. h5py is
imported only inside this package."""

from avili.data.schema import Dataset, read_dataset, write_dataset  # noqa: F401
