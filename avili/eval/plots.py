"""Pictures, the only module that imports matplotlib (headless, Agg): evaluation plots
here, and the figure/save helpers the graph drawing uses."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from avili.artifacts import atomic_output

MARKERS = {"audio": "o", "visual": "^"}


def pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save(fig: Any, path: str | os.PathLike) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    with atomic_output(path) as tmp:
        fig.savefig(tmp, format="png", bbox_inches="tight")
    pyplot().close(fig)
    return Path(path)


def pr_curves(curves: dict[str, np.ndarray], direction: str, path: str | os.PathLike) -> Path:
    """Mean interpolated precision-recall curve of each model: ``curves`` maps a label to
    its (levels,) precision at evenly spaced recall levels."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.5), dpi=120)
    for label, curve in curves.items():
        ax.plot(np.linspace(0, 1, curve.size), curve, label=label)
    ax.set(xlabel="recall", ylabel="interpolated precision (mean over queries)",
           title=f"precision-recall, {direction.replace('2', ' -> ').upper()}",
           xlim=(0, 1), ylim=(0, 1.02))
    ax.grid(alpha=0.3)
    ax.legend(loc="lower left", fontsize=8)
    return save(fig, path)


def training_curves(histories: dict[str, list[dict]], path: str | os.PathLike) -> Path:
    """Validation average mAP per epoch from each checkpoint's training history."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 4.0), dpi=120)
    for label, history in histories.items():
        ax.plot([h["epoch"] + 1 for h in history], [h["val_score"] for h in history],
                marker=".", label=label)
    ax.set(xlabel="epoch", ylabel="val average mAP (label relevance)",
           title="model selection on the val split")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return save(fig, path)


def embedding_map(points: np.ndarray, label: np.ndarray, modality: np.ndarray,
                  class_names: Sequence[str], title: str, path: str | os.PathLike) -> Path:
    """A 2-D map, ``points`` (M, 2), coloured by class, audio as circles and visual as
    triangles."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 6), dpi=120)
    cmap = plt.get_cmap("tab20", max(len(class_names), 1))
    for side, marker in MARKERS.items():
        mine = modality == side
        ax.scatter(points[mine, 0], points[mine, 1], c=label[mine], cmap=cmap, s=10,
                   marker=marker, vmin=-0.5, vmax=len(class_names) - 0.5, alpha=0.75,
                   linewidths=0)
    handles = [plt.Line2D([], [], marker="s", ls="", color=cmap(i), label=name)
               for i, name in enumerate(class_names)]
    handles += [plt.Line2D([], [], marker=m, ls="", color="black", label=side)
                for side, m in MARKERS.items()]
    ax.legend(handles=handles, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set(title=title, xlabel="t-SNE 1", ylabel="t-SNE 2")
    return save(fig, path)
