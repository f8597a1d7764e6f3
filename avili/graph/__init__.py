"""Latent interaction graphs: the file format (:mod:`avili.data.graphfile`) and causal
discovery on soft labels (:mod:`avili.graph.discovery`, the only module that imports
causal-learn)."""

from avili.data.graphfile import Graph, load_graph, save_graph  # noqa: F401
