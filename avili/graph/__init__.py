"""Latent interaction graphs: the file format (:mod:`avili.graph.graphfile`) and causal
discovery on soft labels (:mod:`avili.graph.discovery`, the only module that imports
causal-learn)."""

from avili.graph.graphfile import Graph, load_graph, save_graph  # noqa: F401
