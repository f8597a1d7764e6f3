"""avili: audio-visual embeddings that stay robust when labels are sparse.

Pipeline: ``extract`` -> ``teach`` -> ``infer-graph`` -> ``distill`` -> ``eval`` / ``retrieve``.

The public Python API (see the README's Python section) is loaded on first use, so
``import avili`` stays cheap; torch, scikit-learn and causal-learn load when a stage runs:

- data: :class:`Dataset`, :class:`SoftLabels`, :class:`Graph`, :func:`load_dataset`,
  :func:`write_dataset`,
  :func:`load_soft_labels`, :func:`load_graph`, :func:`save_graph`, :func:`synthetic`
- stages, in memory: :func:`train_teacher`, :func:`infer_graph`, :func:`train_student`,
  :func:`evaluate`, :func:`retrieve`, :func:`diagnose`, and all of them at once:
  :func:`run_pipeline`
- results: :class:`TeacherResult`, :class:`StudentResult`, :class:`Evaluation`,
  :class:`Hit`, :class:`PipelineResult`; graph recovery against a planted graph:
  :func:`recovery`
- configs (their fields are the stages' keyword options): :class:`SyntheticConfig`,
  :class:`TeachConfig`, :class:`GraphConfig`, :class:`DistillConfig`, :class:`EvalConfig`,
  :class:`DemoConfig`
- :mod:`avili.losses` (also as pytorch-metric-learning losses), :mod:`avili.api` (the
  file-based stages the CLI runs) and :class:`AviliError`, the one error users see.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_PUBLIC = {
    "avili.workflow": ("load_dataset", "synthetic", "train_teacher", "infer_graph",
                       "train_student", "evaluate", "retrieve", "diagnose", "run_pipeline",
                       "Evaluation", "Hit", "PipelineResult"),
    "avili.data.schema": ("Dataset", "write_dataset"),
    "avili.data.softlabels": ("SoftLabels", "load_soft_labels", "save_soft_labels"),
    "avili.data.graphfile": ("Graph", "load_graph", "save_graph", "recovery"),
    "avili.train.teach": ("TeacherResult",),
    "avili.train.distill": ("StudentResult",),
    "avili.config": ("SyntheticConfig", "TeachConfig", "GraphConfig", "DistillConfig",
                     "EvalConfig", "DemoConfig"),
    "avili.errors": ("AviliError",),
}
_WHERE = {name: module for module, names in _PUBLIC.items() for name in names}
_MODULES = ("api", "losses")
__all__ = sorted([*_WHERE, *_MODULES, "__version__"])


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
    elif name in _MODULES:
        value = importlib.import_module(f"avili.{name}")
    else:
        raise AttributeError(f"module 'avili' has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return __all__
