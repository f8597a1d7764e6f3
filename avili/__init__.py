"""avili: audio-visual embeddings that stay robust when labels are sparse.

Pipeline: ``extract`` -> ``teach`` -> ``infer-graph`` -> ``distill`` -> ``eval`` / ``retrieve``.
Importing this package is cheap; torch, scikit-learn and causal-learn load on first use.
"""

__version__ = "0.1.0"
