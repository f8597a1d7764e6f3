"""Data files: the HDF5 dataset schema and its streaming writer, importers of published
feature files, shard merging, soft-label NPZ files, the synthetic generator, and what
``avili info`` reads of HDF5 artifacts (:mod:`avili.data.describe`). h5py is imported
only inside this package."""

from avili.data.schema import Dataset, read_dataset, write_dataset  # noqa: F401
